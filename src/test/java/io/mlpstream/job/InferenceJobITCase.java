package io.mlpstream.job;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.LatencyReportSerializer;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.INPUT;
import static io.mlpstream.testutils.JobFixtures.METRICS;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole path against a real in-process KRaft broker and a Flink MiniCluster: digit events in,
 * exactly one read_committed result per event out, each label equal to an offline ORT prediction of
 * the same image, consistent latency fields, real batching, and bad events in the dead-letter topic.
 */
class InferenceJobITCase {
    private static final int DIGITS = 600;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS)
            .expectAllClientsClosed();

    @AfterAll
    static void noSessionLeft() {
        assertThat(SharedSessions.openSessions()).as("ORT sessions left open after the job").isZero();
    }

    @Test
    void everyEventIsTaggedOrDeadLetteredExactlyOnce() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        LoadedModel model = ModelSource.load("mixer-digits");
        Map<String, String> expectedLabel = new LinkedHashMap<>();
        Map<String, Integer> trueLabel = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < DIGITS; i++) {
            int index = (i * 7) % digits.size();
            byte[] png = digits.png(index);
            String id = "digit-" + i;
            images.add(png);
            trueLabel.put(id, digits.label(index));
            records.add(record(id, png, "image/png"));
        }
        List<String> reference = TestEvents.referenceLabels(images);
        for (int i = 0; i < DIGITS; i++) {
            expectedLabel.put("digit-" + i, reference.get(i));
        }
        byte[] png = digits.png(0);
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        records.add(100, record("corrupt-png", truncated, "image/png"));
        ProducerRecord<byte[], byte[]> notAvro = new ProducerRecord<>(INPUT, "not-avro".getBytes(StandardCharsets.UTF_8),
                "this is not an ImageEvent".getBytes(StandardCharsets.UTF_8));
        notAvro.headers().add("trace-id", "t-42".getBytes(StandardCharsets.UTF_8));
        records.add(300, notAvro);
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);

        Map<String, String> overrides = JobFixtures.boundedJob(KAFKA.bootstrapServers(), "itcase");
        overrides.put("batch.max-size", "16");
        overrides.put("batch.max-delay", "20 ms");
        overrides.put("metrics.window", "1 s");
        overrides.put("model.device", "cpu");
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, overrides));
        TopicPreflight.check(spec);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        long start = System.nanoTime();
        env.execute("itcase");
        System.out.printf("%d events through the job in %.1f s%n", records.size(), (System.nanoTime() - start) / 1e9);

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        List<ConsumerRecord<byte[], byte[]>> metrics = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), METRICS, true);

        // exactly one result per digit event, each with the offline prediction
        assertThat(results).hasSize(DIGITS);
        Set<String> ids = new HashSet<>();
        int batched = 0;
        int correct = 0;
        for (ConsumerRecord<byte[], byte[]> r : results) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(t.getEventId());
            assertThat(ids.add(t.getEventId())).as("duplicate result for %s", t.getEventId()).isTrue();
            assertThat(t.getLabels().get(0).getLabel()).as("label of %s", t.getEventId()).isEqualTo(expectedLabel.get(t.getEventId()));
            assertThat(t.getLabels()).hasSize(3);
            assertThat(t.getModelName()).isEqualTo("mixer-digits");
            assertThat(t.getModelSha256()).isEqualTo(model.card().sha256());
            assertThat(t.getLatency().getInferenceUs()).isPositive();
            assertThat(t.getLatency().getPreprocessUs()).isPositive();
            assertThat(t.getLatency().getQueueWaitUs()).isNotNegative();
            assertThat(t.getLatency().getEndToEndUs()).isGreaterThanOrEqualTo(t.getLatency().getInferenceUs());
            assertThat(t.getBatchSize()).isBetween(1, 16);
            batched += t.getBatchSize() > 1 ? 1 : 0;
            correct += t.getLabels().get(0).getLabel().equals(String.valueOf(trueLabel.get(t.getEventId()))) ? 1 : 0;
        }
        assertThat(ids).isEqualTo(expectedLabel.keySet());
        assertThat(batched).as("results that shared a batch with others").isGreaterThan(DIGITS / 2);
        System.out.printf("%d tagged (accuracy %.4f), %d in batches > 1, %d dead letters%n",
                results.size(), correct / (double) DIGITS, batched, dead.size());

        // the two bad events are dead letters with their original bytes and the reason
        assertThat(dead).hasSize(2);
        Map<String, ConsumerRecord<byte[], byte[]>> byKey = new HashMap<>();
        dead.forEach(d -> byKey.put(new String(d.key(), StandardCharsets.UTF_8), d));
        ConsumerRecord<byte[], byte[]> corrupt = byKey.get("corrupt-png");
        assertThat(corrupt).isNotNull();
        assertThat(corrupt.value()).isEqualTo(records.get(100).value());
        assertThat(header(corrupt, DeadLetterSerializer.STAGE)).isEqualTo("decode");
        assertThat(header(corrupt, DeadLetterSerializer.EXCEPTION_CLASS)).isEqualTo("io.mlpstream.core.image.ImageRejectedException");
        assertThat(header(corrupt, DeadLetterSerializer.EXCEPTION_MESSAGE)).isNotBlank();
        assertThat(header(corrupt, DeadLetterSerializer.TOPIC)).isEqualTo(INPUT);
        assertThat(header(corrupt, DeadLetterSerializer.OFFSET)).isNotNull();
        ConsumerRecord<byte[], byte[]> garbage = byKey.get("not-avro");
        assertThat(garbage.value()).isEqualTo(notAvro.value());
        assertThat(header(garbage, DeadLetterSerializer.STAGE)).isEqualTo("deserialize");
        assertThat(header(garbage, DeadLetterSerializer.EXCEPTION_MESSAGE)).contains("not Avro single-object encoding");
        assertThat(header(garbage, "trace-id")).isEqualTo("t-42");
        System.out.println("dead letter: " + header(corrupt, DeadLetterSerializer.EXCEPTION_MESSAGE));

        // latency reports account for every outcome
        long reported = 0;
        long reportedDead = 0;
        for (ConsumerRecord<byte[], byte[]> m : metrics) {
            LatencyReport report = LatencyReportSerializer.decode(m.value());
            reported += report.getCount();
            reportedDead += report.getDeadLetters();
            assertThat(report.getStages()).hasSize(5);
        }
        assertThat(reported).isEqualTo(DIGITS);
        assertThat(reportedDead).isEqualTo(2);

        assertThat(SharedSessions.openSessions()).as("ORT sessions left open after the job").isZero();
    }

    private static ProducerRecord<byte[], byte[]> record(String id, byte[] image, String contentType) {
        return new ProducerRecord<>(INPUT, id.getBytes(StandardCharsets.UTF_8), TestEvents.encoded(id, image, contentType, "itcase"));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
