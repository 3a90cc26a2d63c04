package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cancel a running job and submit it again — the usual way to change the model or a setting — while the async operator
 * holds records. The source commits the group's offsets on every checkpoint, past the records the operator still holds,
 * and their results sit in a transaction the cancel aborts: a fresh start from the committed offsets loses them (shown
 * first, as it happens). The job therefore keeps its last checkpoint when cancelled, and a new submission resumes from
 * it ({@code job.resume-from=latest}, the default): nothing lost, nothing duplicated, over five cancel-and-redeploy
 * cycles during one stream, each with other settings and another parallelism.
 */
class CancelRedeployITCase {
    private static final int STREAM_EVENTS = JobFixtures.events(3_000);
    private static final double EVENTS_PER_SECOND = 200;
    private static final int CYCLES = 5;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics();

    private static DigitsDataset digits;

    @TempDir
    Path checkpoints;

    @BeforeAll
    static void loadDigits() throws Exception {
        digits = DigitsDataset.loadBundled();
    }

    @Test
    void aFreshStartAfterCancelLosesTheRecordsTheOperatorHeldAtTheLastCheckpoint() throws Exception {
        Held held = cancelWhileTwentyRecordsAreHeld("fresh");
        JobClient second = submit(held.options(Map.of("job.resume-from", "none", "batch.max-delay", "20 ms")));
        try {
            produce(held.topics, 20, 1);
            awaitResult(held.topics, "e-20", second);
        } finally {
            FlinkMiniCluster.cancel(second);
        }
        DeliveryAudit audit = audit(held.topics, 21);
        System.out.printf("cancel, then a fresh start from the committed offsets: %s%n", audit);
        assertThat(audit.lost()).as("the 20 records held at the last checkpoint are lost").isEqualTo(20);
        assertThat(audit.duplicates()).isZero();
    }

    @Test
    void resumingFromTheRetainedCheckpointLosesNothing() throws Exception {
        Held held = cancelWhileTwentyRecordsAreHeld("resume");
        JobClient second = submit(held.options(Map.of("batch.max-delay", "20 ms"))); // job.resume-from=latest by default
        try {
            produce(held.topics, 20, 1);
            try (CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), held.topics.results)) {
                watcher.awaitDistinctKeys(21, Duration.ofSeconds(120), () -> FlinkMiniCluster.notRunning(second));
            }
        } finally {
            FlinkMiniCluster.cancel(second);
        }
        DeliveryAudit audit = audit(held.topics, 21);
        System.out.printf("cancel, then resume from the retained checkpoint: %s%n", audit);
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    @Test
    void aCheckpointTakenOnADeletedTopicIsNotResumedOnTheNewTopicOfTheSameName() throws Exception {
        Held held = cancelWhileTwentyRecordsAreHeld("recreated");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            admin.deleteTopics(List.of(held.topics.input)).all().get(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(held.topics.input)) {
                assertThat(System.nanoTime()).as("topic %s deleted", held.topics.input).isLessThan(deadline);
                Thread.sleep(100); // polling the broker's topic deletion
            }
        }
        KAFKA.createTopics(2, held.topics.input);
        produce(held.topics, 100, 20); // e-100 .. e-119, 10 per partition: the old checkpoint's offsets would skip them all
        JobClient second = submit(held.options(Map.of("batch.max-delay", "20 ms")));
        try (CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), held.topics.results)) {
            watcher.awaitDistinctKeys(20, Duration.ofSeconds(120), () -> FlinkMiniCluster.notRunning(second));
        } finally {
            FlinkMiniCluster.cancel(second);
        }
        List<String> ids = new ArrayList<>();
        for (int i = 100; i < 120; i++) {
            ids.add("e-" + i);
        }
        DeliveryAudit audit = DeliveryAudit.of(ids,
                KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), held.topics.results, true));
        System.out.printf("the input topic deleted and created again, then a resubmission: %s%n", audit);
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    @Test
    void fiveCancelAndRedeployCyclesDuringOneStreamLoseAndDuplicateNothing() throws Exception {
        Topics topics = Topics.create("cycles");
        List<String> ids = JobFixtures.digitEventIds(STREAM_EVENTS, digits);
        long start = System.nanoTime();
        try (DigitEventProducer producer = DigitEventProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .topic(topics.input).dataset(digits).numEvents(STREAM_EVENTS).eventsPerSecond(EVENTS_PER_SECOND).build().start();
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), topics.results)) {
            for (int cycle = 0; cycle <= CYCLES; cycle++) {
                Map<String, String> options = topics.options(checkpoints, "cycles");
                // each redeploy changes something, as a real one would: parallelism and batching
                options.put("job.parallelism", Integer.toString(cycle % 2 == 0 ? 2 : 1));
                options.put("batch.max-size", cycle % 2 == 0 ? "16" : "32");
                options.put("batch.max-delay", cycle % 2 == 0 ? "50 ms" : "200 ms");
                JobClient job = submit(spec(options));
                try {
                    if (cycle < CYCLES) {
                        int target = Math.min(STREAM_EVENTS - 1, watcher.distinctKeys() + STREAM_EVENTS / (CYCLES + 2));
                        watcher.awaitDistinctKeys(target, Duration.ofSeconds(120), () -> FlinkMiniCluster.notRunning(job));
                        System.out.printf("cycle %d: %d results committed, %d events sent; cancelling%n",
                                cycle, watcher.distinctKeys(), producer.progress().sent());
                    } else {
                        watcher.awaitDistinctKeys(STREAM_EVENTS, Duration.ofSeconds(180), () -> FlinkMiniCluster.notRunning(job));
                    }
                } finally {
                    FlinkMiniCluster.cancel(job);
                }
            }
            assertThat(producer.progress().failed()).isZero();
        }
        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), topics.results, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), topics.dead, true);
        DeliveryAudit audit = DeliveryAudit.of(ids, results);
        System.out.printf("%d cancel-and-redeploy cycles during %d events: %s (%d dead letters, %.1f s)%n",
                CYCLES, STREAM_EVENTS, audit, dead.size(), (System.nanoTime() - start) / 1e9);
        assertThat(dead).as("dead letters").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    /** The topics of one test, and the job options that read and write them. */
    private record Topics(String input, String results, String dead, String metrics) {
        static Topics create(String name) {
            Topics t = new Topics("images-" + name, "tags-" + name, "dead-" + name, "metrics-" + name);
            KAFKA.createTopics(2, t.input, t.results, t.dead, t.metrics);
            return t;
        }

        Map<String, String> options(Path checkpoints, String name) {
            Map<String, String> o = JobFixtures.unboundedJob(KAFKA.bootstrapServers(), name);
            o.put("kafka.input-topic", input);
            o.put("kafka.results-topic", results);
            o.put("kafka.dead-letter-topic", dead);
            o.put("kafka.metrics-topic", metrics);
            o.put("kafka.starting-offsets", "committed");
            o.put("kafka.transactional-id-prefix", name); // the same job across redeploys
            o.put("job.checkpoint-dir", checkpoints.toUri().toString());
            o.put("job.checkpoint-interval", "300 ms");
            return o;
        }
    }

    /** A job cancelled while its operator held 20 records that a completed checkpoint also holds. */
    private record Held(Topics topics, Map<String, String> base) {
        InferenceJobSpec options(Map<String, String> changes) {
            Map<String, String> o = new java.util.LinkedHashMap<>(base);
            o.putAll(changes);
            return spec(o);
        }
    }

    /**
     * Sends 20 events to a job whose batches wait 10 minutes to fill, waits until a checkpoint completed after the
     * source read all 20 (the group's committed offsets reach them), and cancels: all 20 were in the operator, in that
     * checkpoint, and have no result.
     */
    private Held cancelWhileTwentyRecordsAreHeld(String name) throws Exception {
        Topics topics = Topics.create(name);
        Map<String, String> base = topics.options(checkpoints, name);
        base.put("kafka.group-id", name);
        base.put("job.parallelism", "1");
        Map<String, String> holding = new java.util.LinkedHashMap<>(base);
        holding.put("batch.max-size", "1000");
        holding.put("batch.max-delay", "10 min");
        holding.put("async.timeout", "20 min");
        JobClient first = submit(spec(holding));
        try {
            produce(topics, 0, 20);
            awaitCommittedOffsets(name, topics.input, 20, first);
            assertThat(KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), topics.results, true))
                    .as("no results yet: the batch waits to fill").isEmpty();
        } finally {
            FlinkMiniCluster.cancel(first);
        }
        return new Held(topics, base);
    }

    private static InferenceJobSpec spec(Map<String, String> options) {
        return InferenceJobSpec.from(JobConfig.load(null, options));
    }

    private static JobClient submit(InferenceJobSpec spec) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        return env.executeAsync(spec.jobName());
    }

    private static void produce(Topics topics, int from, int count) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String id = "e-" + i;
            records.add(new ProducerRecord<>(topics.input, i % 2, id.getBytes(StandardCharsets.UTF_8),
                    TestEvents.encoded(id, digits.png(i), "image/png")));
        }
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);
    }

    private static void awaitCommittedOffsets(String group, String topic, long total, JobClient job) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            long committed = 0;
            while (committed < total) {
                assertThat(FlinkMiniCluster.notRunning(job)).as("the first job runs").isNull();
                assertThat(System.nanoTime()).as("group %s committed %s of %s offsets", group, committed, total).isLessThan(deadline);
                Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group,
                        new ListConsumerGroupOffsetsOptions()).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                committed = offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                        .mapToLong(e -> e.getValue().offset()).sum();
                Thread.sleep(100); // polling a condition owned by another process
            }
        }
    }

    private static void awaitResult(Topics topics, String id, JobClient job) {
        try (CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), topics.results)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!watcher.seen(id)) {
                assertThat(FlinkMiniCluster.notRunning(job)).as("the second job runs").isNull();
                assertThat(System.nanoTime()).as("a committed result for %s", id).isLessThan(deadline);
                watcher.poll(Duration.ofMillis(200));
            }
        }
    }

    private static DeliveryAudit audit(Topics topics, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("e-" + i);
        }
        return DeliveryAudit.of(ids, KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), topics.results, true));
    }
}
