package io.mlpstream.job.serde;

import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.LatencyBreakdown;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.avro.ImageEvent;
import io.mlpstream.flink.Prediction;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A prediction about an input record → results topic: key = event id, value = Avro single-object encoded {@link
 * TaggedImage} with the event's id, source, capture time and attributes, the labels, the model, and the latency
 * breakdown measured from the record's Kafka timestamp.
 */
public final class TaggedImageSerializer implements KafkaRecordSerializationSchema<Prediction<KafkaRecord>> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public TaggedImageSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Prediction<KafkaRecord> p, KafkaSinkContext context, Long timestamp) {
        TaggedImage tagged = toAvro(p);
        return new ProducerRecord<>(topic, null, timestamp, tagged.getEventId().getBytes(StandardCharsets.UTF_8), encode(tagged));
    }

    /** The result of a prediction whose record was an {@link ImageEvent} (it was, or there would be no prediction). */
    public static TaggedImage toAvro(Prediction<KafkaRecord> p) {
        KafkaRecord record = p.getElement();
        ImageEvent event;
        try {
            event = ImageEventCodec.decode(record.value);
        } catch (ImageEventCodec.UndecodableEventException e) {
            throw new IllegalStateException("a predicted record is no longer an ImageEvent: " + record, e);
        }
        String[] names = p.getLabels();
        List<LabelScore> labels = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            labels.add(new LabelScore(names[i], p.getClassIndices()[i], p.getScores()[i]));
        }
        long kafkaMicros = record.timestamp * 1_000L;
        // producer and TaskManager clocks may differ: reported as measured, never clamped
        LatencyBreakdown latency = new LatencyBreakdown(p.getIngestedAtUs() - kafkaMicros, p.getQueueWaitUs(),
                p.getPreprocessUs(), p.getInferenceUs(), p.getCompletedAtUs() - kafkaMicros);
        return TaggedImage.newBuilder()
                .setEventId(event.getEventId())
                .setSource(event.getSource())
                .setCaptureTime(event.getCaptureTime())
                .setModelName(p.getModelName())
                .setModelVersion(p.getModelVersion())
                .setModelSha256(p.getModelSha256())
                .setLabels(labels)
                .setLatency(latency)
                .setBatchSize(p.getBatchSize())
                .setProcessedAt(Instant.ofEpochMilli(p.getCompletedAtUs() / 1_000))
                .setAttributes(new java.util.HashMap<>(event.getAttributes()))
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
