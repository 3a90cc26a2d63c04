package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stop with a savepoint while events flow and resume from it at another parallelism, three times in one stream — 2 to
 * 1, 1 to 4, 4 to 2 — each resume strict ({@code allowNonRestoredState=false}, through {@code job.resume-from}):
 * every event has exactly one {@code read_committed} result. Works because the job pins its max parallelism
 * ({@code job.max-parallelism}) and every operator has a user-given uid. {@code -Dmlpstream.events=N} for a bigger run.
 */
class SavepointRescaleITCase {
    private static final int EVENTS = JobFixtures.events(8_000);
    private static final double EVENTS_PER_SECOND = 1_000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withSlotsAndFixedDelayRestarts(4, 3, Duration.ofMillis(500));

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(4, JobFixtures.TOPICS);

    @Test
    void everyOperatorHasAUserGivenUid() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec(4));
        StreamGraph graph = env.getStreamGraph();
        List<String> withoutUid = graph.getStreamNodes().stream()
                .filter(n -> n.getTransformationUID() == null)
                .map(StreamNode::getOperatorName)
                .toList();
        graph.getStreamNodes().forEach(n -> System.out.println("  uid " + n.getTransformationUID() + " <- " + n.getOperatorName()));
        assertThat(withoutUid).as("operators without a uid (their state would not map onto a changed job)").isEmpty();
        assertThat(graph.getStreamNodes()).extracting(StreamNode::getTransformationUID).doesNotHaveDuplicates();
    }

    @Test
    void stopWithSavepointAndResumeAtParallelism2Then1Then4Then2LosesAndDuplicatesNothing(@TempDir Path savepoints) throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        int[] parallelisms = {2, 1, 4, 2};
        long start = System.nanoTime();
        List<Integer> committedAtStops = new ArrayList<>();
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, EVENTS_PER_SECOND);
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS)) {
            String savepoint = null;
            for (int i = 0; i < parallelisms.length; i++) {
                JobClient job = submit(spec(parallelisms[i], savepoint));
                try {
                    if (i < parallelisms.length - 1) {
                        watcher.awaitDistinctKeys(EVENTS * (i + 1) / parallelisms.length, Duration.ofSeconds(120),
                                () -> FlinkMiniCluster.notRunning(job));
                        savepoint = job.stopWithSavepoint(false, savepoints.resolve("sp-" + i).toUri().toString(),
                                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
                        committedAtStops.add(watcher.poll(Duration.ofSeconds(1)));
                        System.out.printf("stopped with savepoint at parallelism %d after %d of %d events had committed results "
                                + "(%d sent); resuming at parallelism %d%n", parallelisms[i], committedAtStops.get(i), EVENTS,
                                producer.progress().sent(), parallelisms[i + 1]);
                    } else {
                        watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(180), () -> FlinkMiniCluster.notRunning(job));
                    }
                } finally {
                    FlinkMiniCluster.cancel(job);
                }
            }
            assertThat(producer.progress().failed()).isZero();
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        System.out.printf("Savepoints 2 -> 1 -> 4 -> 2: %s (committed at the stops: %s, %d dead letters, %.1f s)%n",
                audit, committedAtStops, dead.size(), seconds);

        assertThat(committedAtStops).as("results committed before each savepoint").allSatisfy(n -> assertThat(n).isBetween(1, EVENTS - 1));
        assertThat(dead).as("dead letters").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    private static InferenceJobSpec spec(int parallelism) {
        return spec(parallelism, null);
    }

    /** The production job at a parallelism, resuming from a savepoint (job.resume-from) when one is given. */
    private static InferenceJobSpec spec(int parallelism, String savepoint) {
        Map<String, String> options = JobFixtures.unboundedJob(KAFKA.bootstrapServers(), "rescale");
        options.put("kafka.transactional-id-prefix", "rescale"); // the same job, before and after the savepoint
        options.put("job.parallelism", Integer.toString(parallelism));
        options.put("job.resume-from", savepoint == null ? "none" : savepoint);
        return InferenceJobSpec.from(JobConfig.load(null, options));
    }

    /** Submits the production job; a savepoint it resumes from must be restored entirely (the default). */
    private static JobClient submit(InferenceJobSpec spec) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName("rescale p" + spec.jobParallelism());
        assertThat(graph.getSavepointRestoreSettings().allowNonRestoredState()).isFalse();
        return env.executeAsync(graph);
    }
}
