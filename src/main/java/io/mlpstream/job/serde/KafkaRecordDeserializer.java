package io.mlpstream.job.serde;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.util.ArrayList;
import java.util.List;

/**
 * Copies each consumer record into a {@link KafkaRecord}. It never fails: Avro decoding happens on
 * the batch worker, where an undecodable value becomes a dead letter instead of a failed job.
 */
public final class KafkaRecordDeserializer implements KafkaRecordDeserializationSchema<KafkaRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaRecord> out) {
        List<KafkaHeader> headers = new ArrayList<>();
        for (Header h : record.headers()) {
            headers.add(new KafkaHeader(h.key(), h.value()));
        }
        out.collect(new KafkaRecord(
                record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(), record.value(), headers));
    }

    @Override
    public TypeInformation<KafkaRecord> getProducedType() {
        return TypeInformation.of(KafkaRecord.class);
    }
}
