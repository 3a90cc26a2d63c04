package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.sql.SqlScript;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;

import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly once through injected failures, in SQL: the shipped script's tables and model (jobs/digits-tagging.sql, Kafka
 * table in, Kafka table out with 'sink.delivery-guarantee' = 'exactly-once'), its INSERT with two SQL functions around
 * ML_PREDICT — one counts the rows going in (a view over the input), one the rows coming out (a predicate after
 * it) — while digit events keep arriving. In attempts 0 .. {@value #FAILURES}-1 the second one fails the job once a
 * checkpoint of that attempt has completed and ML_PREDICT holds at least {@value #MIN_IN_FLIGHT} rows (in the batcher,
 * in a running batch, or done and not yet emitted): rows that the source's checkpointed offsets are already past, so
 * only Flink's async operator state brings them back. Every event must still have exactly one read_committed result.
 * {@code -Dmlpstream.events=N} for a bigger run.
 */
class SqlExactlyOnceUnderFailuresITCase {
    private static final int EVENTS = JobFixtures.events(10_000);
    private static final int FAILURES = 2;
    private static final double EVENTS_PER_SECOND = 1_000;
    private static final int BATCH_SIZE = 16;
    private static final int MIN_IN_FLIGHT = BATCH_SIZE / 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withFixedDelayRestarts(FAILURES + 5, Duration.ofMillis(500));

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    @Test
    void everyEventIsTaggedExactlyOnceDespiteFailuresWhileRowsAreInML_PREDICT(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Injected.reset();
        DigitsDataset digits = DigitsDataset.loadBundled();
        Map<String, String> options = SqlJobITCase.scriptOptions(KAFKA.bootstrapServers(), "sql-failures");
        options.put("batch.max-size", Integer.toString(BATCH_SIZE));
        options.put("batch.max-delay", "20 ms");

        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tEnv.createTemporarySystemFunction("COUNT_INTO_ML_PREDICT", CountIntoPredict.class);
        tEnv.createTemporarySystemFunction("FAIL_WHILE_IN_FLIGHT", FailWhileInFlight.class);
        StringBuilder sql = new StringBuilder();
        for (SqlScript.Statement s : SqlJobITCase.script().statements()) {
            if (!s.sql().regionMatches(true, 0, "EXECUTE", 0, 7)) {
                sql.append(s.sql()).append(";\n"); // SET, the tables, the model and its view as shipped
            }
        }
        sql.append("""
                CREATE TEMPORARY VIEW counted AS
                SELECT COUNT_INTO_ML_PREDICT(event_id) AS event_id, source, capture_time, image, attributes, kafka_timestamp
                FROM images;
                INSERT INTO tags
                SELECT event_id, source, capture_time, model_name, model_version, model_sha256, top_k, latency, batch_size,
                       processed_at, attributes
                FROM ML_PREDICT(TABLE counted, MODEL digit_tagger, DESCRIPTOR(image, kafka_timestamp))
                WHERE FAIL_WHILE_IN_FLIGHT(event_id, batch_size);
                """);
        long start = System.nanoTime();
        List<TableResult> jobs = SqlScript.parse("the script with failure injection", sql.toString()).run(tEnv, options);
        assertThat(jobs).hasSize(1);
        JobClient job = jobs.get(0).getJobClient().orElseThrow();
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, EVENTS_PER_SECOND);
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS)) {
            for (int attempt = 0; attempt < FAILURES; attempt++) {
                injectFailure(cluster, job, attempt);
            }
            watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(240), () -> FlinkMiniCluster.notRunning(job));
            assertThat(producer.progress().failed()).isZero();
        } finally {
            FlinkMiniCluster.cancel(job);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        List<Failure> failures = List.copyOf(Injected.FAILURES);
        failures.forEach(f -> System.out.println("  " + f));
        System.out.printf("SQL exactly-once under failures: %d events, %d failures, %d lost, %d duplicated (%.1f s)%n",
                EVENTS, failures.size(), audit.lost(), audit.duplicates(), seconds);

        assertThat(failures).as("injected failures").hasSize(FAILURES);
        assertThat(failures).allSatisfy(f -> {
            assertThat(f.inFlight()).as("rows held by ML_PREDICT when %s", f).isGreaterThanOrEqualTo(MIN_IN_FLIGHT);
            assertThat(f.sameThread()).as("the counting and failing functions ran on ML_PREDICT's task thread").isTrue();
        });
        assertThat(dead).as("nothing reaches the dead-letter topic").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    /**
     * Arms the failure of {@code attempt} once subtask 0 runs in that attempt and a checkpoint has completed since (so
     * committed results and checkpointed source offsets exist), and waits until it has fired.
     */
    private static void injectFailure(MiniCluster cluster, JobClient job, int attempt) throws Exception {
        await("subtask 0 in attempt " + attempt, job, () -> Injected.OPENED.contains(attempt));
        long checkpoints = completedCheckpoints(cluster, job.getJobID());
        await("a checkpoint completed in attempt " + attempt, job, () -> completedCheckpoints(cluster, job.getJobID()) > checkpoints);
        Injected.ARMED.set(attempt);
        await("the failure of attempt " + attempt, job, () -> Injected.FAILURES.size() > attempt);
    }

    private static long completedCheckpoints(MiniCluster cluster, JobID job) {
        try {
            return cluster.getExecutionGraph(job).get(10, TimeUnit.SECONDS)
                    .getCheckpointStatsSnapshot().getCounts().getNumberOfCompletedCheckpoints();
        } catch (Exception e) {
            throw new AssertionError("cannot read the job's checkpoint statistics", e);
        }
    }

    private static void await(String what, JobClient job, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            String notRunning = FlinkMiniCluster.notRunning(job);
            if (notRunning != null || System.nanoTime() > deadline) {
                throw new AssertionError("waiting for " + what + ": " + (notRunning != null ? notRunning : "timed out")
                        + "; failures so far: " + Injected.FAILURES);
            }
            Thread.sleep(50);
        }
    }

    /** One injected failure and what ML_PREDICT held at that moment. */
    record Failure(int attempt, int inFlight, long outcomesSinceArmed, boolean sameThread) {
        @Override
        public String toString() {
            return String.format("failure in attempt %d: %d rows in flight in ML_PREDICT, %d results after the checkpoint",
                    attempt, inFlight, outcomesSinceArmed);
        }
    }

    /** Shared by the test and the functions, which run in this JVM (MiniCluster). */
    static final class Injected {
        static final List<Failure> FAILURES = new CopyOnWriteArrayList<>();
        /** The attempt whose subtask 0 is to fail; -1 for none. */
        static final AtomicInteger ARMED = new AtomicInteger(-1);
        /** Attempts in which subtask 0's failing function has opened. */
        static final Set<Integer> OPENED = ConcurrentHashMap.newKeySet();
        /**
         * Event ids that entered ML_PREDICT in this subtask and attempt and have not come out yet. Rows restored from a
         * checkpoint never passed the counting function in this attempt, so this is a lower bound of what it holds.
         */
        static final Map<String, Set<String>> IN_FLIGHT = new ConcurrentHashMap<>();
        static final Map<String, String> THREADS = new ConcurrentHashMap<>();

        static void reset() {
            FAILURES.clear();
            ARMED.set(-1);
            OPENED.clear();
            IN_FLIGHT.clear();
            THREADS.clear();
        }

        static String key(FunctionContext context) {
            return context.getTaskInfo().getIndexOfThisSubtask() + "/" + context.getTaskInfo().getAttemptNumber();
        }
    }

    /** Notes each row going into ML_PREDICT (in a view over its input, on the same task thread). */
    public static final class CountIntoPredict extends ScalarFunction {
        private transient Set<String> inFlight;

        @Override
        public void open(FunctionContext context) {
            String key = Injected.key(context);
            inFlight = Injected.IN_FLIGHT.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
            Injected.THREADS.put(key, Thread.currentThread().getName());
        }

        public String eval(String eventId) {
            inFlight.add(eventId);
            return eventId;
        }

        @Override
        public boolean isDeterministic() {
            return false; // stays where it is written: before ML_PREDICT
        }
    }

    /** Notes each row coming out of ML_PREDICT and fails the armed attempt's subtask 0 while rows are in flight. */
    public static final class FailWhileInFlight extends ScalarFunction {
        private transient Set<String> inFlight;
        private transient String key;
        private transient int subtask;
        private transient int attempt;
        private transient long sinceArmed;

        @Override
        public void open(FunctionContext context) {
            key = Injected.key(context);
            subtask = context.getTaskInfo().getIndexOfThisSubtask();
            attempt = context.getTaskInfo().getAttemptNumber();
            inFlight = Injected.IN_FLIGHT.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
            if (subtask == 0) {
                Injected.OPENED.add(attempt);
            }
        }

        /** {@code batchSize} is a model output: the call cannot move before ML_PREDICT. */
        public boolean eval(String eventId, Integer batchSize) {
            inFlight.remove(eventId);
            if (subtask == 0 && Injected.ARMED.get() == attempt && ++sinceArmed >= 50 && inFlight.size() >= MIN_IN_FLIGHT) {
                Failure f = new Failure(attempt, inFlight.size(), sinceArmed,
                        Thread.currentThread().getName().equals(Injected.THREADS.get(key)));
                Injected.ARMED.set(-1);
                Injected.FAILURES.add(f);
                throw new IllegalStateException("Injected " + f + " (batch size " + batchSize + ")");
            }
            return true;
        }

        @Override
        public boolean isDeterministic() {
            return false;
        }
    }
}
