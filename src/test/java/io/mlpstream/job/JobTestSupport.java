package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the job-level resilience ITCases share: options, restart strategy, expected ids, job status. */
final class JobTestSupport {
    static final String INPUT = "images";
    static final String RESULTS = "tags";
    static final String DEAD = "dead-letter";
    static final String METRICS = "inference-metrics";
    static final String[] TOPICS = {INPUT, RESULTS, DEAD, METRICS};

    private JobTestSupport() {}

    /** Event count from {@code -Dmlpstream.events=N}, else the CI default. */
    static int events(int ciDefault) {
        return Integer.getInteger("mlpstream.events", ciDefault);
    }

    /**
     * A MiniCluster of one TaskManager with two slots that never restarts a job, so any task failure
     * fails {@code env.execute} and the test: for the ITCases that promise "0 job restarts".
     */
    static MiniClusterExtension noRestartCluster() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .setConfiguration(c)
                .build());
    }

    /**
     * A cluster configuration whose restart strategy is bounded (fixed delay), so a broken test
     * fails instead of restarting forever.
     */
    static Configuration fixedDelayRestarts(int attempts, Duration delay) {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, delay);
        return c;
    }

    /**
     * Options of a bounded job: it reads from the earliest offset to the input's end offsets at start, on two
     * subtasks, checkpointing every 500 ms, with a transactional-id prefix of its own ({@code name}-nanotime).
     */
    static Map<String, String> boundedJob(String bootstrapServers, String name) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kafka.bootstrap-servers", bootstrapServers);
        o.put("kafka.bounded", "true");
        o.put("kafka.starting-offsets", "earliest");
        o.put("kafka.transaction-timeout", "60 s");
        o.put("kafka.transactional-id-prefix", name + "-" + System.nanoTime());
        o.put("job.parallelism", "2");
        o.put("job.checkpoint-interval", "500 ms");
        return o;
    }

    /**
     * Options of an unbounded job reading from the earliest offset, checkpointing every second, with
     * a transactional-id prefix and group id of its own.
     */
    static Map<String, String> unboundedJob(String bootstrapServers, String name) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kafka.bootstrap-servers", bootstrapServers);
        o.put("kafka.starting-offsets", "earliest");
        o.put("kafka.group-id", name);
        o.put("kafka.transactional-id-prefix", name + "-" + System.nanoTime());
        o.put("kafka.transaction-timeout", "60 s");
        o.put("job.checkpoint-interval", "1 s");
        o.put("batch.max-size", "16");
        o.put("batch.max-delay", "20 ms");
        o.put("metrics.window", "1 s");
        o.put("model.device", "cpu");
        return o;
    }

    /** Ids of the first {@code n} events of a {@link DigitEventProducer} (its documented id scheme). */
    static List<String> digitEventIds(int n, DigitsDataset dataset) {
        List<String> ids = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            ids.add("digit-" + k / dataset.size() + "-" + k % dataset.size());
        }
        return ids;
    }

    static DigitEventProducer startProducer(String bootstrapServers, DigitsDataset dataset, int events, double perSecond) {
        return DigitEventProducer.builder()
                .bootstrapServers(bootstrapServers)
                .topic(INPUT)
                .dataset(dataset)
                .numEvents(events)
                .eventsPerSecond(perSecond)
                .build()
                .start();
    }

    /** Null while the job runs; otherwise why it is not running (its status and failure). */
    static String notRunning(JobClient job) {
        try {
            JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
            if (!status.isGloballyTerminalState()) {
                return null;
            }
            try {
                job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
                return "the job ended " + status;
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                return "the job ended " + status + ": " + e + (root == e ? "" : "; root cause: " + root);
            }
        } catch (Exception e) {
            return "the job status could not be read: " + e;
        }
    }

    /** Cancels the job if it still runs and waits until it has ended. */
    static void cancel(JobClient job) throws Exception {
        if (notRunning(job) == null) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }
}
