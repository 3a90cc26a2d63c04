package io.mlpstream.job;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.LoggedProcess;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's command, as a user runs it: {@code java -jar target/mlpstream-standalone.jar sql jobs/digits-tagging.sql}
 * in a JVM of its own (the planner loader, the table runtime and every factory come out of the one fat jar), against a
 * broker; and a script with a mistyped option, refused with exit code 2 and one line before anything runs.
 */
class StandaloneSqlITCase {
    private static final Path STANDALONE = Path.of("target", "mlpstream-standalone.jar");
    private static final int EVENTS = 300;
    private static final Path LOGS = Path.of("target", "standalone-sql-itcase");

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    @BeforeAll
    static void theStandaloneJarIsBuilt() {
        assertThat(STANDALONE).as("the standalone jar (built in 'package')").isRegularFile();
    }

    private static LoggedProcess sql(String name, String script, String... sets) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-jar", STANDALONE.toAbsolutePath().toString(), "sql", script));
        for (String set : sets) {
            command.addAll(List.of("--set", set));
        }
        return LoggedProcess.start(name, command, Map.of(), Path.of("."), LOGS.resolve(name + ".log"));
    }

    @Test
    void theStandaloneJarRunsTheSqlScriptExactlyOnce() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS,
                DigitEventProducer.UNLIMITED_RATE)) {
            assertThat(producer.awaitCompletion(Duration.ofSeconds(60))).isTrue();
        }
        LoggedProcess job = sql("sql-digits-tagging", SqlJobITCase.SCRIPT.toString(),
                "kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "kafka.group-id=standalone-sql",
                "kafka.transactional-id-prefix=standalone-sql-" + System.nanoTime(),
                "execution.checkpointing.interval=1 s",
                "parallelism.default=2");
        try (CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS)) {
            watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(180),
                    () -> job.isAlive() ? null : "the standalone jar exited:\n" + job.tail(40));
            assertThat(job.output()).contains("Job from " + SqlJobITCase.SCRIPT + " submitted with JobID ");
        } catch (AssertionError e) {
            System.out.println("standalone jar output:\n" + job.tail(80));
            throw e;
        } finally {
            job.kill();
        }
        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
        long right = 0;
        for (ConsumerRecord<byte[], byte[]> r : results) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            right += t.getLabels().get(0).getLabel().equals(t.getAttributes().get(DigitEventProducer.TRUE_LABEL_ATTRIBUTE)) ? 1 : 0;
        }
        System.out.printf("standalone jar, sql %s: %d events tagged exactly once, accuracy %.3f%n", SqlJobITCase.SCRIPT, EVENTS,
                right / (double) EVENTS);
        assertThat(right).as("events tagged with their true label").isGreaterThan(EVENTS * 9L / 10);
    }

    @Test
    void aMistypedModelOptionIsOneLineAndExitCodeTwo() throws Exception {
        Path script = Files.createDirectories(LOGS).resolve("typo.sql");
        Files.writeString(script, Files.readString(SqlJobITCase.SCRIPT, StandardCharsets.UTF_8)
                .replace("'batch.max-delay' = '${batch.max-delay}'", "'batch.max-dalay' = '${batch.max-delay}'"));
        LoggedProcess typo = sql("sql-typo", script.toString(), "kafka.bootstrap-servers=" + KAFKA.bootstrapServers());
        int exit = typo.awaitExit(Duration.ofSeconds(120));
        List<String> lines = typo.output().lines().filter(l -> l.startsWith("mlpstream: ")).toList();
        assertThat(exit).as("exit code; output:\n%s", typo.tail(40)).isEqualTo(2);
        assertThat(lines).as("the error line; output:\n%s", typo.tail(40)).singleElement().asString()
                .startsWith("mlpstream: " + script + ", statement at line ")
                .endsWith(": Model 'digit_tagger': unknown option 'batch.max-dalay' for provider 'mlpstream'; did you mean "
                        + "'batch.max-delay'?");
    }
}
