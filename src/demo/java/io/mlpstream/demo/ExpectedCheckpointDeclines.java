package io.mlpstream.demo;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.filter.AbstractFilter;

import java.util.EnumSet;
import java.util.Set;

/**
 * Keeps the standalone jar's console free of what Flink logs at WARN, with a 45-line stack trace, for a checkpoint that
 * could not happen because tasks were starting, finishing (or had finished) or being cancelled, or the job ended: at
 * the end of a bounded job every task finishes while checkpoints are triggered, which is normal and counts as no
 * failure. Every other checkpoint failure (expired, I/O, a task's snapshot failing) is still logged. A log4j filter on Flink's
 * {@code CheckpointFailureManager} logger, installed by {@link StandaloneCli}.
 */
final class ExpectedCheckpointDeclines extends AbstractFilter {
    static final String LOGGER = "org.apache.flink.runtime.checkpoint.CheckpointFailureManager";
    static final Set<CheckpointFailureReason> EXPECTED = EnumSet.of(
            CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING,
            CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_NOT_READY,
            CheckpointFailureReason.CHECKPOINT_DECLINED_INPUT_END_OF_STREAM,
            CheckpointFailureReason.CHECKPOINT_DECLINED_SUBSUMED,
            CheckpointFailureReason.CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER,
            CheckpointFailureReason.CHECKPOINT_COORDINATOR_SUSPEND,
            CheckpointFailureReason.CHECKPOINT_COORDINATOR_SHUTDOWN,
            CheckpointFailureReason.PERIODIC_SCHEDULER_SHUTDOWN);

    private ExpectedCheckpointDeclines() {
        super(Filter.Result.DENY, Filter.Result.NEUTRAL);
    }

    /** How a TaskManager says that the task of a checkpoint request has finished (and was removed). */
    static final String FINISHED_TASK = "received a checkpoint request for unknown task";

    @Override
    public Result filter(LogEvent event) {
        return event.getThrown() instanceof CheckpointException e && expected(e) ? onMatch : onMismatch;
    }

    static boolean expected(CheckpointException e) {
        return EXPECTED.contains(e.getCheckpointFailureReason())
                || (e.getCheckpointFailureReason() == CheckpointFailureReason.TASK_CHECKPOINT_FAILURE
                        && String.valueOf(e.getMessage()).contains(FINISHED_TASK));
    }

    /** Adds the filter to the logger's configuration (once), when log4j is the logging backend. */
    static synchronized void install() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return;
        }
        Configuration config = context.getConfiguration();
        LoggerConfig logger = config.getLoggerConfig(LOGGER);
        if (!logger.getName().equals(LOGGER)) {
            logger = new LoggerConfig(LOGGER, null, true);
            config.addLogger(LOGGER, logger);
        }
        Filter existing = logger.getFilter();
        if (existing instanceof ExpectedCheckpointDeclines) {
            return;
        }
        ExpectedCheckpointDeclines filter = new ExpectedCheckpointDeclines();
        filter.start();
        logger.addFilter(filter);
        context.updateLoggers();
    }
}
