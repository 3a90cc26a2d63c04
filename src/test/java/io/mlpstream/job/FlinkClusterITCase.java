package io.mlpstream.job;

import io.mlpstream.core.model.ModelSource;
import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.job.metrics.ResultLatencies;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.flink.InferenceMetrics;
import io.mlpstream.testutils.FlinkConfigFile;
import io.mlpstream.testutils.FlinkProcessCluster;
import io.mlpstream.testutils.GrafanaDashboard;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.LoggedProcess;
import io.mlpstream.testutils.PoisonPills;
import io.mlpstream.testutils.PrometheusServer;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

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
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.INPUT;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The job jar on a real multi-process Flink cluster: a JobManager and a TaskManager as separate JVMs
 * started from the Flink jars alone (the job's classes, the Kafka connector and ONNX Runtime come only
 * from the shaded job jar, so this also proves the jar deploys), the jar submitted with the Flink CLI.
 * The cluster runs with the settings every deployment shares ({@value FlinkConfigFile#PATH}: restart
 * strategy, checkpoint retention, the Prometheus reporter) and the Prometheus reporter from a
 * {@code plugins/} folder, as the Flink image has it.
 *
 * <p>First, while digit events stream in, the TaskManager is killed with SIGKILL and a new one started;
 * the job recovers from its last checkpoint and every event is tagged exactly once (read_committed).
 * Then, on the job still running, a real Prometheus (scraping every JobManager and TaskManager since the
 * start) must show the operator's metrics with the model's name and version as labels, dead letters by
 * stage for a handful of bad records, the restart and the checkpoints; every query of the Grafana
 * dashboard ({@value GrafanaDashboard#PATH}) must read only series it saw and return data, and so must
 * every series name docs/deploy.md lists. The names it saw go to {@value #SERIES_SEEN}. This second test
 * is skipped, saying so, only when the {@code prometheus} binary is not installed.
 *
 * <p>{@code -Dmlpstream.cluster.events=N} and {@code -Dmlpstream.cluster.rate=R} scale the run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkClusterITCase {
    private static final int EVENTS = Integer.getInteger("mlpstream.cluster.events", 3000);
    private static final int RATE = Integer.getInteger("mlpstream.cluster.rate", 200);
    private static final Path JOB_JAR = Path.of("target", "mlpstream-0.1.0-SNAPSHOT-job.jar");
    private static final Path JOB_CONFIG = Path.of("jobs", "digits-tagging.yaml");
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);
    /** The killed TaskManager's open transactions time out after this at the latest (the broker aborts them). */
    private static final String TRANSACTION_TIMEOUT = "60 s";
    private static final Duration RESULTS_TIMEOUT = Duration.ofSeconds(150);
    private static final Duration METRICS_TIMEOUT = Duration.ofSeconds(120);
    /** The Prometheus reporter's port range: the JobManager takes the first free one, each TaskManager the next. */
    private static final int METRICS_PORTS = 4;
    static final String SERIES_SEEN = "target/prometheus-series.txt";
    private static final String OPERATOR_SERIES = "flink_taskmanager_job_task_operator_" + InferenceMetrics.GROUP + "_"
            + InferenceMetrics.MODEL + "_" + InferenceMetrics.VERSION + "_";
    private static final Path DEPLOY_DOC = Path.of("docs", "deploy.md");

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    private static FlinkProcessCluster cluster;
    private static LoggedProcess firstTaskManager;
    private static double clusterStartupSeconds;
    /** Null when the prometheus binary is not installed. */
    private static PrometheusServer prometheus;
    /** The job the first test leaves running for the second; null until then. */
    private static String runningJobId;
    private static long firstTestStart;

    @BeforeAll
    static void startCluster() {
        List<Path> flinkClasspath = FlinkProcessCluster.classpathFromFiles(Path.of("target", "flink-classpath"));
        // the job's code must reach the cluster only inside the job jar
        assertThat(flinkClasspath).as("cluster classpath").noneMatch(jar -> Stream.of("onnxruntime", "flink-connector-kafka",
                "kafka-clients", "avro-", "mlpstream").anyMatch(jar.getFileName().toString()::startsWith));
        Map<String, String> shared = FlinkConfigFile.shared();
        int firstMetricsPort = FlinkProcessCluster.freePortRange(METRICS_PORTS);
        FlinkProcessCluster.Builder builder = FlinkProcessCluster.builder()
                .classpath(flinkClasspath)
                .jvmOptions(jdkOpensOfThisJvm())
                .pluginsDir(Path.of("target", "flink-plugins"))
                .slotsPerTaskManager(Integer.parseInt(shared.get("taskmanager.numberOfTaskSlots")))
                .logDir(Path.of("target", "flink-cluster-itcase"));
        shared.forEach(builder::config);
        // what this machine needs differently: several JVMs on one host, so a port range instead of the one port
        builder.config("metrics.reporter.prom.port", firstMetricsPort + "-" + (firstMetricsPort + METRICS_PORTS - 1));
        cluster = builder.build();
        Optional<Path> prometheusBinary = PrometheusServer.binary();
        if (prometheusBinary.isPresent()) {
            prometheus = PrometheusServer.start(prometheusBinary.get(), cluster.workDir().resolve("prometheus"),
                    Path.of("target", "flink-cluster-itcase"), "flink", IntStream.range(0, METRICS_PORTS)
                            .mapToObj(i -> "127.0.0.1:" + (firstMetricsPort + i)).collect(Collectors.toList()));
        }
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
    static void stopCluster() {
        try {
            if (prometheus != null) {
                prometheus.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    @Order(1)
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
        firstTestStart = submitStart;
        String jobId = cluster.submit(JOB_JAR, jobArguments(), STARTUP_TIMEOUT);
        cluster.awaitCondition("job " + jobId + " and all its tasks to be RUNNING", STARTUP_TIMEOUT,
                () -> cluster.isJobFullyRunning(jobId));
        System.out.printf("job %s submitted with the Flink CLI and running in %.1f s%n", jobId, seconds(submitStart));

        DigitsDataset dataset = DigitsDataset.loadBundled();
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .bootstrapServers(KAFKA.bootstrapServers())
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
                () -> KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true).size() >= EVENTS);
        System.out.printf("all results committed %.1f s after the last event was produced%n", seconds(producedAt));
        long restarts = cluster.jobMetric(jobId, "numRestarts");
        runningJobId = jobId; // left running for the metrics test; the cluster goes with the class

        List<String> resultIds = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true)) {
            resultIds.add(TaggedImageSerializer.decode(r.value()).getEventId());
        }
        List<String> deadLetterKeys = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true).stream()
                .map(FlinkClusterITCase::key)
                .collect(Collectors.toList());
        Set<String> expected = new LinkedHashSet<>(JobFixtures.digitEventIds(EVENTS, dataset));
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

    @Test
    @Order(2)
    void prometheusSeesTheOperatorByModelAndVersionAndEveryDashboardQueryHasData() throws Exception {
        assumeTrue(prometheus != null, "prometheus is not installed (Debian: apt-get install prometheus; .ci/run installs "
                + "it): the Prometheus and Grafana dashboard checks are skipped");
        assumeTrue(runningJobId != null, "the job the first test leaves running is not there (that test failed)");
        try {
            checkPrometheus();
        } catch (Exception | AssertionError e) {
            System.out.println("FlinkClusterITCase's metrics test failed; Prometheus targets " + prometheus.targetHealth()
                    + "; restarts " + prometheus.query("flink_jobmanager_job_numRestarts") + "; failures "
                    + prometheus.query(OPERATOR_SERIES + InferenceMetrics.FAILURES) + "; by stage "
                    + prometheus.query(OPERATOR_SERIES + InferenceMetrics.STAGE + "_" + InferenceMetrics.FAILURES)
                    + "; its log:\n" + prometheus.logTail(40) + "\nthe cluster's logs:\n" + cluster.logTails(40));
            throw e;
        }
    }

    private void checkPrometheus() throws Exception {
        // bad records, dead-lettered at stages the operator knows (decode) and one the job's imageBytes names (deserialize)
        List<PoisonPills.Pill> pills = PoisonPills.corpus(DigitsDataset.loadBundled()).stream()
                .filter(p -> p.fate() == PoisonPills.Fate.DEAD_LETTER)
                .collect(Collectors.toList());
        Map<String, Long> expectedByStage = pills.stream()
                .collect(Collectors.groupingBy(PoisonPills.Pill::stage, TreeMap::new, Collectors.counting()));
        assertThat(expectedByStage).as("stages of the bad records").containsKeys("decode", "deserialize");
        double restartsBefore = prometheus.sum("flink_jobmanager_job_numRestarts");
        long sentAt = System.nanoTime();
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), pills.stream()
                .map(p -> new ProducerRecord<>(INPUT, p.name().getBytes(StandardCharsets.UTF_8), p.value()))
                .collect(Collectors.toList()));

        String model = "mixer-digits";
        String version = ModelSource.load(model).card().versionOrDefault();
        String labels = "{model=\"" + model + "\",version=\"" + version + "\"}";
        String failuresByStage = OPERATOR_SERIES + InferenceMetrics.STAGE + "_" + InferenceMetrics.FAILURES;
        // Counters start again at 0 in each task attempt (new series). Each series' highest value since the records
        // were sent, summed, is their exact count; should the job restart meanwhile, replayed records count twice.
        cluster.awaitCondition("Prometheus to count the " + pills.size() + " bad records, by stage " + expectedByStage
                + " and in total", METRICS_TIMEOUT, () -> {
                    boolean restarted = prometheus.sum("flink_jobmanager_job_numRestarts") > restartsBefore;
                    Map<String, Double> counted = new TreeMap<>();
                    expectedByStage.keySet().forEach(stage -> counted.put(stage, prometheus.sum(sinceSent(failuresByStage
                            + "{model=\"" + model + "\",version=\"" + version + "\",stage=\"" + stage + "\"}", sentAt))));
                    counted.put("all", prometheus.sum(sinceSent(OPERATOR_SERIES + InferenceMetrics.FAILURES + labels, sentAt)));
                    Map<String, Long> expected = new TreeMap<>(expectedByStage);
                    expected.put("all", (long) pills.size());
                    return expected.entrySet().stream().allMatch(e -> restarted
                            ? counted.get(e.getKey()) >= e.getValue() : counted.get(e.getKey()) == e.getValue().doubleValue());
                });
        cluster.awaitCondition("the bad records in '" + DEAD + "'", METRICS_TIMEOUT, () ->
                KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true).size() >= pills.size());

        // throughput, flush reasons, batch sizes and latency quantiles of the TaskManager that runs the job now
        assertThat(prometheus.sum(sinceSent(OPERATOR_SERIES + InferenceMetrics.IMAGES_TAGGED + labels, firstTestStart)))
                .as("images tagged").isPositive();
        assertThat(prometheus.sum(sinceSent(OPERATOR_SERIES + InferenceMetrics.BATCHES_FLUSHED_BY_SIZE + labels, firstTestStart))
                + prometheus.sum(sinceSent(OPERATOR_SERIES + InferenceMetrics.BATCHES_FLUSHED_BY_TIMER + labels, firstTestStart)))
                .as("batches flushed").isPositive();
        for (String histogram : List.of(InferenceMetrics.BATCH_SIZE, InferenceMetrics.OPERATOR_LATENCY_US,
                InferenceMetrics.QUEUE_WAIT_US, InferenceMetrics.PREPROCESS_US, InferenceMetrics.INFERENCE_US,
                ResultLatencies.END_TO_END_US)) {
            JsonNode quantiles = prometheus.query(OPERATOR_SERIES + histogram + labels);
            Set<String> seen = new TreeSet<>();
            quantiles.forEach(q -> seen.add(q.path("metric").path("quantile").asText()));
            assertThat(seen).as(histogram + " quantiles").containsExactlyInAnyOrder("0.5", "0.75", "0.95", "0.98", "0.99", "0.999");
            assertThat(prometheus.sum(OPERATOR_SERIES + histogram + "_count" + labels)).as(histogram + " samples").isPositive();
        }
        assertThat(prometheus.sum(OPERATOR_SERIES + InferenceMetrics.BATCH_MAX_DELAY_US + labels)).as("batch.max-delay, per subtask")
                .isEqualTo(2 * 10_000); // the job's 10 ms on both subtasks
        assertThat(prometheus.sum("flink_jobmanager_job_numRestarts")).as("restarts after the TaskManager was killed")
                .isGreaterThanOrEqualTo(1);
        assertThat(prometheus.query("flink_jobmanager_job_lastCheckpointDuration")).as("checkpoint duration").isNotEmpty();

        List<String> seen = prometheus.seriesNames().stream().filter(n -> n.startsWith("flink_")).collect(Collectors.toList());
        Files.writeString(Path.of(SERIES_SEEN), String.join("\n", seen) + "\n", StandardCharsets.UTF_8);
        List<String> operatorSeries = seen.stream().filter(n -> n.startsWith(OPERATOR_SERIES)).collect(Collectors.toList());
        System.out.printf("Prometheus saw %d Flink series (%s), %d of them the operator's:%n  %s%n", seen.size(), SERIES_SEEN,
                operatorSeries.size(), String.join("\n  ", operatorSeries));
        for (String name : operatorSeries) {
            for (JsonNode series : prometheus.query(name)) {
                assertThat(series.path("metric").path("model").asText()).as(name + "'s model label").isEqualTo(model);
                assertThat(series.path("metric").path("version").asText()).as(name + "'s version label").isEqualTo(version);
            }
        }

        checkDashboard(Set.copyOf(seen), model);
        Set<String> documented = seriesNamesIn(Files.readString(DEPLOY_DOC, StandardCharsets.UTF_8));
        assertThat(documented).as("series names " + DEPLOY_DOC + " lists").isNotEmpty();
        assertThat(seen).as("series Prometheus saw, against those " + DEPLOY_DOC + " lists").containsAll(documented);
    }

    /** The highest value of each of the series since {@code sinceNanos} (PromQL max_over_time). */
    private static String sinceSent(String series, long sinceNanos) {
        return "max_over_time(" + series + "[" + ((long) seconds(sinceNanos) + 30) + "s])";
    }

    /** Every query of the dashboard reads only series Prometheus saw, and returns data now (the job is running). */
    private static void checkDashboard(Set<String> seen, String model) {
        Map<String, String> expressions = GrafanaDashboard.load().expressions();
        assertThat(expressions).as("queries in " + GrafanaDashboard.PATH).isNotEmpty();
        for (Map.Entry<String, String> e : expressions.entrySet()) {
            Set<String> names = GrafanaDashboard.seriesNames(e.getValue());
            assertThat(names).as(e.getKey() + " reads some Flink series: " + e.getValue()).isNotEmpty();
            assertThat(seen).as(e.getKey() + " reads series Prometheus saw: " + e.getValue()).containsAll(names);
            if (e.getKey().startsWith("panel")) {
                String promql = e.getValue()
                        .replace("$__rate_interval", "30s")
                        .replace("$model", model)
                        .replace("$job_name", ".+");
                assertThat(prometheus.query(promql)).as(e.getKey() + " has data: " + promql).isNotEmpty();
            }
        }
    }

    /** The series names a document mentions ({@code flink_..._} alone is a prefix, not a name). */
    private static Set<String> seriesNamesIn(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\bflink_[A-Za-z0-9_]+").matcher(text);
        while (m.find()) {
            if (!m.group().endsWith("_")) {
                names.add(m.group());
            }
        }
        return names;
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private List<String> jobArguments() {
        List<String> args = new ArrayList<>(List.of("--config", JOB_CONFIG.toAbsolutePath().toString()));
        Map<String, String> overrides = new TreeMap<>(Map.of(
                "kafka.bootstrap-servers", KAFKA.bootstrapServers(),
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
