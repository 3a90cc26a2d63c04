package io.mlpstream.job.serde;

import java.util.ArrayList;
import java.util.List;

/**
 * One input record exactly as it came off Kafka: bytes, headers and where it came from. The stream
 * carries these (compressed image inside the Avro value) rather than decoded events or tensors, so
 * the records the async operator keeps in its checkpoint stay small, decoding happens on the batch
 * worker, and a dead letter can return the original bytes untouched. Flink POJO.
 */
public class KafkaRecord {
    public String topic;
    public int partition;
    public long offset;
    /** Kafka record timestamp, epoch milliseconds. */
    public long timestamp;
    public byte[] key;
    public byte[] value;
    public List<KafkaHeader> headers = new ArrayList<>();

    public KafkaRecord() {}

    public KafkaRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value, List<KafkaHeader> headers) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
        this.headers = headers;
    }

    /** topic-partition@offset, for messages. */
    public String coordinates() {
        return topic + "-" + partition + "@" + offset;
    }

    @Override
    public String toString() {
        return "KafkaRecord{" + coordinates() + ", " + (value == null ? 0 : value.length) + " bytes}";
    }
}
