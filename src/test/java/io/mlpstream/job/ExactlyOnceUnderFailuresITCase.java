package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.serde.KafkaRecord;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once through injected failures: while digit events keep arriving, a map chained right
 * after the async inference operator fails the job {@value #FAILURES} times, each time after a
 * checkpoint completed and while the async operator holds at least half a batch of records (in the micro-batcher, in a
 * running batch, or finished but not yet emitted). Every event must still have exactly one
 * {@code read_committed} result. {@code -Dmlpstream.events=N} for a bigger run.
 */
class ExactlyOnceUnderFailuresITCase {
    private static final int EVENTS = JobFixtures.events(20_000);
    private static final int FAILURES = 3;
    /** Slow enough that input still flows at the third failure even when a warm JVM keeps up easily. */
    private static final double EVENTS_PER_SECOND = 1_000;
    private static final int BATCH_SIZE = 16;
    /** A failure waits until the async operator holds at least half a batch (timer flushes carry ~10 at this rate). */
    private static final int MIN_IN_FLIGHT = BATCH_SIZE / 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withFixedDelayRestarts(FAILURES + 5, Duration.ofMillis(500));

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    @Test
    void everyEventIsTaggedExactlyOnceDespiteFailuresWhileBatchesAreInFlight() throws Exception {
        InjectedFailures.reset();
        DigitsDataset digits = DigitsDataset.loadBundled();
        Map<String, String> options = JobFixtures.unboundedJob(KAFKA.bootstrapServers(), "failures");
        options.put("job.parallelism", "2");
        options.put("batch.max-size", Integer.toString(BATCH_SIZE));
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, options));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec,
                records -> records.map(new CountIntoInference()).returns(records.getType()).name("count into inference"),
                outcomes -> outcomes.map(new FailWhileInFlight(FAILURES, MIN_IN_FLIGHT)).returns(outcomes.getType()).name("inject failures"));

        long start = System.nanoTime();
        JobClient job = env.executeAsync("exactly-once under failures");
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, EVENTS_PER_SECOND);
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS)) {
            watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(240), () -> FlinkMiniCluster.notRunning(job));
            assertThat(producer.progress().failed()).isZero();
        } finally {
            FlinkMiniCluster.cancel(job);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        List<InjectedFailure> failures = List.copyOf(InjectedFailures.ALL);
        failures.forEach(f -> System.out.println("  " + f));
        System.out.printf("Exactly-once under failures: %d events, %d failures, %d lost, %d duplicated (%d dead letters, %.1f s)%n",
                EVENTS, failures.size(), audit.lost(), audit.duplicates(), dead.size(), seconds);

        assertThat(failures).as("injected failures").hasSize(FAILURES);
        assertThat(failures).allSatisfy(f -> {
            assertThat(f.inFlight()).as("records held by the async operator when %s", f).isGreaterThanOrEqualTo(MIN_IN_FLIGHT);
            assertThat(f.checkpointsCompleted()).as("checkpoints completed before %s", f).isPositive();
            assertThat(f.sameThread()).as("the counting and failing maps ran on the async operator's task thread").isTrue();
        });
        assertThat(dead).as("dead letters").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    /** One injected failure and what the async operator held at that moment. */
    record InjectedFailure(int attempt, long inFlight, int checkpointsCompleted, long outcomesSinceCheckpoint,
                           boolean sameThread) {
        @Override
        public String toString() {
            return String.format("failure in attempt %d: %d records in flight in the async operator, after %d completed "
                    + "checkpoint(s) and %d outcomes past the last one", attempt, inFlight, checkpointsCompleted, outcomesSinceCheckpoint);
        }
    }

    /** Shared by the test and the operators, which run in this JVM (MiniCluster). */
    static final class InjectedFailures {
        static final List<InjectedFailure> ALL = new CopyOnWriteArrayList<>();
        /**
         * Keys (event ids) that entered the async operator in this subtask and attempt and have not come
         * out yet. Records the operator restored from a checkpoint never entered through the counting map
         * and are not counted, so this is a lower bound of what the operator holds.
         */
        static final Map<String, Set<String>> IN_FLIGHT = new ConcurrentHashMap<>();
        static final Map<String, String> THREADS = new ConcurrentHashMap<>();

        static void reset() {
            ALL.clear();
            IN_FLIGHT.clear();
            THREADS.clear();
        }

        /** Counters are per subtask and attempt: a restarted attempt starts from zero in flight. */
        static String key(org.apache.flink.api.common.TaskInfo info) {
            return info.getIndexOfThisSubtask() + "/" + info.getAttemptNumber();
        }
    }

    /** Notes the records entering the async operator (chained right before it). */
    static final class CountIntoInference extends RichMapFunction<KafkaRecord, KafkaRecord> {
        private transient Set<String> inFlight;

        @Override
        public void open(OpenContext context) {
            String key = InjectedFailures.key(getRuntimeContext().getTaskInfo());
            inFlight = InjectedFailures.IN_FLIGHT.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
            InjectedFailures.THREADS.put(key, Thread.currentThread().getName());
        }

        @Override
        public KafkaRecord map(KafkaRecord record) {
            inFlight.add(new String(record.key, StandardCharsets.UTF_8)); // DigitEventProducer keys = event ids
            return record;
        }
    }

    /**
     * Chained right after the async operator: in attempts 0 .. failures-1, subtask 0 fails once a
     * checkpoint of this attempt has completed, 50 more outcomes went by (so the sinks hold an open
     * transaction) and the async operator holds at least {@code minInFlight} records.
     */
    static final class FailWhileInFlight extends RichMapFunction<Prediction<KafkaRecord>, Prediction<KafkaRecord>> implements CheckpointListener {
        private final int failures;
        private final int minInFlight;
        private transient Set<String> inFlight;
        private transient String key;
        private transient int checkpoints;
        private transient long sinceCheckpoint;

        FailWhileInFlight(int failures, int minInFlight) {
            this.failures = failures;
            this.minInFlight = minInFlight;
        }

        @Override
        public void open(OpenContext context) {
            key = InjectedFailures.key(getRuntimeContext().getTaskInfo());
            inFlight = InjectedFailures.IN_FLIGHT.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
        }

        @Override
        public Prediction<KafkaRecord> map(Prediction<KafkaRecord> outcome) {
            inFlight.remove(new String(outcome.getElement().key, StandardCharsets.UTF_8)); // DigitEventProducer keys = event ids
            int held = inFlight.size();
            sinceCheckpoint++;
            int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
            if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0 && attempt < failures
                    && checkpoints > 0 && sinceCheckpoint >= 50 && held >= minInFlight) {
                InjectedFailure f = new InjectedFailure(attempt, held, checkpoints, sinceCheckpoint,
                        Thread.currentThread().getName().equals(InjectedFailures.THREADS.get(key)));
                InjectedFailures.ALL.add(f);
                throw new IllegalStateException("Injected " + f);
            }
            return outcome;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpoints++;
            sinceCheckpoint = 0;
        }
    }
}
