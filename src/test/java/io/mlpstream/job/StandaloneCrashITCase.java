package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.LoggedProcess;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standalone jar's {@code run}, killed with SIGKILL mid-stream (no shutdown hooks: like a crashed machine) and
 * started again with the same command, twice: each new process resumes from the checkpoint the killed one left in
 * job.checkpoint-dir, so every event still has exactly one {@code read_committed} result.
 */
class StandaloneCrashITCase {
    private static final int EVENTS = JobFixtures.events(2_000);
    private static final double EVENTS_PER_SECOND = 100;
    private static final int CRASHES = 2;
    private static final Path STANDALONE_JAR = Path.of("target", "mlpstream-standalone.jar");

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    @TempDir
    Path dir;

    @Test
    void aKilledRunResumesFromItsLastCheckpointWhenStartedAgain() throws Exception {
        assertThat(STANDALONE_JAR).as("the standalone jar (mvn package)").exists();
        DigitsDataset digits = DigitsDataset.loadBundled();
        List<Integer> committedAtKills = new ArrayList<>();
        long start = System.nanoTime();
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, EVENTS_PER_SECOND);
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), JobFixtures.RESULTS)) {
            for (int run = 0; run <= CRASHES; run++) {
                LoggedProcess process = LoggedProcess.start("run-" + run, command(), Map.of(), Path.of("").toAbsolutePath(),
                        dir.resolve("run-" + run + ".log"));
                try {
                    int target = run < CRASHES ? watcher.distinctKeys() + EVENTS / (CRASHES + 2) : EVENTS;
                    watcher.awaitDistinctKeys(target, Duration.ofSeconds(180),
                            () -> process.isAlive() ? null : "the run exited:\n" + process.tail(40));
                    if (run < CRASHES) {
                        committedAtKills.add(watcher.distinctKeys());
                        System.out.printf("killing run %d (SIGKILL) after %d committed results, %d events sent%n",
                                run, watcher.distinctKeys(), producer.progress().sent());
                    }
                } finally {
                    process.kill();
                }
                if (run > 0) {
                    assertThat(process.output()).as("run %d resumed from its predecessor's checkpoint", run)
                            .containsPattern("resuming from \\S*" + dir.getFileName() + "/crash/[0-9a-f]+/chk-\\d+");
                }
            }
            assertThat(producer.progress().failed()).isZero();
        }
        List<ConsumerRecord<byte[], byte[]>> results =
                KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), JobFixtures.RESULTS, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        System.out.printf("standalone run killed %d times (at %s committed results): %s (%.1f s)%n",
                CRASHES, committedAtKills, audit, (System.nanoTime() - start) / 1e9);
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    private List<String> command() {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-jar", STANDALONE_JAR.toString(), "run", "--config", "jobs/digits-tagging.yaml"));
        Map<String, String> options = JobFixtures.unboundedJob(KAFKA.bootstrapServers(), "crash");
        options.put("kafka.transactional-id-prefix", "crash"); // the same job in every process
        options.put("kafka.starting-offsets", "committed");
        options.put("job.parallelism", "2");
        options.put("job.checkpoint-dir", dir.toUri().toString());
        options.put("job.checkpoint-interval", "500 ms");
        options.forEach((k, v) -> {
            c.add("--set");
            c.add(k + "=" + v);
        });
        return c;
    }
}
