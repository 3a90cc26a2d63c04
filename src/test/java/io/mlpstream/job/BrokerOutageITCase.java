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
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker goes away for {@value #OUTAGE_SECONDS} s in the middle of the stream (stopped, then
 * started again on the same port and log directory) while events keep being produced. The job may
 * restart (bounded fixed-delay strategy) and must end with exactly one {@code read_committed} result
 * per event. This works because the producers' transaction timeout (60 s here, 10 min by default)
 * outlasts outage + restart: a transaction whose checkpoint completed is still open, not aborted by
 * the broker, when the committer retries it. {@code -Dmlpstream.events=N} for a bigger run.
 */
class BrokerOutageITCase {
    private static final int EVENTS = JobFixtures.events(6_000);
    private static final double EVENTS_PER_SECOND = 400;
    private static final int OUTAGE_SECONDS = 10;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withFixedDelayRestarts(20, Duration.ofSeconds(2));

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    @Test
    void jobRecoversFromABrokerOutageWithoutLossOrDuplicates() throws Exception {
        Attempts.HIGHEST.set(0);
        DigitsDataset digits = DigitsDataset.loadBundled();
        Map<String, String> options = JobFixtures.unboundedJob(KAFKA.bootstrapServers(), "outage");
        options.put("job.parallelism", "2");
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, options));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec, records -> records,
                outcomes -> outcomes.map(new Attempts()).returns(outcomes.getType()).name("record attempt"));

        long start = System.nanoTime();
        JobClient job = env.executeAsync("broker outage");
        int beforeOutage;
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS, EVENTS_PER_SECOND);
             CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS)) {
            watcher.awaitDistinctKeys(EVENTS / 4, Duration.ofSeconds(120), () -> FlinkMiniCluster.notRunning(job));
            beforeOutage = watcher.distinctKeys();
            long sentBefore = producer.progress().sent();
            KAFKA.broker().stop();
            // not synchronisation: the outage lasts this long while the producer keeps sending (the scenario)
            Thread.sleep(OUTAGE_SECONDS * 1000L);
            long sentDuring = producer.progress().sent() - sentBefore;
            KAFKA.broker().start();
            System.out.printf("broker down for %d s after %d committed results; %d events sent into the outage%n",
                    OUTAGE_SECONDS, beforeOutage, sentDuring);
            watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(180), () -> FlinkMiniCluster.notRunning(job));
            assertThat(producer.awaitCompletion(Duration.ofSeconds(30))).isTrue();
            assertThat(producer.progress().failed()).as("events the test producer could not send").isZero();
        } finally {
            FlinkMiniCluster.cancel(job);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        System.out.printf("Broker outage (%d s): %s, job restarted %d times (%d dead letters, %.1f s)%n",
                OUTAGE_SECONDS, audit, Attempts.HIGHEST.get(), dead.size(), seconds);

        assertThat(beforeOutage).isLessThan(EVENTS);
        assertThat(dead).as("dead letters").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
    }

    /** Remembers the highest attempt number any subtask reached, i.e. how often the job restarted. */
    static final class Attempts extends RichMapFunction<Prediction<KafkaRecord>, Prediction<KafkaRecord>> {
        static final AtomicInteger HIGHEST = new AtomicInteger();

        @Override
        public void open(OpenContext context) {
            HIGHEST.accumulateAndGet(getRuntimeContext().getTaskInfo().getAttemptNumber(), Math::max);
        }

        @Override
        public Prediction<KafkaRecord> map(Prediction<KafkaRecord> outcome) {
            return outcome;
        }
    }
}
