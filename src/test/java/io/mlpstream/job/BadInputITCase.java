package io.mlpstream.job;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.PoisonPills;
import io.mlpstream.testutils.PoisonPills.Pill;
import io.mlpstream.testutils.TestEvents;
import io.mlpstream.testutils.TestImages;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.METRICS;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input through the real job (in-process KRaft broker, MiniCluster, bundled model): poison pills and
 * decompression bombs interleaved with good digits, and inference stalled past the async timeout. Every
 * event must come out exactly once, as a result or a dead letter with Connect-style headers, and the job
 * must never restart: the MiniCluster runs with restart-strategy none, so any task failure fails the job
 * and {@code env.execute} throws.
 */
class BadInputITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics().expectAllClientsClosed();

    private static DigitsDataset digits;

    @BeforeAll
    static void loadDigits() throws Exception {
        digits = DigitsDataset.loadBundled();
    }

    @AfterAll
    static void noSessionLeft() {
        assertThat(SharedSessions.openSessions()).as("ORT sessions left open after the jobs").isZero();
    }

    @Test
    void poisonPillsAndBombsAreDeadLetteredOrTaggedAndTheJobNeverRestarts() throws Exception {
        String input = "images-pills";
        List<Pill> bad = new ArrayList<>(PoisonPills.corpus(digits));
        bad.addAll(PoisonPills.bombs());
        int goodDigits = 120;
        List<byte[]> goodImages = new ArrayList<>();
        for (int i = 0; i < goodDigits; i++) {
            goodImages.add(digits.png(100 + i));
        }
        List<String> goodLabels = TestEvents.referenceLabels(goodImages);

        // interleave: a bad input after every few good digits
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, String> expectedLabel = new HashMap<>();
        Map<String, Pill> pills = new LinkedHashMap<>();
        int nextBad = 0;
        for (int i = 0; i < goodDigits; i++) {
            String id = "digit-" + (100 + i);
            expectedLabel.put(id, goodLabels.get(i));
            records.add(new ProducerRecord<>(input, key(id), TestEvents.encoded(id, goodImages.get(i), "image/png")));
            if (i % 8 == 3 && nextBad < bad.size()) {
                Pill pill = bad.get(nextBad++);
                pills.put(pill.name(), pill);
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(input, key(pill.name()), pill.value());
                r.headers().add("trace-id", ("t-" + pill.name()).getBytes(StandardCharsets.UTF_8));
                records.add(r);
            }
        }
        assertThat(nextBad).as("every bad input was interleaved").isEqualTo(bad.size());
        for (Pill pill : pills.values()) {
            if (pill.fate() == PoisonPills.Fate.TAGGED && pill.digit() >= 0) {
                expectedLabel.put(pill.name(), TestEvents.referenceLabels(List.of(digits.png(pill.digit()))).get(0));
            }
        }

        Outcomes out = run(input, records, Map.of("batch.max-size", "16", "batch.max-delay", "20 ms"));

        int tagged = 0;
        int deadLettered = 0;
        for (Pill pill : pills.values()) {
            boolean isTagged = out.results.containsKey(pill.name());
            ConsumerRecord<byte[], byte[]> dead = out.dead.get(pill.name());
            if (pill.fate() == PoisonPills.Fate.TAGGED) {
                assertThat(isTagged).as("%s tagged", pill).isTrue();
                tagged++;
                if (expectedLabel.containsKey(pill.name())) {
                    assertThat(out.results.get(pill.name()).getLabels().get(0).getLabel()).as(pill.name())
                            .isEqualTo(expectedLabel.get(pill.name()));
                }
            } else {
                assertThat(dead).as("%s dead-lettered", pill).isNotNull();
                deadLettered++;
                assertThat(dead.value()).as("original value of %s", pill.name()).isEqualTo(pill.value());
                assertThat(header(dead, "trace-id")).isEqualTo("t-" + pill.name());
                assertThat(header(dead, DeadLetterSerializer.TOPIC)).isEqualTo(input);
                assertThat(header(dead, DeadLetterSerializer.PARTITION)).matches("[0-9]+");
                assertThat(header(dead, DeadLetterSerializer.OFFSET)).matches("[0-9]+");
                assertThat(header(dead, DeadLetterSerializer.STAGE)).as(pill.name()).isEqualTo(pill.stage());
                assertThat(header(dead, DeadLetterSerializer.EXCEPTION_CLASS)).isNotBlank();
                assertThat(header(dead, DeadLetterSerializer.EXCEPTION_MESSAGE)).as(pill.name()).contains(pill.messagePart());
            }
        }
        for (Map.Entry<String, String> e : expectedLabel.entrySet()) {
            if (e.getKey().startsWith("digit-")) {
                assertThat(out.results).containsKey(e.getKey());
                assertThat(out.results.get(e.getKey()).getLabels().get(0).getLabel()).as(e.getKey()).isEqualTo(e.getValue());
            }
        }
        int lost = records.size() - out.results.size() - out.dead.size();
        System.out.printf("%d bad inputs: %d tagged, %d dead-lettered, %d lost, %d duplicated, 0 job restarts "
                        + "(with %d good digits, all tagged as offline)%n",
                pills.size(), tagged, deadLettered, lost, out.duplicates, goodDigits);
        for (String bomb : List.of("png-bomb-100000x100000", "jpeg-bomb-65500x65500")) {
            System.out.println(bomb + " -> stage " + header(out.dead.get(bomb), DeadLetterSerializer.STAGE) + ": "
                    + header(out.dead.get(bomb), DeadLetterSerializer.EXCEPTION_MESSAGE));
        }
        assertThat(out.duplicates).isZero();
        assertThat(lost).isZero();
    }

    @Test
    void stalledInferenceIsDeadLetteredAsTimeoutAndTheJobGoesOn() throws Exception {
        String input = "images-stall";
        // ~25 Mpx JPEGs: decoding one takes far longer than the 100 ms async timeout, while a digit takes ~ms
        byte[] huge = TestImages.jpeg(gradient(5_000, 5_000), 0.5f);
        assertThat(huge.length).as("fits a default Kafka record").isLessThan(900_000);
        int digitsCount = 150;
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < digitsCount; i++) {
            images.add(digits.png(i));
        }
        List<String> labels = TestEvents.referenceLabels(images);
        Map<String, String> expectedLabel = new HashMap<>();
        List<String> hugeIds = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < digitsCount; i++) {
            if (i % 50 == 10) {
                String id = "huge-" + i;
                hugeIds.add(id);
                records.add(new ProducerRecord<>(input, key(id), TestEvents.encoded(id, huge, "image/jpeg")));
            }
            String id = "digit-" + i;
            expectedLabel.put(id, labels.get(i));
            records.add(new ProducerRecord<>(input, key(id), TestEvents.encoded(id, images.get(i), "image/png")));
        }

        Outcomes out = run(input, records, Map.of(
                "batch.max-size", "1", "batch.max-delay", "0 ms", "batch.max-in-flight", "1", "async.timeout", "100 ms",
                "job.parallelism", "1"));

        int timedOut = 0;
        int taggedDigits = 0;
        for (ProducerRecord<byte[], byte[]> r : records) {
            String id = new String(r.key(), StandardCharsets.UTF_8);
            boolean isTagged = out.results.containsKey(id);
            ConsumerRecord<byte[], byte[]> dead = out.dead.get(id);
            assertThat(isTagged ^ dead != null).as("%s is exactly one of result / dead letter", id).isTrue();
            if (dead != null) {
                assertThat(header(dead, DeadLetterSerializer.STAGE)).as(id).isEqualTo("timeout");
                assertThat(header(dead, DeadLetterSerializer.EXCEPTION_CLASS)).isEqualTo("java.util.concurrent.TimeoutException");
                assertThat(dead.value()).isEqualTo(r.value());
                timedOut++;
            } else if (id.startsWith("digit-")) {
                assertThat(out.results.get(id).getLabels().get(0).getLabel()).as(id).isEqualTo(expectedLabel.get(id));
                taggedDigits++;
            }
        }
        System.out.printf("%d events (%d of them %d-byte 5000 x 5000 JPEGs) with async.timeout 100 ms: %d tagged, "
                        + "%d dead-lettered with stage timeout, %d duplicated, %d lost, 0 job restarts%n",
                records.size(), hugeIds.size(), huge.length, out.results.size(), timedOut, out.duplicates,
                records.size() - out.results.size() - out.dead.size());
        assertThat(out.duplicates).as("a timed-out record must not also produce a result").isZero();
        assertThat(out.results.size() + out.dead.size()).isEqualTo(records.size());
        for (String id : hugeIds) {
            assertThat(out.dead).as("the stalled %s", id).containsKey(id);
        }
        assertThat(taggedDigits).as("digits tagged once the stall is over").isPositive();
    }

    /** Results and dead letters by event id (Kafka key), read committed; duplicates counted, not kept. */
    private static final class Outcomes {
        final Map<String, TaggedImage> results = new HashMap<>();
        final Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
        int duplicates;
    }

    private static Outcomes run(String input, List<ProducerRecord<byte[], byte[]>> records, Map<String, String> settings)
            throws Exception {
        String results = RESULTS + "-" + input;
        String deadLetters = DEAD + "-" + input;
        String metrics = METRICS + "-" + input;
        KAFKA.createTopics(2, input, results, deadLetters, metrics);
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);

        Map<String, String> overrides = JobFixtures.boundedJob(KAFKA.bootstrapServers(), input);
        overrides.put("kafka.input-topic", input);
        overrides.put("kafka.results-topic", results);
        overrides.put("kafka.dead-letter-topic", deadLetters);
        overrides.put("kafka.metrics-topic", metrics);
        overrides.put("metrics.window", "1 s");
        overrides.put("model.device", "cpu");
        overrides.putAll(settings);
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, overrides));
        TopicPreflight.check(spec);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        env.execute(input); // restart-strategy none: a failed task would throw here

        Outcomes out = new Outcomes();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), results, true)) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            out.duplicates += out.results.put(t.getEventId(), t) != null ? 1 : 0;
        }
        for (ConsumerRecord<byte[], byte[]> d : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), deadLetters, true)) {
            String id = new String(d.key(), StandardCharsets.UTF_8);
            out.duplicates += out.dead.put(id, d) != null || out.results.containsKey(id) ? 1 : 0;
        }
        return out;
    }

    private static BufferedImage gradient(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] data = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int y = 0, i = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                data[i++] = (byte) (x / 20);
                data[i++] = (byte) (y / 20);
                data[i++] = (byte) ((x + y) / 40);
            }
        }
        return img;
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
