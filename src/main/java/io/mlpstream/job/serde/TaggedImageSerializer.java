package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.LatencyBreakdown;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.flink.Prediction;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A prediction about an input record → results topic: key = event id, value = Avro single-object encoded {@link
 * TaggedImage} with the event's id, source, capture time and attributes, the labels, the model, and the latency
 * breakdown measured from the record's Kafka timestamp.
 *
 * <p>A result never exceeds {@code maxRecordBytes}, the most the results topic and its producer accept. The event's
 * attributes are the only part of a result without a bound (the {@code eventId} and {@code source} are held to a quarter
 * of it by {@link ImageEventImages}, everything else comes from the model): a result that would not fit is written
 * without them, with headers {@value #ATTRIBUTES_DROPPED} (how many) and {@value #INPUT_TOPIC}, {@value #INPUT_PARTITION},
 * {@value #INPUT_OFFSET} (where the event, attributes included, can be read back).
 */
public final class TaggedImageSerializer implements KafkaRecordSerializationSchema<Prediction<KafkaRecord>> {
    private static final long serialVersionUID = 1L;

    public static final String HEADER_PREFIX = "mlpstream.result.";
    /** Present when the attributes were left out to fit the topic: how many the event had. */
    public static final String ATTRIBUTES_DROPPED = HEADER_PREFIX + "attributes.dropped";
    public static final String INPUT_TOPIC = HEADER_PREFIX + "input.topic";
    public static final String INPUT_PARTITION = HEADER_PREFIX + "input.partition";
    public static final String INPUT_OFFSET = HEADER_PREFIX + "input.offset";

    private final String topic;
    private final ImageEventCodec codec;
    private final int maxRecordBytes;

    /**
     * @param codec          reads the input records' events (the same as the inference stage's)
     * @param maxRecordBytes the largest record the topic and the sink's producer accept, in bytes
     */
    public TaggedImageSerializer(String topic, ImageEventCodec codec, int maxRecordBytes) {
        this.topic = topic;
        this.codec = codec;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The most bytes of a result the event's {@code eventId} and {@code source} may take together (the id is in twice). */
    static int maxIdentityBytes(int maxRecordBytes) {
        return maxRecordBytes / 4;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Prediction<KafkaRecord> p, KafkaSinkContext context, Long timestamp) {
        TaggedImage tagged = toAvro(p);
        byte[] key = tagged.getEventId().getBytes(StandardCharsets.UTF_8);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = encode(tagged);
        if (RecordSize.of(key, value, headers) > maxRecordBytes && !tagged.getAttributes().isEmpty()) {
            KafkaRecord input = p.getElement();
            headers.add(ATTRIBUTES_DROPPED, utf8(Integer.toString(tagged.getAttributes().size())));
            headers.add(INPUT_TOPIC, utf8(input.topic));
            headers.add(INPUT_PARTITION, utf8(Integer.toString(input.partition)));
            headers.add(INPUT_OFFSET, utf8(Long.toString(input.offset)));
            tagged.setAttributes(Map.of());
            value = encode(tagged);
        }
        if (RecordSize.of(key, value, headers) > maxRecordBytes) {
            // eventId and source are bounded by ImageEventImages: only the model's labels can be this large
            throw new IllegalStateException("The result of event " + p.getElement().coordinates() + " takes "
                    + RecordSize.of(key, value, headers) + " bytes without attributes, more than the " + maxRecordBytes
                    + " topic " + topic + " accepts: raise its max.message.bytes (and kafka.properties.max.request.size) "
                    + "or lower output.top-k");
        }
        return new ProducerRecord<>(topic, null, timestamp, key, value, headers);
    }

    /** The result of a prediction whose record was an {@link ImageEvent} (it was, or there would be no prediction). */
    TaggedImage toAvro(Prediction<KafkaRecord> p) {
        KafkaRecord record = p.getElement();
        ImageEvent event;
        try {
            event = codec.decode(record.value);
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
                .setAttributes(new HashMap<>(event.getAttributes()))
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

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
