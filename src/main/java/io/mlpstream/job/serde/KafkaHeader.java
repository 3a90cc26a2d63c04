package io.mlpstream.job.serde;

/** A Kafka record header. Flink POJO. */
public class KafkaHeader {
    public String key;
    public byte[] value;

    public KafkaHeader() {}

    public KafkaHeader(String key, byte[] value) {
        this.key = key;
        this.value = value;
    }
}
