package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkProcessCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flink SQL the way SQL Client users deploy it: a multi-process cluster whose lib/ holds what a Flink distribution's
 * does (Flink, flink-connector-base, the SQL planner behind its loader, the table runtime) and the shaded Kafka SQL
 * connector (flink-sql-connector-kafka), and the job jar on top with {@code flink run
 * mlpstream-job.jar sql jobs/digits-tagging.sql}: the script is planned in the Flink CLI's JVM with the jar's model
 * provider and format, and runs on the TaskManager with the Kafka connector of lib/ (Flink loads org.apache.flink
 * classes parent-first; the jar's own copy of the connector stays unused). Every event is tagged exactly once.
 */
class SqlOnFlinkClusterITCase {
    private static final int EVENTS = 500;
    private static final Path JOB_JAR = Path.of("target", "mlpstream-0.1.0-SNAPSHOT-job.jar");
    private static final Path SQL_CONNECTOR_DIR = Path.of("target", "sql-client-lib");
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);
    private static FlinkProcessCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        List<Path> lib = new ArrayList<>(FlinkProcessCluster.classpathFromFiles(Path.of("target", "flink-classpath")));
        try (Stream<Path> jars = Files.list(SQL_CONNECTOR_DIR)) {
            lib.addAll(jars.filter(p -> p.getFileName().toString().startsWith("flink-sql-connector-kafka-")).toList());
        }
        // a distribution's flink-dist holds flink-connector-base, which the SQL connector leaves to it (FlinkClusterITCase
        // keeps it out to prove the job jar brings its own)
        lib.add(Stream.of(System.getProperty("java.class.path").split(File.pathSeparator)).map(Path::of)
                .filter(p -> p.getFileName().toString().startsWith("flink-connector-base-")).findFirst()
                .orElseThrow(() -> new AssertionError("flink-connector-base is not on the test classpath")));
        assertThat(lib).as("lib/: Flink SQL and the Kafka SQL connector").anyMatch(jar -> jar.getFileName().toString()
                .startsWith("flink-sql-connector-kafka-")).anyMatch(jar -> jar.getFileName().toString()
                .startsWith("flink-table-planner-loader-"));
        assertThat(lib).as("nothing of the job's own in lib/").noneMatch(jar -> Stream.of("onnxruntime", "flink-connector-kafka-",
                "kafka-clients", "avro-", "mlpstream").anyMatch(jar.getFileName().toString()::startsWith));
        cluster = FlinkProcessCluster.builder()
                .classpath(lib)
                .jvmOptions(FlinkClusterITCase.jdkOpensOfThisJvm())
                .logDir(Path.of("target", "sql-on-flink-cluster-itcase"))
                .build();
        try {
            cluster.startJobManager();
            cluster.startTaskManager();
            cluster.awaitTaskManagers(1, TIMEOUT);
        } catch (RuntimeException | AssertionError e) {
            System.out.println("Flink cluster did not start; its processes' output:\n" + cluster.logTails(60));
            throw e;
        }
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theScriptRunsOnAClusterWithTheKafkaSqlConnectorInLib() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        String jobId = null;
        try {
            jobId = cluster.submit(JOB_JAR, List.of("sql", SqlJobITCase.SCRIPT.toAbsolutePath().toString(),
                    "--set", "kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                    "--set", "kafka.group-id=sql-on-cluster",
                    "--set", "kafka.transactional-id-prefix=sql-on-cluster-" + System.nanoTime(),
                    "--set", "execution.checkpointing.interval=1 s",
                    "--set", "parallelism.default=2"), TIMEOUT);
            String id = jobId;
            cluster.awaitCondition("job " + id + " and all its tasks to be RUNNING", TIMEOUT, () -> cluster.isJobFullyRunning(id));
            try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, 250)) {
                assertThat(producer.awaitCompletion(TIMEOUT)).isTrue();
                assertThat(producer.progress().failed()).isZero();
            }
            cluster.awaitCondition(EVENTS + " committed results", TIMEOUT, () -> KafkaTestUtils.drainAllRecordsFromTopic(
                    KAFKA.bootstrapServers(), JobFixtures.RESULTS, true).size() >= EVENTS);
        } catch (Exception | AssertionError e) {
            System.out.println("SqlOnFlinkClusterITCase failed; its processes' output:\n" + cluster.logTails(80));
            throw e;
        } finally {
            if (jobId != null && "RUNNING".equals(cluster.jobState(jobId))) {
                cluster.cancel(jobId, TIMEOUT);
            }
        }
        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(),
                JobFixtures.RESULTS, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        System.out.printf("SQL script on a cluster with flink-sql-connector-kafka in lib/: %s%n", audit);
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }
}
