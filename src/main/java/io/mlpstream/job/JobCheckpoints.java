package io.mlpstream.job;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Where the job's checkpoints go and where a submitted job starts, so that cancelling and redeploying (to change the
 * model or a setting) or a crash of the process running it loses nothing: the job checkpoints into its own directory
 * {@code <job.checkpoint-dir>/<kafka.transactional-id-prefix>}, keeps its last checkpoint when cancelled, and a new
 * submission resumes from the newest one there ({@code job.resume-from}). Resuming restores the records the earlier run
 * held in flight, the source's offsets and the sinks' transactions; a fresh start would begin at the group's committed
 * offsets, which the source commits past records still in flight.
 */
final class JobCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(JobCheckpoints.class);

    private JobCheckpoints() {}

    /** What {@link #configure} decided, for logs and the CLI. */
    record Plan(String jobDirectory, String resumedFrom) {
        String describe() {
            if (jobDirectory == null) {
                return "no checkpoint directory (set job.checkpoint-dir or execution.checkpointing.dir): a cancelled or "
                        + "crashed run cannot be resumed";
            }
            return "checkpoints in " + jobDirectory + "; " + (resumedFrom == null
                    ? "starting from kafka.starting-offsets" : "resuming from " + resumedFrom);
        }
    }

    /**
     * Whether the job directory's retained checkpoints were taken reading what the job reads now ({@link
     * InputTopicIdentity}). They are not when the topic was deleted and created again or is now on another Kafka cluster
     * (a fresh broker on the same address): their offsets would skip or repeat records of the new topic; nor when the job
     * now reads in another consumer group, or bounded after an unbounded run. Nor can it be known when they carry no
     * record of their input. Such checkpoints are deleted and the job starts fresh; when Kafka does not say which topic
     * it is now, they are resumed.
     */
    private static boolean takenOnThisInput(String jobDirectory, InferenceJobSpec spec) {
        Optional<String> now = InputTopicIdentity.of(spec);
        if (now.isEmpty()) {
            return true;
        }
        Optional<String> recorded = RetainedCheckpoints.inputTopic(jobDirectory);
        if (recorded.isPresent() && recorded.get().equals(now.get())) {
            return true;
        }
        LOG.warn("The retained checkpoints in {} were taken reading {}, but the job now reads {} (Kafka cluster/topic/topic id, "
                + "consumer group, bounded): they are not this job's to resume, so they are deleted and the job starts from "
                + "kafka.starting-offsets (job.resume-from=PATH resumes a checkpoint regardless)", jobDirectory,
                recorded.orElse("an input they carry no record of"), now.get());
        RetainedCheckpoints.deleteRuns(jobDirectory);
        RetainedCheckpoints.writeInputTopic(jobDirectory, now.get());
        return false;
    }

    /** Configures checkpoint storage, retention and the restore point of the job about to be built on {@code env}. */
    static Plan configure(StreamExecutionEnvironment env, InferenceJobSpec spec) {
        ReadableConfig current = env.getConfiguration();
        String base = !spec.jobCheckpointDir().isEmpty() ? spec.jobCheckpointDir()
                : current.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).orElse("");
        Configuration c = new Configuration();
        String jobDirectory = null;
        if (!base.isEmpty()) {
            jobDirectory = RetainedCheckpoints.jobDirectory(base, spec.kafkaTransactionalIdPrefix());
            c.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, jobDirectory);
            c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        }
        String resumedFrom = null;
        Optional<String> given = current.getOptional(StateRecoveryOptions.SAVEPOINT_PATH);
        if (given.isPresent()) {
            resumedFrom = given.get() + " (given to Flink)";
        } else if (spec.jobResumeFrom().equals(InferenceJobSpec.RESUME_LATEST)) {
            if (jobDirectory != null) {
                RetainedCheckpoints.deleteEmptyRuns(jobDirectory);
                Optional<RetainedCheckpoints.Checkpoint> latest = RetainedCheckpoints.latest(jobDirectory);
                if (latest.isPresent() && !takenOnThisInput(jobDirectory, spec)) {
                    latest = Optional.empty();
                }
                if (latest.isPresent()) {
                    resumedFrom = latest.get().directory().toString();
                    c.set(StateRecoveryOptions.SAVEPOINT_PATH, resumedFrom);
                    // our own retained checkpoint: the new run owns it and deletes it once a newer one completes
                    c.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
                }
            }
        } else if (!spec.jobResumeFrom().equals(InferenceJobSpec.RESUME_NONE)) {
            resumedFrom = spec.jobResumeFrom();
            c.set(StateRecoveryOptions.SAVEPOINT_PATH, resumedFrom); // a user's savepoint: never claimed, never deleted
        }
        if (jobDirectory != null && resumedFrom == null && spec.jobResumeFrom().equals(InferenceJobSpec.RESUME_LATEST)) {
            // a fresh start: what this run checkpoints belongs to the input topic as it is now
            String directory = jobDirectory;
            InputTopicIdentity.of(spec).ifPresent(id -> RetainedCheckpoints.writeInputTopic(directory, id));
        }
        env.configure(c);
        Plan plan = new Plan(jobDirectory, resumedFrom);
        LOG.info("Job '{}': {}", spec.jobName(), plan.describe());
        return plan;
    }
}
