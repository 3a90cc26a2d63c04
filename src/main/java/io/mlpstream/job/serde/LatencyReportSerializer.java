package io.mlpstream.job.serde;

import io.mlpstream.avro.LatencyReport;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Already-encoded {@link LatencyReport} bytes → metrics topic, keyed by model name. */
public final class LatencyReportSerializer implements KafkaRecordSerializationSchema<byte[]> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final String modelName;

    public LatencyReportSerializer(String topic, String modelName) {
        this.topic = topic;
        this.modelName = modelName;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(byte[] report, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp, modelName.getBytes(StandardCharsets.UTF_8), report);
    }

    public static byte[] encode(LatencyReport report) {
        try {
            return TaggedImageSerializer.toBytes(report.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode LatencyReport", e);
        }
    }

    public static LatencyReport decode(byte[] value) throws IOException {
        return LatencyReport.fromByteBuffer(ByteBuffer.wrap(value));
    }
}
