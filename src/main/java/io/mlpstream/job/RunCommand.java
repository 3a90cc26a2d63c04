package io.mlpstream.job;

import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelSource;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.common.errors.InterruptException;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code run}: checks topics and model, builds the job and runs it. Under {@code flink run} the job goes to the cluster;
 * from the standalone jar it runs on a local Flink in this process, which this command watches: one line when Kafka
 * answered, one when the job runs, one per checkpoint that committed results, and a summary when the job ends (a
 * bounded job at the end of its input, any job on Ctrl-C).
 */
final class RunCommand implements Command {
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
    /** After this long running with nothing committed, say where the job waits for images. */
    private static final Duration IDLE_HINT_AFTER = Duration.ofSeconds(15);

    @Override
    public String name() {
        return "run";
    }

    @Override
    public String usage() {
        return "[--config FILE] [--set key=value]...";
    }

    @Override
    public String description() {
        return "Runs the Kafka tagging job with the options in FILE (e.g. jobs/digits-tagging.yaml; without it, every "
                + "option's default), each --set overriding one. Checks the broker, the topics and the model (the card "
                + "against the graph) before submitting. Under 'flink run' the job goes to the cluster; from the "
                + "standalone jar it runs on a local Flink in this process and prints a line when Kafka answered, when "
                + "the job runs and when a checkpoint committed results, and a summary (tagged, dead letters by stage, "
                + "latency percentiles) when it ends: at the end of the input with kafka.bounded=true, or on Ctrl-C.";
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        JobConfig config = cl.jobConfig();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        boolean local = env instanceof LocalStreamEnvironment;
        if (local && !config.values().containsKey(InferenceJobOptions.JOB_CHECKPOINT_DIR.key())) {
            // a local MiniCluster has no checkpoint directory: a stable one, so a crashed or cancelled run can be resumed
            Map<String, String> overrides = new LinkedHashMap<>(cl.overrides());
            overrides.put(InferenceJobOptions.JOB_CHECKPOINT_DIR.key(), LocalCheckpoints.defaultDirectory());
            config = JobConfig.load(cl.config(), overrides);
        }
        InferenceJobSpec spec = InferenceJobSpec.from(config);
        if (!local) {
            submit(spec);
            return 0;
        }
        return runLocally(env, spec, out);
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

    private static int runLocally(StreamExecutionEnvironment env, InferenceJobSpec spec, PrintStream out) throws Exception {
        RecordSizeLimits limits;
        if (spec.kafkaCheckTopics()) {
            limits = TopicPreflight.check(spec);
            out.printf(Locale.ROOT, "Connected to Kafka at %s: topics %s -> %s / %s / %s exist%n", spec.kafkaBootstrapServers(),
                    spec.kafkaInputTopic(), spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic());
        } else {
            limits = RecordSizeLimits.assumed(spec.kafkaProperties(), "not read with kafka.check-topics=false");
        }
        InferenceJob.build(env, spec, limits);
        LoadedModel model = ModelSource.load(spec.inference().modelName());
        out.printf(Locale.ROOT, "Model %s v%s: %s matches %s (model.device=%s)%n", model.card().name(),
                model.card().versionOrDefault(), model.cardFile(), model.onnxFile(), spec.inference().modelDevice());
        try (OutputReader outputs = OutputReader.open(ClientProperties.of(spec.kafkaBootstrapServers(), spec.kafkaProperties()),
                spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic(), false)) {
            return watch(env.executeAsync(spec.jobName()), spec, outputs, out);
        }
    }

    /**
     * Follows the job until it ends, printing what its checkpoints commit; on Ctrl-C (or an interrupt) cancels it. A
     * failed job's exception is thrown (with the model's one line, when that is why).
     */
    private static int watch(JobClient job, InferenceJobSpec spec, OutputReader outputs, PrintStream out) throws Exception {
        long start = System.nanoTime();
        Thread main = Thread.currentThread();
        Thread onCtrlC = new Thread(() -> {
            main.interrupt();
            try {
                main.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mlpstream-run-stop");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        RunReport report = new RunReport();
        CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
        String ending;
        try {
            boolean announced = false;
            boolean hinted = false;
            long runningSince = 0;
            long nextLine = start;
            while (!result.isDone()) {
                if (!announced && status(job) == JobStatus.RUNNING) {
                    announced = true;
                    runningSince = System.nanoTime();
                    out.printf(Locale.ROOT, "Job '%s' running on a local Flink: reading %s from %s offsets%s, committing "
                                    + "results at every checkpoint (job.checkpoint-interval=%s).%s%n", spec.jobName(),
                            spec.kafkaInputTopic(), spec.kafkaStartingOffsets(),
                            spec.kafkaBounded() ? " to its end as of the start" : "",
                            TimeUtils.formatWithHighestUnit(spec.jobCheckpointInterval()),
                            spec.kafkaBounded() ? "" : " Ctrl-C stops it.");
                }
                outputs.poll(Duration.ofMillis(200), report::add);
                long now = System.nanoTime();
                if (report.changed() && now >= nextLine) {
                    report.printProgress(out, (now - start) / 1e9);
                    nextLine = now + PROGRESS_EVERY.toNanos();
                }
                if (announced && !hinted && report.tagged() + report.deadLetters() == 0
                        && now - runningSince > IDLE_HINT_AFTER.toNanos()) {
                    hinted = true;
                    out.printf(Locale.ROOT, "Nothing committed yet: waiting for images on %s at %s (send some with: "
                            + "send --bootstrap %s --topic %s FILE|DIR...)%n", spec.kafkaInputTopic(),
                            spec.kafkaBootstrapServers(), spec.kafkaBootstrapServers(), spec.kafkaInputTopic());
                }
            }
            try {
                result.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e; // e.g. the model a TaskManager could not open
            }
            ending = "finished at the end of the input";
        } catch (InterruptedException | InterruptException e) {
            Thread.interrupted(); // Ctrl-C: stop the job, then report what it committed
            out.println("Stopping: cancelling the job (what a checkpoint has not committed yet is left out).");
            cancel(job, result);
            ending = "stopped";
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException e) {
                // the JVM is shutting down (Ctrl-C): the hook is what stopped us
            }
        }
        outputs.readToEnd(report::add);
        if (report.changed()) {
            report.printProgress(out, (System.nanoTime() - start) / 1e9);
        }
        report.printSummary(out, spec.jobName(), ending, (System.nanoTime() - start) / 1e9, spec.kafkaResultsTopic(),
                spec.kafkaDeadLetterTopic());
        return 0;
    }

    /** The job's status, or null once its local cluster has shut down (the job ended). */
    private static JobStatus status(JobClient job) throws InterruptedException {
        try {
            return job.getJobStatus().get();
        } catch (ExecutionException | RuntimeException e) {
            return null;
        }
    }

    private static void cancel(JobClient job, CompletableFuture<JobExecutionResult> result) {
        try {
            job.cancel().get(60, TimeUnit.SECONDS);
            result.handle((r, e) -> null).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the job ended meanwhile, or its cluster is shutting down with the JVM
        }
    }
}
