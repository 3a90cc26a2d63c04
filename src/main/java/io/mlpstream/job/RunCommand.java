package io.mlpstream.job;

import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code run}: checks topics and model, builds the job and runs it (on a cluster under {@code flink run}). */
final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String usage() {
        return "--config FILE [--set key=value]...";
    }

    @Override
    public String description() {
        return "Runs the Kafka tagging job with the options in FILE (e.g. jobs/digits-tagging.yaml), each --set overriding "
                + "one. Checks the broker, the topics and the model before submitting. Under 'flink run' the job goes to "
                + "the cluster; from the standalone jar it runs on a local Flink in this process.";
    }

    @Override
    public int run(CommandLine cl, PrintStream out) {
        if (cl.config() == null) {
            throw new ConfigException("'run' needs --config FILE (e.g. --config jobs/digits-tagging.yaml).");
        }
        JobConfig config = JobConfig.load(cl.config(), cl.overrides());
        if (StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment
                && !config.values().containsKey(InferenceJobOptions.JOB_CHECKPOINT_DIR.key())) {
            // a local MiniCluster has no checkpoint directory: a stable one, so a crashed or cancelled run can be resumed
            Map<String, String> overrides = new LinkedHashMap<>(cl.overrides());
            overrides.put(InferenceJobOptions.JOB_CHECKPOINT_DIR.key(), LocalCheckpoints.defaultDirectory());
            config = JobConfig.load(cl.config(), overrides);
        }
        submit(InferenceJobSpec.from(config));
        return 0;
    }

    /** Checks topics and model, builds the job and runs it in the current environment (a cluster under 'flink run'). */
    static void submit(InferenceJobSpec spec) {
        RecordSizeLimits limits = spec.kafkaCheckTopics()
                ? TopicPreflight.check(spec)
                : RecordSizeLimits.assumed(spec.kafkaProperties(), "not read with kafka.check-topics=false");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec, limits);
        try {
            env.execute(spec.jobName());
        } catch (Exception e) {
            throw new IllegalStateException("Job '" + spec.jobName() + "' failed", e);
        }
    }
}
