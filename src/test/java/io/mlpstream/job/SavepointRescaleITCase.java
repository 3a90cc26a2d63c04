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
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stop with a savepoint while events flow, at parallelism 4, and resume from it at parallelism 2
 * with {@code allowNonRestoredState=false}: every event has exactly one {@code read_committed}
 * result. Also checks that every operator of the production job carries a user-given uid, which is
 * what lets savepoints survive changes to the job. {@code -Dmlpstream.events=N} for a bigger run.
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
    void stopWithSavepointAtParallelism4ResumeAt2LosesAndDuplicatesNothing(@TempDir Path savepoints) throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        long start = System.nanoTime();
        String savepoint;
        int beforeSavepoint;
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, EVENTS_PER_SECOND);
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS)) {
            JobClient first = submit(spec(4), null);
            try {
                watcher.awaitDistinctKeys(EVENTS / 4, Duration.ofSeconds(120), () -> FlinkMiniCluster.notRunning(first));
                savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(120, TimeUnit.SECONDS);
            } finally {
                FlinkMiniCluster.cancel(first);
            }
            beforeSavepoint = watcher.poll(Duration.ofSeconds(1));
            System.out.printf("stopped with savepoint at parallelism 4 after %d of %d events had committed results (%d sent): %s%n",
                    beforeSavepoint, EVENTS, producer.progress().sent(), savepoint);

            JobClient second = submit(spec(2), savepoint);
            try {
                watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(180), () -> FlinkMiniCluster.notRunning(second));
            } finally {
                FlinkMiniCluster.cancel(second);
            }
            assertThat(producer.progress().failed()).isZero();
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        System.out.printf("Savepoint 4 -> 2: %s (%d before the savepoint, %d dead letters, %.1f s)%n",
                audit, beforeSavepoint, dead.size(), seconds);

        assertThat(beforeSavepoint).as("results committed before the savepoint").isBetween(1, EVENTS - 1);
        assertThat(dead).as("dead letters").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    private static InferenceJobSpec spec(int parallelism) {
        Map<String, String> options = JobFixtures.unboundedJob(KAFKA.bootstrapServers(), "rescale");
        options.put("kafka.transactional-id-prefix", "rescale"); // the same job, before and after the savepoint
        options.put("job.parallelism", Integer.toString(parallelism));
        return InferenceJobSpec.from(JobConfig.load(null, options));
    }

    /** Submits the production job, from a savepoint whose state must all be restored, if one is given. */
    private static JobClient submit(InferenceJobSpec spec, String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName("rescale p" + spec.jobParallelism());
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        return env.executeAsync(graph);
    }
}
