package io.mlpstream.testutils;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The Flink MiniCluster the job ITCases run on (one TaskManager in this JVM, as Flink's {@link MiniClusterExtension}),
 * and the status of jobs submitted to it. Register the extension on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();
 * }</pre>
 */
public final class FlinkMiniCluster {
    /** Task slots of the TaskManager unless a test asks for more: enough for the jobs' parallelism of 2. */
    public static final int SLOTS = 2;
    /** How long {@link #cancel} waits for a job to end. */
    public static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(60);

    private FlinkMiniCluster() {}

    /** A cluster that never restarts a job: any task failure fails the job and the test ("0 job restarts"). */
    public static MiniClusterExtension withoutRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return cluster(SLOTS, c);
    }

    /**
     * A cluster that restarts a failed job at most {@code attempts} times, {@code delay} apart, so a broken test fails
     * instead of restarting forever.
     */
    public static MiniClusterExtension withFixedDelayRestarts(int attempts, Duration delay) {
        return withSlotsAndFixedDelayRestarts(SLOTS, attempts, delay);
    }

    /** {@link #withFixedDelayRestarts(int, Duration)} with {@code slots} task slots instead of {@value #SLOTS}. */
    public static MiniClusterExtension withSlotsAndFixedDelayRestarts(int slots, int attempts, Duration delay) {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, delay);
        return cluster(slots, c);
    }

    private static MiniClusterExtension cluster(int slots, Configuration configuration) {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(slots)
                .setConfiguration(configuration)
                .build());
    }

    /** Null while the job runs; otherwise why it is not running (its status and failure). */
    public static String notRunning(JobClient job) {
        try {
            JobStatus status = status(job);
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

    /** Cancels the job if it still runs, and waits until it has ended; fails after {@link #CANCEL_TIMEOUT}. */
    public static void cancel(JobClient job) throws Exception {
        if (notRunning(job) == null) {
            job.cancel().get(CANCEL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        CommonTestUtils.waitUtil(() -> status(job).isGloballyTerminalState(), CANCEL_TIMEOUT, Duration.ofMillis(100),
                "job " + job.getJobID() + " did not end within " + CANCEL_TIMEOUT + " of cancel");
    }

    private static JobStatus status(JobClient job) {
        try {
            return job.getJobStatus().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the status of job " + job.getJobID(), e);
        } catch (Exception e) {
            throw new IllegalStateException("could not read the status of job " + job.getJobID() + ": " + e, e);
        }
    }
}
