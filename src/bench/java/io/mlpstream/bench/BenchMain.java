package io.mlpstream.bench;

import io.mlpstream.embedded.EmbeddedKafkaBroker;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.model.LoadedModel;
import io.mlpstream.model.ModelSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs the benchmark suites side by side in one process on one machine and writes Markdown tables
 * and CSV files (for the plots) to {@code --out}:
 * <ul>
 *   <li>raw: ONNX Runtime alone on preprocessed tensors, per batch size — the limit;</li>
 *   <li>pipeline: the full job (broker → job → results topic) at the same batch sizes, preloaded input;</li>
 *   <li>baselines: the same job with batching off (batch.max-size=1) and the naive per-record map job;</li>
 *   <li>latency: end-to-end percentiles at 70 % of the measured maximum, against the p99 target;</li>
 *   <li>sweep: batch.max-size × batch.max-delay at that load;</li>
 *   <li>profile: JFR over one batched and one per-record run, summarised by component.</li>
 * </ul>
 * Usage: {@code BenchMain --models mixer-digits,models/fullsize/mixer-s16 [--batch-sizes 1,4,8,16,32,64]
 * [--suites raw,pipeline,baselines,profile,latency,sweep] [--sweep-models a,b] [--raw-seconds 8] [--seconds 15]
 * [--checkpoint-interval "1 s"] [--in-flight 2] [--latency-batch 32] [--latency-delay 10] [--latency-rate img/s] [--out target/bench]}
 */
public final class BenchMain {
    private final Map<String, String> args;
    private final Path out;
    private final StringBuilder md = new StringBuilder();

    private BenchMain(Map<String, String> args) {
        this.args = args;
        this.out = Path.of(args.getOrDefault("out", "target/bench"));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        new BenchMain(args).run();
        System.exit(0);
    }

    private void run() throws Exception {
        Files.createDirectories(out);
        List<String> models = List.of(args.getOrDefault("models", "mixer-digits").split(","));
        int[] sizes = Arrays.stream(args.getOrDefault("batch-sizes", "1,4,8,16,32,64").split(",")).mapToInt(Integer::parseInt).toArray();
        Set<String> suites = Set.of(args.getOrDefault("suites", "raw,pipeline,baselines,latency,sweep").split(","));
        double rawSeconds = Double.parseDouble(args.getOrDefault("raw-seconds", "8"));
        double runSeconds = Double.parseDouble(args.getOrDefault("seconds", "15"));
        checkpointInterval = args.getOrDefault("checkpoint-interval", "1 s");
        inFlight = args.getOrDefault("in-flight", "2");
        md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, JDK ")
                .append(System.getProperty("java.version")).append(", ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.arch")).append(". Date: ").append(LocalDate.now())
                .append(". Checkpoint interval: ").append(checkpointInterval).append(". batch.max-in-flight: ").append(inFlight)
                .append(".\n\n");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
                PrintWriter raw = csv("raw.csv", "model,batch,callers,threads,images_per_s");
                PrintWriter pipe = csv("pipeline.csv", "model,mode,batch,delay_ms,offered_per_s,throughput_per_s,e2e_p50_ms,e2e_p95_ms,e2e_p99_ms,inference_p99_ms,mean_batch")) {
            for (String model : models) {
                benchmarkModel(broker, model, sizes, suites, rawSeconds, runSeconds, raw, pipe);
            }
        }
        Files.writeString(out.resolve("results.md"), md.toString());
        System.out.println(md);
    }

    private void benchmarkModel(EmbeddedKafkaBroker broker, String model, int[] sizes, Set<String> suites, double rawSeconds,
            double runSeconds, PrintWriter raw, PrintWriter pipe) throws Exception {
        LoadedModel loaded = ModelSource.load(model);
        String name = loaded.card().name();
        BenchInputs.Inputs inputs = BenchInputs.forCard(loaded.card(), 64);
        md.append("## ").append(name).append(" (").append(loaded.card().architecture()).append(")\n\nInputs: ")
                .append(inputs.description()).append(".\n\n");
        log("== %s: %s", name, inputs.description());

        if (suites.contains("preprocess") && loaded.card().input().channels() == 3) {
            PreprocessCost.Cost c = PreprocessCost.measure(loaded.card().preprocessSpec(), inputs.images(), 5);
            md.append(String.format(Locale.ROOT, "Preprocessing CPU per image (one thread, %d images x 5 rounds): decode %.2f ms; "
                    + "decode + fused bilinear resize/crop (the job) %.2f ms; decode + Java2D resize then crop (previous) %.2f ms.%n%n",
                    inputs.images().size(), c.decodeMs(), c.fusedMs(), c.java2dMs()));
            log("preprocess: decode %.2f ms, fused %.2f ms, java2d %.2f ms", c.decodeMs(), c.fusedMs(), c.java2dMs());
        }

        Map<Integer, Double> limit = new TreeMap<>();
        if (suites.contains("raw")) {
            md.append("| batch | raw ORT, 2 callers × 1 thread (img/s) | raw ORT, 1 caller × 2 threads (img/s) | limit |\n|---|---|---|---|\n");
            for (int b : sizes) {
                double twoByOne = RawOrtBenchmark.measure(loaded, inputs.images(), b, 2, 1, rawSeconds);
                double oneByTwo = RawOrtBenchmark.measure(loaded, inputs.images(), b, 1, 2, rawSeconds);
                raw.printf(Locale.ROOT, "%s,%d,2,1,%.2f%n%s,%d,1,2,%.2f%n", name, b, twoByOne, name, b, oneByTwo);
                raw.flush();
                limit.put(b, Math.max(twoByOne, oneByTwo));
                md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f |%n", b, twoByOne, oneByTwo, limit.get(b)));
                log("raw b=%d: 2x1 %.1f/s, 1x2 %.1f/s", b, twoByOne, oneByTwo);
            }
            md.append('\n');
        }

        double best = 0;
        Map<Integer, Double> pipelineByBatch = new TreeMap<>();
        int bestBatch = sizes[sizes.length - 1];
        if (suites.contains("pipeline")) {
            md.append("| batch | pipeline (img/s) | raw limit (img/s) | pipeline ÷ raw | mean batch |\n|---|---|---|---|---|\n");
            for (int b : sizes) {
                int events = events(limit.getOrDefault(b, 0.0), runSeconds);
                PipelineRun.Result r = PipelineRun.run(broker, inputs, events, 0, batched(model, b, 10), InferenceJob::build);
                record(pipe, name, "batched", b, 10, r);
                double l = limit.getOrDefault(b, Double.NaN);
                md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2f | %.1f |%n", b, r.throughput(), l, r.throughput() / l, r.meanBatch()));
                log("pipeline b=%d: %.1f/s (raw %.1f, ratio %.2f)", b, r.throughput(), l, r.throughput() / l);
                pipelineByBatch.put(b, r.throughput());
                if (r.throughput() > best) {
                    best = r.throughput();
                    bestBatch = b;
                }
            }
            md.append('\n');
        }

        if (suites.contains("baselines")) {
            int events = events(limit.getOrDefault(1, best / 4), runSeconds);
            PipelineRun.Result off = PipelineRun.run(broker, inputs, events, 0, batched(model, 1, 10), InferenceJob::build);
            record(pipe, name, "batching-off", 1, 10, off);
            PipelineRun.Result naive = PipelineRun.run(broker, inputs, events, 0, batched(model, 1, 10),
                    (env, spec) -> InferenceJob.build(env, spec,
                            (records, s) -> records.map(new NaivePerRecordFunction(s.inference())).name("per-record map")));
            record(pipe, name, "naive-per-record", 1, 0, naive);
            md.append("| job | throughput (img/s) | micro-batched ÷ this |\n|---|---|---|\n");
            md.append(String.format(Locale.ROOT, "| micro-batched (batch.max-size=%d) | %.1f | 1.00 |%n", bestBatch, best));
            md.append(String.format(Locale.ROOT, "| batching off (batch.max-size=1, async) | %.1f | %.2f |%n", off.throughput(), best / off.throughput()));
            md.append(String.format(Locale.ROOT, "| naive per-record RichMapFunction | %.1f | %.2f |%n%n", naive.throughput(), best / naive.throughput()));
            log("baselines: batching off %.1f/s, naive %.1f/s, batched best %.1f/s", off.throughput(), naive.throughput(), best);
        }

        if (suites.contains("profile")) {
            int b = 32;
            int events = events(limit.getOrDefault(b, best > 0 ? best : 500.0), runSeconds);
            Path batchedJfr = out.resolve("profile-" + name + "-batched.jfr");
            try (JfrProfile p = new JfrProfile(batchedJfr)) {
                PipelineRun.run(broker, inputs, events, 0, batched(model, b, 10), InferenceJob::build);
            }
            Path naiveJfr = out.resolve("profile-" + name + "-naive.jfr");
            try (JfrProfile p = new JfrProfile(naiveJfr)) {
                PipelineRun.run(broker, inputs, Math.max(200, events / 3), 0, batched(model, 1, 10),
                        (env, spec) -> InferenceJob.build(env, spec,
                                (records, s) -> records.map(new NaivePerRecordFunction(s.inference())).name("per-record map")));
            }
            md.append("Profile (JFR, whole process: broker, producer, job, reader), micro-batched pipeline at batch.max-size=")
                    .append(b).append(":\n\n").append(JfrProfile.summary(batchedJfr)).append("\nNaive per-record job:\n\n")
                    .append(JfrProfile.summary(naiveJfr)).append('\n');
        }

        // Latency under load: the job's batch settings (defaults 32 / 10 ms) at 70 % of the maximum that the
        // same settings sustain (preloaded input), so the load is 70 % of what this configuration can do.
        int latencyBatch = Integer.parseInt(args.getOrDefault("latency-batch", "32"));
        int latencyDelay = Integer.parseInt(args.getOrDefault("latency-delay", "10"));
        double latencyRate = 0;
        if ((suites.contains("latency") || suites.contains("sweep")) && !args.containsKey("latency-rate")) {
            Double max = pipelineByBatch.get(latencyBatch);
            if (max == null) {
                int events = events(limit.getOrDefault(latencyBatch, best > 0 ? best : 500.0), runSeconds);
                PipelineRun.Result r = PipelineRun.run(broker, inputs, events, 0, batched(model, latencyBatch, latencyDelay), InferenceJob::build);
                record(pipe, name, "batched", latencyBatch, latencyDelay, r);
                max = r.throughput();
                log("pipeline b=%d (maximum for the latency run): %.1f/s", latencyBatch, max);
            }
            latencyRate = 0.7 * max;
        }
        if (args.containsKey("latency-rate")) {
            latencyRate = Double.parseDouble(args.get("latency-rate")); // the same offered load for a before/after pair
        }
        if (suites.contains("latency") && latencyRate > 0) {
            double rate = latencyRate;
            int events = (int) Math.max(200, rate * runSeconds);
            PipelineRun.Result r = PipelineRun.run(broker, inputs, events, rate, batched(model, latencyBatch, latencyDelay), InferenceJob::build);
            record(pipe, name, "latency-70pct", latencyBatch, latencyDelay, r);
            writeSamples(name, r.e2eSamples());
            double target = latencyDelay + 2 * r.inferenceP99() / 1000.0 + 5;
            md.append(String.format(Locale.ROOT, "Latency at 70%% of the maximum of the same settings (%.1f img/s offered, batch.max-size=%d, "
                            + "batch.max-delay=%d ms): e2e p50 %.1f ms, p95 %.1f ms, p99 %.1f ms; p99 batch inference %.1f ms; "
                            + "target p99 ≤ %d + 2 × %.1f + 5 = %.1f ms: **%s**.%nBy stage: %s.%n%n",
                    rate, latencyBatch, latencyDelay, r.e2eP50() / 1000.0, r.e2eP95() / 1000.0, r.e2eP99() / 1000.0,
                    r.inferenceP99() / 1000.0, latencyDelay, r.inferenceP99() / 1000.0, target,
                    r.e2eP99() / 1000.0 <= target ? "met" : "missed", r.stages()));
            log("latency @%.1f/s: p99 %.1f ms (target %.1f); %s", rate, r.e2eP99() / 1000.0, target, r.stages());
        }

        boolean sweepThis = !args.containsKey("sweep-models") || List.of(args.get("sweep-models").split(",")).contains(model);
        if (suites.contains("sweep") && sweepThis && latencyRate > 0) {
            double rate = latencyRate;
            int events = (int) Math.max(200, rate * runSeconds * 0.6);
            md.append(String.format(Locale.ROOT, "Sweep at %.1f img/s offered:%n%n| batch.max-size | batch.max-delay | e2e p50 (ms) | e2e p99 (ms) | mean batch |%n|---|---|---|---|---|%n", rate));
            for (int b : new int[] {4, 16, 64}) {
                for (int delay : new int[] {2, 10, 50}) {
                    PipelineRun.Result r = PipelineRun.run(broker, inputs, events, rate, batched(model, b, delay), InferenceJob::build);
                    record(pipe, name, "sweep", b, delay, r);
                    md.append(String.format(Locale.ROOT, "| %d | %d ms | %.1f | %.1f | %.1f |%n", b, delay, r.e2eP50() / 1000.0, r.e2eP99() / 1000.0, r.meanBatch()));
                    log("sweep b=%d delay=%d: p50 %.1f p99 %.1f; %s", b, delay, r.e2eP50() / 1000.0, r.e2eP99() / 1000.0, r.stages());
                }
            }
            md.append('\n');
        }
        Files.writeString(out.resolve("results.md"), md.toString());
    }

    private static String checkpointInterval = "1 s";
    private static String inFlight = "2";

    private static Map<String, String> batched(String model, int batch, int delayMs) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("job.checkpoint-interval", checkpointInterval);
        o.put("model.name", model);
        o.put("model.device", "cpu");
        o.put("model.intra-op-threads", "1");
        o.put("batch.max-size", Integer.toString(batch));
        o.put("batch.max-delay", delayMs + " ms");
        o.put("batch.max-in-flight", inFlight);
        o.put("async.timeout", "10 min");
        return o;
    }

    /** Enough events for about {@code seconds} of work at the expected rate, within sane bounds. */
    private static int events(double expectedRate, double seconds) {
        return (int) Math.min(12_000, Math.max(400, expectedRate * seconds));
    }

    private void record(PrintWriter csv, String model, String mode, int batch, int delay, PipelineRun.Result r) {
        csv.printf(Locale.ROOT, "%s,%s,%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f%n", model, mode, batch, delay, r.offeredRate(),
                r.throughput(), r.e2eP50() / 1000.0, r.e2eP95() / 1000.0, r.e2eP99() / 1000.0, r.inferenceP99() / 1000.0, r.meanBatch());
        csv.flush();
        if (r.deadLetters() > 0) {
            log("WARNING: %d dead letters in %s run of %s", r.deadLetters(), mode, model);
        }
    }

    private void writeSamples(String model, long[] e2e) throws IOException {
        List<String> lines = new ArrayList<>(List.of("e2e_ms"));
        for (long v : e2e) {
            lines.add(String.format(Locale.ROOT, "%.3f", v / 1000.0));
        }
        Files.write(out.resolve("latency-" + model + ".csv"), lines);
    }

    private PrintWriter csv(String file, String header) throws IOException {
        PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve(file)));
        w.println(header);
        return w;
    }

    private static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }
}
