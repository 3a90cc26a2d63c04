package io.mlpstream.serde;

import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.LatencyBreakdown;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.operator.TaggedResult;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Result → results topic: key = event id, value = Avro single-object encoded {@link TaggedImage}. */
public final class TaggedImageSerializer implements KafkaRecordSerializationSchema<TaggedResult> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public TaggedImageSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(TaggedResult r, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp, r.eventId.getBytes(StandardCharsets.UTF_8), encode(toAvro(r)));
    }

    public static TaggedImage toAvro(TaggedResult r) {
        List<LabelScore> labels = new ArrayList<>(r.labels.length);
        for (int i = 0; i < r.labels.length; i++) {
            labels.add(new LabelScore(r.labels[i], r.classIndices[i], r.scores[i]));
        }
        return TaggedImage.newBuilder()
                .setEventId(r.eventId)
                .setSource(r.source)
                .setCaptureTime(Instant.ofEpochMilli(r.captureTimeMs))
                .setModelName(r.modelName)
                .setModelVersion(r.modelVersion)
                .setModelSha256(r.modelSha256)
                .setLabels(labels)
                .setLatency(new LatencyBreakdown(r.kafkaToIngestUs, r.queueWaitUs, r.preprocessUs, r.inferenceUs, r.endToEndUs))
                .setBatchSize(r.batchSize)
                .setProcessedAt(Instant.ofEpochMilli(r.processedAtMs))
                .setAttributes(new java.util.HashMap<>(r.attributes))
                .build();
    }

    static byte[] encode(TaggedImage image) {
        try {
            return toBytes(image.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode TaggedImage " + image.getEventId(), e);
        }
    }

    /** Decodes a results-topic value (for consumers and tests). */
    public static TaggedImage decode(byte[] value) throws IOException {
        return TaggedImage.fromByteBuffer(ByteBuffer.wrap(value));
    }

    static byte[] toBytes(ByteBuffer buf) {
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        return bytes;
    }
}
