package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.core.inference.RejectedInputException;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No output record may exceed what its topic accepts: dead letters are shortened, results lose their attributes, and the
 * sizes are the producer's own upper bound ({@link RecordSize}), the one it refuses records by.
 */
class OversizedOutputsTest {
    private static final int LIMIT = 1_048_588; // Kafka's default max.message.bytes
    private static final ImageEventCodec OURS = ImageEventCodec.ours();

    @Test
    void aDeadLetterWhoseValueIsTooLargeKeepsAPrefixKeyAndHeadersAndSaysHowLongTheValueWas() {
        byte[] value = random(2 * 1024 * 1024);
        KafkaRecord origin = record("k".getBytes(StandardCharsets.UTF_8), value, List.of(header("trace", "t-1")));
        ProducerRecord<byte[], byte[]> dead = new DeadLetterSerializer("dead-letter", LIMIT).serialize(failure(origin), null, 5L);

        assertThat(size(dead)).isLessThanOrEqualTo(LIMIT).isGreaterThan(LIMIT - 64);
        assertThat(dead.value()).isEqualTo(Arrays.copyOf(value, dead.value().length));
        assertThat(header(dead, DeadLetterSerializer.VALUE_TRUNCATED)).isEqualTo(Integer.toString(value.length));
        assertThat(dead.key()).isEqualTo(origin.key);
        assertThat(header(dead, "trace")).isEqualTo("t-1");
        assertThat(header(dead, DeadLetterSerializer.TOPIC)).isEqualTo("images");
        assertThat(header(dead, DeadLetterSerializer.PARTITION)).isEqualTo("1");
        assertThat(header(dead, DeadLetterSerializer.OFFSET)).isEqualTo("77");
        assertThat(header(dead, DeadLetterSerializer.STAGE)).isEqualTo("decode");
        assertThat(dead.headers().lastHeader(DeadLetterSerializer.HEADERS_DROPPED)).isNull();
        assertThat(dead.headers().lastHeader(DeadLetterSerializer.KEY_TRUNCATED)).isNull();
    }

    @Test
    void aDeadLetterThatFitsIsUntouchedAndEveryShortenedOneFitsExactlyUnderTheLimit() {
        DeadLetterSerializer serializer = new DeadLetterSerializer("dead-letter", 100_000);
        KafkaRecord small = record(null, random(99_000), List.of());
        ProducerRecord<byte[], byte[]> whole = serializer.serialize(failure(small), null, 5L);
        assertThat(whole.value()).isEqualTo(small.value);
        assertThat(whole.headers().lastHeader(DeadLetterSerializer.VALUE_TRUNCATED)).isNull();
        for (int length = 99_000; length <= 100_300; length += 7) {
            ProducerRecord<byte[], byte[]> dead = serializer.serialize(failure(record(null, random(length), List.of())), null, 5L);
            assertThat(size(dead)).as("value of %d bytes", length).isLessThanOrEqualTo(100_000);
        }
    }

    @Test
    void whenTheOriginalHeadersAloneAreTooLargeTheyAreDroppedAndCounted() {
        List<KafkaHeader> headers = List.of(header("a", "x".repeat(700_000)), header("b", "y".repeat(700_000)));
        KafkaRecord origin = record("k".getBytes(StandardCharsets.UTF_8), random(10), headers);
        ProducerRecord<byte[], byte[]> dead = new DeadLetterSerializer("dead-letter", LIMIT).serialize(failure(origin), null, 5L);
        assertThat(size(dead)).isLessThanOrEqualTo(LIMIT);
        assertThat(header(dead, DeadLetterSerializer.HEADERS_DROPPED)).isEqualTo("2");
        assertThat(dead.headers().lastHeader("a")).isNull();
        assertThat(dead.value()).as("the value fits once the headers are gone").isEqualTo(origin.value);
        assertThat(dead.headers().lastHeader(DeadLetterSerializer.VALUE_TRUNCATED)).isNull();
        assertThat(dead.key()).isEqualTo(origin.key);
        assertThat(header(dead, DeadLetterSerializer.OFFSET)).isEqualTo("77");
    }

    @Test
    void whenTheKeyAloneIsTooLargeItIsCutAndLittleOrNothingOfTheValueStays() {
        byte[] key = random(1_500_000);
        KafkaRecord origin = record(key, random(1_000), List.of(header("trace", "t")));
        ProducerRecord<byte[], byte[]> dead = new DeadLetterSerializer("dead-letter", LIMIT).serialize(failure(origin), null, 5L);
        assertThat(size(dead)).isLessThanOrEqualTo(LIMIT);
        assertThat(header(dead, DeadLetterSerializer.KEY_TRUNCATED)).isEqualTo("1500000");
        assertThat(dead.key()).isEqualTo(Arrays.copyOf(key, dead.key().length));
        assertThat(header(dead, DeadLetterSerializer.VALUE_TRUNCATED)).isEqualTo("1000");
        assertThat(dead.value()).hasSizeLessThan(100).isEqualTo(Arrays.copyOf(origin.value, dead.value().length));
        assertThat(header(dead, DeadLetterSerializer.HEADERS_DROPPED)).isEqualTo("1");
        assertThat(header(dead, DeadLetterSerializer.STAGE)).isEqualTo("decode");
    }

    @Test
    void aResultWithTooManyAttributesIsWrittenWithoutThemAndSaysWhereTheEventIs() throws Exception {
        Map<String, String> attributes = new HashMap<>();
        for (int i = 0; i < 1_200; i++) {
            attributes.put("a" + i, "v".repeat(1_000));
        }
        TaggedImageSerializer serializer = new TaggedImageSerializer("tags", OURS, LIMIT);
        ProducerRecord<byte[], byte[]> big = serializer.serialize(prediction(event("e-1", attributes)), null, 1L);
        assertThat(size(big)).isLessThanOrEqualTo(LIMIT);
        TaggedImage result = TaggedImageSerializer.decode(big.value());
        assertThat(result.getEventId()).isEqualTo("e-1");
        assertThat(result.getAttributes()).isEmpty();
        assertThat(result.getLabels().get(0).getLabel()).isEqualTo("7");
        assertThat(header(big, TaggedImageSerializer.ATTRIBUTES_DROPPED)).isEqualTo("1200");
        assertThat(header(big, TaggedImageSerializer.INPUT_TOPIC)).isEqualTo("images");
        assertThat(header(big, TaggedImageSerializer.INPUT_PARTITION)).isEqualTo("1");
        assertThat(header(big, TaggedImageSerializer.INPUT_OFFSET)).isEqualTo("77");

        ProducerRecord<byte[], byte[]> small = serializer.serialize(prediction(event("e-2", Map.of("site", "north"))), null, 1L);
        assertThat(TaggedImageSerializer.decode(small.value()).getAttributes()).containsEntry("site", "north");
        assertThat(small.headers().toArray()).isEmpty();
    }

    @Test
    void anEventWhoseIdAndSourceWouldCrowdOutItsResultIsRefusedAtValidate() throws Exception {
        ImageEventImages images = new ImageEventImages("mixer-digits", OURS, LIMIT);
        ImageEvent longId = event("i".repeat(LIMIT / 4 - 3), Map.of());
        longId.setSource("cam");
        assertThat(images.of(record(null, ImageEventCodec.encode(longId), List.of()))).containsExactly(1, 2, 3);
        longId.setSource("cam-");
        assertThatThrownBy(() -> images.of(record(null, ImageEventCodec.encode(longId), List.of())))
                .isInstanceOf(RejectedInputException.class)
                .hasMessageContaining("eventId and source take " + (LIMIT / 4 + 1) + " bytes")
                .satisfies(x -> assertThat(((RejectedInputException) x).stage()).isEqualTo(ImageEventImages.STAGE_VALIDATE));
        // what passes validate fits the results topic even with a long label list
        ImageEvent widest = event("i".repeat(LIMIT / 8), Map.of());
        widest.setSource("s".repeat(LIMIT / 8));
        images.of(record(null, ImageEventCodec.encode(widest), List.of()));
        assertThat(size(new TaggedImageSerializer("tags", OURS, LIMIT).serialize(prediction(widest), null, 1L)))
                .isLessThanOrEqualTo(LIMIT);
    }

    @Test
    void aLatencyReportThatWouldNotFitIsLeftOut() {
        byte[] report = LatencyReportSerializer.encode(LatencyReport.newBuilder()
                .setWindowStart(Instant.EPOCH).setWindowEnd(Instant.EPOCH).setModelName("m").setCount(0).setDeadLetters(0)
                .setThroughputPerSecond(0).setMeanBatchSize(0).setStages(List.of()).build());
        assertThat(new LatencyReportSerializer("metrics", "m", LIMIT).serialize(report, null, 1L).value()).isEqualTo(report);
        assertThat(new LatencyReportSerializer("metrics", "m", report.length).serialize(report, null, 1L)).isNull();
    }

    private static int size(ProducerRecord<byte[], byte[]> r) {
        return RecordSize.of(r.key(), r.value(), r.headers());
    }

    private static KafkaRecord record(byte[] key, byte[] value, List<KafkaHeader> headers) {
        return new KafkaRecord("images", 1, 77, 1_000L, key, value, new ArrayList<>(headers));
    }

    private static InferenceFailure<KafkaRecord> failure(KafkaRecord origin) {
        return InferenceFailure.of(origin, Stage.DECODE, new IllegalArgumentException("not an image"));
    }

    private static ImageEvent event(String id, Map<String, String> attributes) {
        return ImageEvent.newBuilder().setEventId(id).setSource("cam-1").setCaptureTime(Instant.ofEpochMilli(1L))
                .setContentType("image/png").setImage(ByteBuffer.wrap(new byte[] {1, 2, 3})).setModelName(null)
                .setAttributes(attributes).build();
    }

    private static Prediction<KafkaRecord> prediction(ImageEvent event) {
        Prediction<KafkaRecord> p = new Prediction<>();
        p.setElement(record(null, ImageEventCodec.encode(event), List.of()));
        p.setModelName("mixer-digits");
        p.setModelVersion("1");
        p.setModelSha256("ab".repeat(32));
        int k = 10;
        String[] labels = new String[k];
        int[] indices = new int[k];
        float[] scores = new float[k];
        for (int i = 0; i < k; i++) {
            labels[i] = Integer.toString((7 + i) % 10);
            indices[i] = (7 + i) % 10;
            scores[i] = 0.1f;
        }
        p.setLabels(labels);
        p.setClassIndices(indices);
        p.setScores(scores);
        p.setCompletedAtUs(2_000_000L);
        p.setBatchSize(1);
        return p;
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    private static KafkaHeader header(String key, String value) {
        return new KafkaHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String header(ProducerRecord<byte[], byte[]> rec, String key) {
        Header h = rec.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
