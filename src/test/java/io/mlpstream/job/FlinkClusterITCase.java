package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkProcessCluster;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.LoggedProcess;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job jar on a real multi-process Flink cluster: a JobManager and a TaskManager as separate JVMs
 * started from the Flink jars alone (the job's classes, the Kafka connector and ONNX Runtime come only
 * from the shaded job jar, so this also proves the jar deploys), the jar submitted with the Flink CLI.
 * While digit events stream in, the TaskManager is killed with SIGKILL and a new one started; the job
 * recovers from its last checkpoint and every event is tagged exactly once (read_committed).
 *
 * <p>{@code -Dmlpstream.cluster.events=N} and {@code -Dmlpstream.cluster.rate=R} scale the run.
 */
class FlinkClusterITCase {
    private static final int EVENTS = Integer.getInteger("mlpstream.cluster.events", 3000);
    private static final int RATE = Integer.getInteger("mlpstream.cluster.rate", 200);
    private static final String INPUT = "images";
    private static final String RESULTS = "tags";
    private static final String DEAD = "dead-letter";
    private static final String METRICS = "inference-metrics";
    private static final Path JOB_JAR = Path.of("target", "mlpstream-0.1.0-SNAPSHOT-job.jar");
    private static final Path JOB_CONFIG = Path.of("jobs", "digits-tagging.yaml");
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);
    /** The killed TaskManager's open transactions time out after this at the latest (the broker aborts them). */
    private static final String TRANSACTION_TIMEOUT = "60 s";
    private static final Duration RESULTS_TIMEOUT = Duration.ofSeconds(150);

    private static EmbeddedKafkaBroker broker;
    private static FlinkProcessCluster cluster;
    private static LoggedProcess firstTaskManager;
    private static double clusterStartupSeconds;

    @BeforeAll
    static void startBrokerAndCluster() {
        broker = EmbeddedKafkaBroker.builder().build().start();
        broker.createTopics(2, INPUT, RESULTS, DEAD, METRICS);
        List<Path> flinkClasspath = FlinkProcessCluster.classpathFromFiles(Path.of("target", "flink-classpath"));
        // the job's code must reach the cluster only inside the job jar
        assertThat(flinkClasspath).as("cluster classpath").noneMatch(jar -> Stream.of("onnxruntime", "flink-connector-kafka",
                "kafka-clients", "avro-", "mlpstream").anyMatch(jar.getFileName().toString()::startsWith));
        cluster = FlinkProcessCluster.builder()
                .classpath(flinkClasspath)
                .jvmOptions(jdkOpensOfThisJvm())
                .config("execution.checkpointing.interval", "1 s")
                .config("restart-strategy.type", "fixed-delay")
                .config("restart-strategy.fixed-delay.attempts", "10")
                .config("restart-strategy.fixed-delay.delay", "2 s")
                .logDir(Path.of("target", "flink-cluster-itcase"))
                .build();
        long start = System.nanoTime();
        try {
            cluster.startJobManager();
            firstTaskManager = cluster.startTaskManager();
            cluster.awaitTaskManagers(1, STARTUP_TIMEOUT);
        } catch (RuntimeException | AssertionError e) {
            System.out.println("Flink cluster did not start; process logs are in target/flink-cluster-itcase/. Their tails:\n"
                    + cluster.logTails(60));
            throw e;
        }
        clusterStartupSeconds = seconds(start);
    }

    @AfterAll
    static void stopClusterAndBroker() {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void killedTaskManagerLosesAndDuplicatesNothing() throws Exception {
        try {
            runAndCheck();
        } catch (Exception | AssertionError e) {
            System.out.println("FlinkClusterITCase failed; process logs are in target/flink-cluster-itcase/. Their tails:\n"
                    + cluster.logTails(80));
            throw e;
        }
    }

    private void runAndCheck() throws Exception {
        long submitStart = System.nanoTime();
        String jobId = cluster.submit(JOB_JAR, jobArguments(), STARTUP_TIMEOUT);
        cluster.awaitCondition("job " + jobId + " and all its tasks to be RUNNING", STARTUP_TIMEOUT,
                () -> cluster.isJobFullyRunning(jobId));
        System.out.printf("job %s submitted with the Flink CLI and running in %.1f s%n", jobId, seconds(submitStart));

        DigitsDataset dataset = DigitsDataset.loadBundled();
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .bootstrapServers(broker.bootstrapServers())
                .topic(INPUT)
                .dataset(dataset)
                .numEvents(EVENTS)
                .eventsPerSecond(RATE)
                .build()
                .start()) {
            // mid-stream, after checkpoints (and so committed transactions) exist to recover from
            cluster.awaitCondition("a third of the events acknowledged and 2 completed checkpoints", RECOVERY_TIMEOUT,
                    () -> producer.progress().acked() >= EVENTS / 3 && cluster.completedCheckpoints(jobId) >= 2);
            long ackedAtKill = producer.progress().acked();
            long killedAt = System.nanoTime();
            cluster.kill(firstTaskManager);
            LoggedProcess secondTaskManager = cluster.startTaskManager();
            cluster.awaitCondition("job " + jobId + " to restart on " + secondTaskManager.name(), RECOVERY_TIMEOUT,
                    () -> cluster.jobMetric(jobId, "numRestarts") >= 1 && cluster.isJobFullyRunning(jobId));
            System.out.printf("killed %s (SIGKILL) after %d of %d events were produced; job running again on %s %.1f s later%n",
                    firstTaskManager.name(), ackedAtKill, EVENTS, secondTaskManager.name(), seconds(killedAt));

            assertThat(producer.awaitCompletion(Duration.ofSeconds(60 + EVENTS / Math.max(1, RATE))))
                    .as("producer finished: %s", producer.progress()).isTrue();
            assertThat(producer.progress().failed()).as("events the broker did not acknowledge").isZero();
        }

        // complete = every event has a committed result; a transaction the killed TaskManager left open
        // blocks read_committed readers until recovery aborts it or it times out (kafka.transaction-timeout)
        long producedAt = System.nanoTime();
        cluster.awaitCondition(EVENTS + " committed results in '" + RESULTS + "'", RESULTS_TIMEOUT,
                () -> KafkaTestUtils.drainAllRecordsFromTopic(broker.bootstrapServers(), RESULTS, true).size() >= EVENTS);
        System.out.printf("all results committed %.1f s after the last event was produced%n", seconds(producedAt));
        long restarts = cluster.jobMetric(jobId, "numRestarts");
        cluster.cancel(jobId, STARTUP_TIMEOUT);

        List<String> resultIds = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(broker.bootstrapServers(), RESULTS, true)) {
            resultIds.add(TaggedImageSerializer.decode(r.value()).getEventId());
        }
        List<String> deadLetterKeys = KafkaTestUtils.drainAllRecordsFromTopic(broker.bootstrapServers(), DEAD, true).stream()
                .map(FlinkClusterITCase::key)
                .collect(Collectors.toList());
        Set<String> expected = expectedIds(dataset.size());
        Map<String, Long> counts = resultIds.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
        List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toList());
        Set<String> lost = new LinkedHashSet<>(expected);
        lost.removeAll(counts.keySet());
        Set<String> unexpected = new LinkedHashSet<>(counts.keySet());
        unexpected.removeAll(expected);

        System.out.printf("%d events through a 2-process cluster, TaskManager killed once: %d lost, %d duplicated "
                        + "(cluster start-up %.1f s, %d job restart(s), %d dead letters)%n",
                EVENTS, lost.size(), duplicated.size(), clusterStartupSeconds, restarts, deadLetterKeys.size());
        reportNativeLibrariesLeftBy(firstTaskManager);

        assertThat(restarts).as("job restarts after the TaskManager was killed").isGreaterThanOrEqualTo(1);
        assertThat(deadLetterKeys).as("dead letters (all events are valid digits)").isEmpty();
        assertThat(lost).as("events without a committed result").isEmpty();
        assertThat(duplicated).as("events with more than one committed result").isEmpty();
        assertThat(unexpected).as("results for events never produced").isEmpty();
        assertThat(resultIds).hasSize(EVENTS);
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private List<String> jobArguments() {
        List<String> args = new ArrayList<>(List.of("--config", JOB_CONFIG.toAbsolutePath().toString()));
        Map<String, String> overrides = new TreeMap<>(Map.of(
                "kafka.bootstrap-servers", broker.bootstrapServers(),
                "kafka.starting-offsets", "earliest",
                "kafka.group-id", "cluster-itcase",
                "kafka.transactional-id-prefix", "cluster-itcase-" + System.nanoTime(),
                "kafka.transaction-timeout", TRANSACTION_TIMEOUT,
                "job.name", "cluster itcase",
                "job.parallelism", "2",
                "job.checkpoint-interval", "1 s",
                "model.device", "cpu"));
        overrides.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
        return args;
    }

    /** The ids DigitEventProducer gives events 0..EVENTS-1. */
    private static Set<String> expectedIds(int datasetSize) {
        Set<String> ids = new LinkedHashSet<>();
        for (int k = 0; k < EVENTS; k++) {
            ids.add("digit-" + k / datasetSize + "-" + k % datasetSize);
        }
        return ids;
    }

    /** Flink's JDK 17 --add-opens/--add-exports, as failsafe gave them to this JVM (pom property flink.jvm.opens). */
    static String jdkOpensOfThisJvm() {
        String opens = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports"))
                .collect(Collectors.joining(" "));
        assertThat(opens).as("--add-opens of this JVM (failsafe's argLine ${flink.jvm.opens})").isNotBlank();
        return opens;
    }

    /** A SIGKILLed JVM cannot delete ONNX Runtime's extracted native library; its private tmpdir goes with the cluster. */
    private static void reportNativeLibrariesLeftBy(LoggedProcess taskManager) throws IOException {
        Path tmp = cluster.workDir().resolve("tmp-" + taskManager.name());
        try (Stream<Path> entries = Files.list(tmp)) {
            long left = entries.filter(p -> p.getFileName().toString().startsWith("onnxruntime-java")).count();
            System.out.printf("%s left %d ONNX Runtime native librar%s in its java.io.tmpdir (deleted with the cluster)%n",
                    taskManager.name(), left, left == 1 ? "y" : "ies");
        }
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? "(no key)" : new String(r.key(), StandardCharsets.UTF_8);
    }
}
