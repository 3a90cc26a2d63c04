package io.mlpstream.bench;

import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.job.InferenceJob;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our job beside DJL (0.38.0, its ONNX Runtime engine on our ONNX Runtime) inside the same Kafka job, same source and
 * sinks: throughput with the input preloaded (medians of {@code --runs} rounds after {@code --warmup-runs} discarded
 * ones, the jobs alternating within each round), then end-to-end latency with all three offered the same load (the
 * latency suite's open-loop producer) — 70 % of the slowest one's median throughput unless {@code --latency-rate} says.
 * Lines starting with {@value #LINE} repeat the figures for grep.
 */
final class PeersSuite {
    static final String LINE = "PEERS";

    /** The jobs compared. */
    enum Job {
        OURS("mlpstream", "mlpstream micro-batched (batch.max-size=32, batch.max-delay=10 ms)", InferenceJob.MICRO_BATCHED),
        DJL_PER_RECORD("djl-per-record", "DJL predict per record (ProcessFunction)", DjlStages.PER_RECORD),
        DJL_BATCHED("djl-batched", "DJL batchPredict per count window (32, 10 ms timeout)", DjlStages.BATCHED);

        final String id;
        final String description;
        final InferenceJob.InferenceStage stage;

        Job(String id, String description, InferenceJob.InferenceStage stage) {
            this.id = id;
            this.description = description;
            this.stage = stage;
        }
    }

    /** Events per preloaded run, rounds, and the latency runs' offered rate (0: 70 % of the slowest), events, repeats. */
    record Settings(int events, int warmupRounds, int rounds, double latencyRate, double latencySeconds, int latencyRepeats) {}

    private PeersSuite() {}

    private static PipelineRun.Result runOnce(EmbeddedKafkaBroker broker, BenchInputs.Inputs inputs, String model, Job job, int events,
            double rate) throws Exception {
        return PipelineRun.run(broker, inputs, events, rate, BenchMain.batched(model, DjlStages.BATCH, (int) DjlStages.MAX_DELAY.toMillis()),
                (env, spec) -> InferenceJob.build(env, spec, job.stage));
    }

    /** Runs the suite for one model; returns its Markdown section. */
    static String run(EmbeddedKafkaBroker broker, String model, String name, BenchInputs.Inputs inputs, Settings s, PrintWriter pipe)
            throws Exception {
        for (int i = 1; i <= s.warmupRounds(); i++) {
            for (Job job : Job.values()) {
                PipelineRun.Result r = runOnce(broker, inputs, model, job, s.events(), 0);
                BenchMain.log("peers warm-up %d/%d (discarded): %s %s, %d events, %.1f/s", i, s.warmupRounds(), name, job.id, s.events(),
                        r.throughput());
            }
        }
        Map<Job, List<Double>> throughput = new LinkedHashMap<>();
        for (int i = 1; i <= s.rounds(); i++) {
            for (Job job : Job.values()) {
                PipelineRun.Result r = runOnce(broker, inputs, model, job, s.events(), 0);
                BenchMain.record(pipe, name, "peers " + job.id, DjlStages.BATCH, (int) DjlStages.MAX_DELAY.toMillis(), r);
                throughput.computeIfAbsent(job, j -> new ArrayList<>()).add(r.throughput());
                System.out.printf(Locale.ROOT, "%s run model=%s job=%s events=%d run=%d/%d img_per_s=%.1f mean_batch=%.1f dead_letters=%d%n",
                        LINE, name, job.id, s.events(), i, s.rounds(), r.throughput(), r.meanBatch(), r.deadLetters());
            }
        }
        Map<Job, Double> medians = new LinkedHashMap<>();
        throughput.forEach((job, runs) -> medians.put(job, BenchMain.median(runs)));
        double rate = s.latencyRate() > 0 ? s.latencyRate()
                : 0.7 * medians.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        int latencyEvents = (int) Math.max(200, rate * s.latencySeconds());
        Map<Job, List<PipelineRun.Result>> latency = new LinkedHashMap<>();
        for (int i = 1; i <= s.latencyRepeats(); i++) {
            for (Job job : Job.values()) {
                PipelineRun.Result r = runOnce(broker, inputs, model, job, latencyEvents, rate);
                BenchMain.record(pipe, name, "peers-latency " + job.id, DjlStages.BATCH, (int) DjlStages.MAX_DELAY.toMillis(), r);
                latency.computeIfAbsent(job, j -> new ArrayList<>()).add(r);
                System.out.printf(Locale.ROOT, "%s latency model=%s job=%s offered_img_per_s=%.1f run=%d/%d e2e_p50_ms=%.1f "
                        + "e2e_p99_ms=%.1f kept_up=%s%n", LINE, name, job.id, rate, i, s.latencyRepeats(), r.e2eP50() / 1000.0,
                        r.e2eP99() / 1000.0, r.keptUp());
            }
        }

        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "### Peers: %s%n%n"
                + "Throughput: %d events preloaded per run, %d discarded warm-up rounds, %d measured rounds. Latency: %d events "
                + "offered at %.1f img/s to each job (%s), %d run(s) each, end to end from the Kafka record's timestamp to the "
                + "result, the earliest 10 %% skipped.%n%n| job | img/s, every run | median (img/s) | mlpstream ÷ this | e2e p50 (ms) "
                + "| e2e p99 (ms) | kept up |%n|---|---|---|---|---|---|---|%n", name, s.events(), s.warmupRounds(), s.rounds(),
                latencyEvents, rate, s.latencyRate() > 0 ? "--latency-rate" : "70 % of the slowest median", s.latencyRepeats()));
        double ours = medians.get(Job.OURS);
        for (Job job : Job.values()) {
            List<PipelineRun.Result> l = latency.getOrDefault(job, List.of());
            md.append(String.format(Locale.ROOT, "| %s | %s | **%.1f** | %.2f | %s | %s | %s |%n", job.description,
                    String.join(", ", throughput.get(job).stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList()),
                    medians.get(job), ours / medians.get(job),
                    join(l, r -> r.e2eP50() / 1000.0), join(l, r -> r.e2eP99() / 1000.0),
                    String.join(", ", l.stream().map(r -> r.keptUp() ? "yes" : "no").toList())));
            System.out.printf(Locale.ROOT, "%s median model=%s job=%s img_per_s=%.1f ours_over_this=%.2f%n", LINE, name, job.id,
                    medians.get(job), ours / medians.get(job));
        }
        return md.append('\n').toString();
    }

    private static String join(List<PipelineRun.Result> results, java.util.function.ToDoubleFunction<PipelineRun.Result> f) {
        return String.join(", ", results.stream().map(r -> String.format(Locale.ROOT, "%.1f", f.applyAsDouble(r))).toList());
    }
}
