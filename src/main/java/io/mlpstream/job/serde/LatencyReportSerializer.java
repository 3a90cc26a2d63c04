package io.mlpstream.job.serde;

import io.mlpstream.avro.LatencyReport;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Already-encoded {@link LatencyReport} bytes → metrics topic, keyed by model name. A report is a few hundred bytes (five
 * stages, the model's name); one that would still exceed {@code maxRecordBytes}, the most the topic and its producer
 * accept, is left out with a warning rather than failing the job.
 */
public final class LatencyReportSerializer implements KafkaRecordSerializationSchema<byte[]> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LatencyReportSerializer.class);

    private final String topic;
    private final String modelName;
    private final int maxRecordBytes;

    /** @param maxRecordBytes the largest record the topic and the sink's producer accept, in bytes */
    public LatencyReportSerializer(String topic, String modelName, int maxRecordBytes) {
        this.topic = topic;
        this.modelName = modelName;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(byte[] report, KafkaSinkContext context, Long timestamp) {
        byte[] key = modelName.getBytes(StandardCharsets.UTF_8);
        int size = RecordSize.of(key, report, new RecordHeaders());
        if (size > maxRecordBytes) {
            LOG.warn("A latency report of {} bytes is above the {} bytes topic {} accepts; left out", size, maxRecordBytes, topic);
            return null; // the Kafka sink writes nothing for null
        }
        return new ProducerRecord<>(topic, null, timestamp, key, report);
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
