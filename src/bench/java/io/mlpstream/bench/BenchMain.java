package io.mlpstream.bench;

import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.core.image.JpegDecoding;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelSource;

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
 *   <li>bracketed: pipeline ÷ raw with the raw limit measured right before and after each pipeline run (the machine's
 *       speed drifts by more than the gaps we measure), {@code --pairs} rounds of the {@code --variants} (A/B);</li>
 *   <li>decompose: in the job's shape, raw ORT, the operator's batch work alone (no Kafka, no Flink) and the job, each
 *       with its time per ONNX Runtime run, so a gap splits into the worker's own CPU work and the rest of the pipeline;</li>
 *   <li>interleave: ms per raw ORT run with nothing, random spinning, or each JPEG decoder's preprocessing between runs;</li>
 *   <li>baselines: the same job with batching off (batch.max-size=1) and the naive per-record map job;</li>
 *   <li>latency: end-to-end percentiles at 70 % of the maximum sustainable rate (an open-loop ramp with a live producer), against the p99 target;</li>
 *   <li>sweep: batch.max-size × batch.max-delay at that load;</li>
 *   <li>profile: JFR over one batched and one per-record run, summarised by component;</li>
 *   <li>ceiling: the framework's ceiling, the batched job and the naive per-record map around a model that costs
 *       nothing ({@link CeilingSuite}; once, whatever {@code --models} says);</li>
 *   <li>components: µs of CPU per record by component of that batched job, from async-profiler, beside JMH floors, and
 *       the CPU around the model per record ({@link ComponentsSuite}; once);</li>
 *   <li>peers: the job beside DJL per record and DJL batched in the same Kafka job ({@link PeersSuite});</li>
 *   <li>sql: jobs/digits-tagging.sql (ML_PREDICT with the mlpstream provider) beside the DataStream job ({@link SqlSuite}).</li>
 * </ul>
 * Usage: {@code BenchMain --models mixer-digits,models/fullsize/mixer-s16 [--batch-sizes 1,4,8,16,32,64]
 * [--suites raw,pipeline,bracketed,decompose,interleave,preprocess,baselines,profile,latency,sweep,ceiling,components,peers,sql] [--gap-ms 50] [--sweep-models a,b] [--raw-seconds 8] [--seconds 15]
 * [--checkpoint-interval "1 s"] [--in-flight 2] [--latency-batch 32] [--latency-delay 10] [--latency-rate img/s] [--events N] [--warmup-runs 3] [--jvm-warmup seconds] [--latency-repeats 3] [--job "k=v;k=v"]
 * [--variants "k=v;k=v|k=v"] [--pairs 2] [--runs 3] [--ceiling-jobs batched,naive] [--profile-interval-ms 1] [--jmh-seconds 3]
 * [--jmh-only regex] [--gpu-raw img/s] [--out target/bench]}
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
        fixedEvents = Integer.parseInt(args.getOrDefault("events", "0"));
        extraOptions.putAll(jobOptions(args.getOrDefault("job", "")));
        if (suites.contains("peers")) {
            log("%s, started first (it must create the JVM's OrtEnvironment)", DjlClassifier.startEngine());
        }
        md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, JDK ")
                .append(System.getProperty("java.version")).append(", ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.arch")).append(". Date: ").append(LocalDate.now())
                .append(". Checkpoint interval: ").append(checkpointInterval).append(". batch.max-in-flight: ").append(inFlight)
                .append(".\n\n");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
                PrintWriter raw = csv("raw.csv", "model,batch,callers,threads,images_per_s");
                PrintWriter pipe = csv("pipeline.csv", "model,mode,batch,delay_ms,offered_per_s,throughput_per_s,e2e_p50_ms,e2e_p95_ms,e2e_p99_ms,inference_p99_ms,mean_batch")) {
            jvmWarmUp(broker, Double.parseDouble(args.getOrDefault("jvm-warmup", "0")));
            if (suites.contains("ceiling") || suites.contains("components")) {
                frameworkCeiling(broker, suites, pipe);
            }
            if (suites.stream().anyMatch(s -> !FRAMEWORK_SUITES.contains(s))) {
                for (String model : models) {
                    benchmarkModel(broker, model, sizes, suites, rawSeconds, runSeconds, raw, pipe);
                }
            }
        }
        Files.writeString(out.resolve("results.md"), md.toString());
        System.out.println(md);
    }

    /**
     * The suites on the trivial model, once whatever {@code --models} says: {@code ceiling} (the batched job beside the
     * naive per-record map) and {@code components} (per-record CPU by component from a profile, beside JMH floors).
     */
    private void frameworkCeiling(EmbeddedKafkaBroker broker, Set<String> suites, PrintWriter pipe) throws Exception {
        CeilingSuite ceiling = CeilingSuite.onTrivialModel(broker);
        int events = fixedEvents > 0 ? fixedEvents : CeilingSuite.DEFAULT_EVENTS;
        int warmupRuns = Integer.parseInt(args.getOrDefault("warmup-runs", "3"));
        int runs = Integer.parseInt(args.getOrDefault("runs", "3"));
        log("== framework ceiling: %s, %d events a run", ceiling.model(), events);
        long profileInterval = (long) (Double.parseDouble(args.getOrDefault("profile-interval-ms", "1")) * 1e6);
        if (suites.contains("components")) {
            AsyncProfile.prime(out, profileInterval); // before the warm-up runs, which absorb the recompilation it sets off
        }
        if (suites.contains("ceiling")) {
            List<CeilingSuite.Job> jobs = CeilingSuite.Job.parse(args.getOrDefault("ceiling-jobs", "batched,naive"));
            ceiling.warmUp(jobs, events, warmupRuns);
            md.append(ceiling.measure(jobs, events, warmupRuns, runs, pipe));
            warmupRuns = 0; // the JVM has run the batched job already
        }
        if (suites.contains("components")) {
            md.append(ComponentsSuite.run(ceiling, new ComponentsSuite.Settings(events, warmupRuns, profileInterval,
                    Integer.parseInt(args.getOrDefault("jmh-seconds", "3")), args.get("jmh-only"),
                    Double.parseDouble(args.getOrDefault("gpu-raw", "0"))), out, pipe));
        }
        Files.writeString(out.resolve("results.md"), md.toString());
    }

    /**
     * {@code --jvm-warmup S}: before any model, about S seconds of discarded pipeline runs of the bundled tiny model. At
     * ~2,000 img/s they take the JIT through Kafka's, Flink's and Avro's per-record code ~100 times faster than a 20 img/s
     * model's own warm-up runs do: after one to four of those, the compiler threads still took 2.5-3.6 % of the two cores in
     * the measured run (per-thread CPU; LogCompilation: ~1,400 compilations in 40 s, mostly Kafka and Flink methods).
     */
    private void jvmWarmUp(EmbeddedKafkaBroker broker, double seconds) throws Exception {
        if (seconds <= 0) {
            return;
        }
        LoadedModel tiny = ModelSource.load("mixer-digits");
        BenchInputs.Inputs inputs = BenchInputs.forCard(tiny.card(), 64);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int runs = 0;
        while (System.nanoTime() < end) {
            PipelineRun.Result w = PipelineRun.run(broker, inputs, 10_000, 0, batched("mixer-digits", 32, 10), InferenceJob::build);
            log("JVM warm-up run %d (mixer-digits, discarded): 10000 events, %.1f/s", ++runs, w.throughput());
        }
        md.append(String.format(Locale.ROOT, "JVM warmed up first: %d discarded runs of mixer-digits (%.0f s).%n%n", runs, seconds));
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
            boolean antialias = loaded.card().preprocessSpec().antialias();
            PreprocessCost.Cost c = PreprocessCost.measure(loaded.card().preprocessSpec(), inputs.images(), 5);
            md.append(String.format(Locale.ROOT, "Preprocessing CPU per image (one thread, %d images x 5 rounds): ImageIO decode %.2f ms; "
                    + "ImageIO decode of the crop's source window + fused bilinear resize/crop (the job with image.jpeg-decoder=imageio) "
                    + "%.2f ms; whole ImageIO decode + fused resize/crop %.2f ms; whole ImageIO decode + Java2D resize then crop %.2f ms; "
                    + "TurboJPEG decode %.2f ms; TurboJPEG decode + fused resize/crop (the job with libturbojpeg) %.2f ms; the same with "
                    + "antialias=%s %.2f ms.%n%n",
                    inputs.images().size(), c.decodeMs(), c.windowMs(), c.fusedMs(), c.java2dMs(), c.turboDecodeMs(), c.turboMs(),
                    !antialias, c.turboOtherMs()));
            log("preprocess (antialias=%s): decode %.2f ms, window+fused %.2f ms, fused %.2f ms, java2d %.2f ms, turbo decode %.2f ms, "
                    + "turbo+fused %.2f ms, turbo+fused with antialias=%s %.2f ms", antialias,
                    c.decodeMs(), c.windowMs(), c.fusedMs(), c.java2dMs(), c.turboDecodeMs(), c.turboMs(),
                    !antialias, c.turboOtherMs());
        }

        Map<Integer, Double> limit = new TreeMap<>();
        if (suites.contains("raw")) {
            md.append("| batch | raw ORT, 2 callers × 1 thread (img/s) | raw ORT, 1 caller × 2 threads (img/s) | limit |\n|---|---|---|---|\n");
            for (int b : sizes) {
                Raw r = raw(loaded, inputs, b, rawSeconds, raw, name);
                limit.put(b, r.limit());
                md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f |%n", b, r.twoByOne(), r.oneByTwo(), r.limit()));
                log("raw b=%d: 2x1 %.1f/s, 1x2 %.1f/s", b, r.twoByOne(), r.oneByTwo());
            }
            md.append('\n');
        }

        int warmupRuns = Integer.parseInt(args.getOrDefault("warmup-runs", "3"));
        boolean warmUp = warmupRuns > 0 && suites.stream().anyMatch(PIPELINE_SUITES::contains);
        // each warm-up run is about 5 s of work: sized by the raw suite's limit, else by a short raw run (a fixed guess
        // of 500 img/s made the warm-up of a 5 img/s model take minutes)
        double expected = !warmUp || fixedEvents > 0 ? 0 : !limit.isEmpty() ? limit.values().iterator().next()
                : RawOrtBenchmark.measure(loaded, inputs.images(), sizes[0], 2, 1, 3);
        for (int i = 0; i < warmupRuns && warmUp; i++) {
            // discarded runs first: the first jobs in a JVM pay for JIT-compiling Flink, Kafka and Avro (the compiler
            // threads compete for the same two cores), which made the first measured run up to 40 % slower
            int events = fixedEvents > 0 ? fixedEvents : (int) Math.max(100, Math.min(12_000, expected * 5));
            PipelineRun.Result w = PipelineRun.run(broker, inputs, events, 0, batched(model, 32, 10), InferenceJob::build);
            log("warm-up run (discarded): %d events, %.1f/s", events, w.throughput());
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

        if (suites.contains("bracketed")) {
            // pipeline ÷ raw with the machine's drift taken out: the raw limit is measured right before and right after
            // every pipeline run, and each run is divided by the mean of the two. Variants (--variants "a|b", each in
            // --job syntax, empty = as configured) alternate, so an A/B shares the same stretch of machine time.
            String[] variants = variants();
            int pairs = Integer.parseInt(args.getOrDefault("pairs", "2"));
            md.append("Bracketed runs (raw limit measured before and after each pipeline run; ratio = pipeline ÷ their mean):\n\n"
                    + "| batch | variant | raw before (img/s) | pipeline (img/s) | raw after (img/s) | pipeline ÷ raw | mean batch |\n"
                    + "|---|---|---|---|---|---|---|\n");
            for (int b : sizes) {
                double before = raw(loaded, inputs, b, rawSeconds, raw, name).limit();
                Map<String, List<Double>> ratios = new LinkedHashMap<>();
                for (int p = 0; p < pairs; p++) {
                    for (String variant : variants) {
                        String label = label(variant);
                        Map<String, String> options = variantOptions(model, b, variant);
                        PipelineRun.Result r = PipelineRun.run(broker, inputs, events(before, runSeconds), 0, options, InferenceJob::build);
                        record(pipe, name, "bracketed " + label.replace(',', ' '), b, 10, r);
                        double after = raw(loaded, inputs, b, rawSeconds, raw, name).limit();
                        double ratio = r.throughput() / ((before + after) / 2);
                        ratios.computeIfAbsent(label, k -> new ArrayList<>()).add(ratio);
                        md.append(String.format(Locale.ROOT, "| %d | %s | %.1f | %.1f | %.1f | %.3f | %.1f |%n", b, label, before,
                                r.throughput(), after, ratio, r.meanBatch()));
                        log("bracketed b=%d [%s]: raw %.1f, pipeline %.1f, raw %.1f: ratio %.3f", b, label, before, r.throughput(),
                                after, ratio);
                        before = after;
                    }
                }
                appendMedians(b, ratios);
                md.append('\n');
            }
        }

        if (suites.contains("decompose")) {
            // the gap split in two, all in the job's shape (2 callers x 1 intra-op thread): raw ORT -> the operator's
            // batch work alone (Avro + decode + preprocess + run + top-k, back to back, no Kafka or Flink) -> the job;
            // --variants alternate job options within each pair (the operator alone follows image.jpeg-decoder)
            int pairs = Integer.parseInt(args.getOrDefault("pairs", "2"));
            String[] variants = variants();
            md.append("Decomposed, 2 callers × 1 intra-op thread (the job's shape); img/s, and ms per ONNX Runtime run in brackets:\n\n"
                    + "| batch | variant | raw before | operator alone | pipeline | raw after | operator ÷ raw | pipeline ÷ operator | pipeline ÷ raw |\n"
                    + "|---|---|---|---|---|---|---|---|---|\n");
            for (int b : sizes) {
                RawOrtBenchmark.Measured before = RawOrtBenchmark.measureRuns(loaded, inputs.images(), b, 2, 1, rawSeconds);
                Map<String, List<Double>> ratios = new LinkedHashMap<>();
                for (int p = 0; p < pairs; p++) {
                    for (String variant : variants) {
                        String label = label(variant);
                        Map<String, String> options = variantOptions(model, b, variant);
                        JpegDecoding jpeg = JpegDecoding.parse(options.getOrDefault("image.jpeg-decoder", "auto"));
                        RawOrtBenchmark.Measured op = RawOrtBenchmark.measureOperator(loaded, inputs.images(), inputs.contentType(), b,
                                2, 1, rawSeconds, jpeg);
                        int events = events(before.imagesPerSecond(), runSeconds);
                        log("decompose b=%d [%s]: pipeline run, %d events", b, label, events);
                        PipelineRun.Result r = PipelineRun.run(broker, inputs, events, 0, options, InferenceJob::build);
                        record(pipe, name, "decompose " + label.replace(',', ' '), b, 10, r);
                        RawOrtBenchmark.Measured after = RawOrtBenchmark.measureRuns(loaded, inputs.images(), b, 2, 1, rawSeconds);
                        double rawMean = (before.imagesPerSecond() + after.imagesPerSecond()) / 2;
                        ratios.computeIfAbsent(label, k -> new ArrayList<>()).add(r.throughput() / rawMean);
                        md.append(String.format(Locale.ROOT, "| %d | %s | %.1f (%.0f) | %.1f (%.0f) | %.1f (%.0f) | %.1f (%.0f) | %.3f | %.3f | %.3f |%n",
                                b, label, before.imagesPerSecond(), before.msPerRun(), op.imagesPerSecond(), op.msPerRun(), r.throughput(),
                                r.inferenceMeanUs() / 1000, after.imagesPerSecond(), after.msPerRun(), op.imagesPerSecond() / rawMean,
                                r.throughput() / op.imagesPerSecond(), r.throughput() / rawMean));
                        log("decompose b=%d [%s]: raw %.1f (%.0f ms/run), operator %.1f (%.0f), pipeline %.1f (%.0f), raw %.1f (%.0f): "
                                + "operator/raw %.3f, pipeline/raw %.3f", b, label, before.imagesPerSecond(), before.msPerRun(),
                                op.imagesPerSecond(), op.msPerRun(), r.throughput(), r.inferenceMeanUs() / 1000, after.imagesPerSecond(),
                                after.msPerRun(), op.imagesPerSecond() / rawMean, r.throughput() / rawMean);
                        before = after;
                    }
                }
                appendMedians(b, ratios);
            }
            md.append('\n');
        }

        if (suites.contains("interleave")) {
            // why the operator's ORT runs are slower than raw ones: rounds of back-to-back runs, runs separated by random
            // spinning (out of phase, caches intact) and runs separated by the real preprocessing (decode between runs)
            int pairs = Integer.parseInt(args.getOrDefault("pairs", "2"));
            double gapMs = Double.parseDouble(args.getOrDefault("gap-ms", "50"));
            md.append(String.format(Locale.ROOT, "Interleaved, 2 callers × 1 intra-op thread; ms per ONNX Runtime run (spin: random 0–%.0f ms "
                    + "between runs):%n%n| batch | round | back to back | spin between | ImageIO preprocessing between | TurboJPEG preprocessing "
                    + "between |%n|---|---|---|---|---|---|%n", 2 * gapMs));
            for (int b : sizes) {
                for (int p = 0; p < pairs; p++) {
                    double[] ms = new double[RawOrtBenchmark.Between.values().length];
                    for (RawOrtBenchmark.Between between : RawOrtBenchmark.Between.values()) {
                        ms[between.ordinal()] = RawOrtBenchmark.measureInterleaved(loaded, inputs.images(), b, 2, 1, rawSeconds, between, gapMs)
                                .msPerRun();
                    }
                    md.append(String.format(Locale.ROOT, "| %d | %d | %.0f | %.0f | %.0f | %.0f |%n", b, p + 1, ms[0], ms[1], ms[2], ms[3]));
                    log("interleave b=%d round %d: back to back %.0f ms/run, spin %.0f, ImageIO %.0f, TurboJPEG %.0f", b, p + 1, ms[0], ms[1],
                            ms[2], ms[3]);
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
                            NaivePerRecordFunction.STAGE));
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
                                NaivePerRecordFunction.STAGE));
            }
            md.append("Profile (JFR, whole process: broker, producer, job, reader), micro-batched pipeline at batch.max-size=")
                    .append(b).append(":\n\n").append(JfrProfile.summary(batchedJfr)).append("\nNaive per-record job:\n\n")
                    .append(JfrProfile.summary(naiveJfr)).append('\n');
        }

        if (suites.contains("peers")) {
            // our job beside DJL's per-record and batched predictors in the same Kafka job; runs sized like the pipeline
            // suite's (about --seconds of work at the raw b=32 rate) unless --events says
            int events = fixedEvents > 0 ? fixedEvents
                    : events(limit.containsKey(32) ? limit.get(32) : RawOrtBenchmark.measure(loaded, inputs.images(), 32, 2, 1, 3),
                            runSeconds);
            md.append(PeersSuite.run(broker, model, name, inputs, new PeersSuite.Settings(events, warmupRuns,
                    Integer.parseInt(args.getOrDefault("runs", "3")), Double.parseDouble(args.getOrDefault("latency-rate", "0")),
                    runSeconds, Integer.parseInt(args.getOrDefault("latency-repeats", "3"))), pipe));
        }

        if (suites.contains("sql")) {
            // jobs/digits-tagging.sql beside the Kafka job on the DataStream API, alternating; runs sized like the peers'
            int events = fixedEvents > 0 ? fixedEvents
                    : events(limit.containsKey(32) ? limit.get(32) : RawOrtBenchmark.measure(loaded, inputs.images(), 32, 2, 1, 3),
                            runSeconds);
            md.append(SqlSuite.run(broker, model, name, inputs, 32, 10, new SqlSuite.Settings(events, warmupRuns,
                    Integer.parseInt(args.getOrDefault("runs", "3"))), pipe));
        }

        // Latency under load: the job's batch settings (defaults 32 / 10 ms) at 70 % of the maximum rate they sustain
        // with a live rate-limited producer. A preloaded run drains a backlog that was produced before the job started,
        // so its throughput does not pay for producing and appending the events; here the producer and the broker's
        // produce path share the same two cores (tiny model, warm JVM: 0.9 of the preloaded maximum).
        int latencyBatch = Integer.parseInt(args.getOrDefault("latency-batch", "32"));
        int latencyDelay = Integer.parseInt(args.getOrDefault("latency-delay", "10"));
        boolean sweepThis = !args.containsKey("sweep-models") || List.of(args.get("sweep-models").split(",")).contains(model);
        double latencyRate = 0;
        if (args.containsKey("latency-rate")) {
            latencyRate = Double.parseDouble(args.get("latency-rate")); // the same offered load for a before/after pair
        } else if (suites.contains("latency") || (suites.contains("sweep") && sweepThis)) {
            Double preloaded = pipelineByBatch.get(latencyBatch);
            if (preloaded == null) {
                int events = events(limit.getOrDefault(latencyBatch, best > 0 ? best : 500.0), runSeconds);
                PipelineRun.Result r = PipelineRun.run(broker, inputs, events, 0, batched(model, latencyBatch, latencyDelay), InferenceJob::build);
                record(pipe, name, "batched", latencyBatch, latencyDelay, r);
                preloaded = r.throughput();
                log("pipeline b=%d (preloaded maximum): %.1f/s", latencyBatch, preloaded);
            }
            double sustainable = sustainableRate(broker, inputs, model, name, latencyBatch, latencyDelay, preloaded, pipe);
            latencyRate = 0.7 * sustainable;
        }
        if (suites.contains("latency") && latencyRate > 0) {
            double rate = latencyRate;
            int events = (int) Math.max(200, rate * runSeconds);
            int repeats = Integer.parseInt(args.getOrDefault("latency-repeats", "3"));
            md.append(String.format(Locale.ROOT, "Latency at 70%% of the maximum sustainable rate: %.1f img/s offered, batch.max-size=%d, "
                    + "batch.max-delay=%d ms, %d runs back to back (the machine's speed drifts; each run is judged on its own). "
                    + "Target: p99 ≤ %d ms + 2 × p99 batch inference + 5 ms.%n%n| run | e2e p50 (ms) | e2e p95 (ms) | e2e p99 (ms) | "
                    + "p99 batch inference (ms) | target (ms) | mean batch | |%n|---|---|---|---|---|---|---|---|%n",
                    rate, latencyBatch, latencyDelay, repeats, latencyDelay));
            StringBuilder stages = new StringBuilder();
            for (int i = 1; i <= repeats; i++) {
                Path jfr = jfr(name);
                PipelineRun.Result r;
                try (JfrProfile p = suites.contains("latency-profile") && i == 1 ? new JfrProfile(jfr) : null) {
                    r = PipelineRun.run(broker, inputs, events, rate, batched(model, latencyBatch, latencyDelay), InferenceJob::build);
                }
                record(pipe, name, "latency-70pct", latencyBatch, latencyDelay, r);
                if (i == 1) {
                    writeSamples(name, r.e2eSamples());
                }
                double target = latencyDelay + 2 * r.inferenceP99() / 1000.0 + 5;
                boolean met = r.e2eP99() / 1000.0 <= target;
                md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | **%s** |%n", i, r.e2eP50() / 1000.0,
                        r.e2eP95() / 1000.0, r.e2eP99() / 1000.0, r.inferenceP99() / 1000.0, target, r.meanBatch(), met ? "met" : "missed"));
                stages.append(String.format(Locale.ROOT, "- run %d: %s%n", i, r.stages()));
                log("latency @%.1f/s run %d: p99 %.1f ms (target %.1f); %s", rate, i, r.e2eP99() / 1000.0, target, r.stages());
            }
            md.append("\nBy stage:\n\n").append(stages).append('\n');
            if (suites.contains("latency-profile")) {
                md.append("Profile of the first rate-limited run:\n\n").append(JfrProfile.summary(jfr(name))).append('\n');
            }
        }

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

    /**
     * The highest offered rate the job keeps up with, from an open-loop ramp in steps of 10 % of the preloaded
     * maximum (starting at 30 %), about 8 s per step; the ramp stops at the first step it does not keep up with.
     */
    private double sustainableRate(EmbeddedKafkaBroker broker, BenchInputs.Inputs inputs, String model, String name, int batch,
            int delayMs, double preloaded, PrintWriter pipe) throws Exception {
        md.append(String.format(Locale.ROOT, "Maximum sustainable rate with a live producer (batch.max-size=%d, batch.max-delay=%d ms; "
                + "preloaded maximum %.1f img/s):%n%n| offered (img/s) | completed (img/s) | e2e p50 (ms) | e2e p99 (ms) | "
                + "Kafka→operator p50, last fifth (ms) | mean batch | kept up |%n|---|---|---|---|---|---|---|%n", batch, delayMs, preloaded));
        double sustained = 0;
        for (int step = 3; step <= 10; step++) {
            double rate = preloaded * step / 10.0;
            int events = (int) Math.max(200, rate * 8);
            PipelineRun.Result r = PipelineRun.run(broker, inputs, events, rate, batched(model, batch, delayMs), InferenceJob::build);
            record(pipe, name, "ramp", batch, delayMs, r);
            md.append(String.format(Locale.ROOT, "| %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s |%n", rate, r.throughput(),
                    r.e2eP50() / 1000.0, r.e2eP99() / 1000.0, r.lastFifthIngestP50() / 1000.0, r.meanBatch(), r.keptUp() ? "yes" : "no"));
            log("ramp @%.1f/s: completed %.1f/s, e2e p50 %.1f ms, kept up: %s", rate, r.throughput(), r.e2eP50() / 1000.0, r.keptUp());
            if (!r.keptUp()) {
                break;
            }
            sustained = rate;
        }
        if (sustained == 0) {
            sustained = preloaded * 0.3;
            md.append("\nNot even 30 % of the preloaded maximum was sustained; using that as the maximum.\n");
        }
        md.append(String.format(Locale.ROOT, "%nMaximum sustainable: %.1f img/s (%.2f of the preloaded maximum).%n%n", sustained, sustained / preloaded));
        return sustained;
    }

    /** --variants "a|b": job-option sets (--job syntax) to alternate; an empty one runs the job as configured. */
    private String[] variants() {
        return args.getOrDefault("variants", "").split("\\|", -1);
    }

    private static String label(String variant) {
        return variant.isBlank() ? "as configured" : variant;
    }

    /** The batched job's options at batch size {@code batch}, with one variant's options on top. */
    private static Map<String, String> variantOptions(String model, int batch, String variant) {
        Map<String, String> options = batched(model, batch, 10);
        options.putAll(jobOptions(variant));
        return options;
    }

    /** One line per variant: its pipeline ÷ raw ratios in run order, and their median. */
    private void appendMedians(int batch, Map<String, List<Double>> ratios) {
        for (Map.Entry<String, List<Double>> e : ratios.entrySet()) {
            md.append(String.format(Locale.ROOT, "%nb=%d, %s: pipeline ÷ raw %s (median %.3f)%n", batch, e.getKey(),
                    e.getValue().stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList(), median(e.getValue())));
        }
    }

    /** The middle value; the mean of the two middle ones for an even count. */
    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private Path jfr(String model) {
        return out.resolve("profile-" + model + "-latency.jfr");
    }

    /** Suites that run once on the trivial model rather than per {@code --models} entry. */
    private static final Set<String> FRAMEWORK_SUITES = Set.of("ceiling", "components");
    private static final Set<String> PIPELINE_SUITES = Set.of("pipeline", "bracketed", "decompose", "baselines", "profile", "latency", "sweep");
    private static String checkpointInterval = "1 s";
    private static String inFlight = "2";
    private static int fixedEvents;
    /** --job k=v;k=v: more job options for every run (e.g. Kafka client properties to compare). */
    private static final Map<String, String> extraOptions = new LinkedHashMap<>();

    static Map<String, String> batched(String model, int batch, int delayMs) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("job.checkpoint-interval", checkpointInterval);
        o.put("model.name", model);
        o.put("model.device", "cpu");
        o.put("model.intra-op-threads", "1");
        o.put("batch.max-size", Integer.toString(batch));
        o.put("batch.max-delay", delayMs + " ms");
        o.put("batch.max-in-flight", inFlight);
        o.put("async.timeout", "10 min");
        o.putAll(extraOptions);
        return o;
    }

    /** "k=v;k=v" to a map, in order. */
    private static Map<String, String> jobOptions(String spec) {
        Map<String, String> o = new LinkedHashMap<>();
        for (String kv : spec.split(";")) {
            if (!kv.isBlank()) {
                o.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
            }
        }
        return o;
    }

    /** Raw ORT at one batch size in both shapes the pipeline can take on 2 cores; the better one is the limit. */
    private record Raw(double twoByOne, double oneByTwo) {
        double limit() {
            return Math.max(twoByOne, oneByTwo);
        }
    }

    /** Measures both shapes and appends them to raw.csv. */
    private static Raw raw(LoadedModel loaded, BenchInputs.Inputs inputs, int batch, double seconds, PrintWriter csv, String name)
            throws Exception {
        double twoByOne = RawOrtBenchmark.measure(loaded, inputs.images(), batch, 2, 1, seconds);
        double oneByTwo = RawOrtBenchmark.measure(loaded, inputs.images(), batch, 1, 2, seconds);
        csv.printf(Locale.ROOT, "%s,%d,2,1,%.2f%n%s,%d,1,2,%.2f%n", name, batch, twoByOne, name, batch, oneByTwo);
        csv.flush();
        return new Raw(twoByOne, oneByTwo);
    }

    /** Enough events for about {@code seconds} of work at the expected rate, within sane bounds. */
    private static int events(double expectedRate, double seconds) {
        if (fixedEvents > 0) {
            return fixedEvents; // --events: without the raw suite there is no expected rate to size runs by
        }
        return (int) Math.min(12_000, Math.max(400, expectedRate * seconds));
    }

    static void record(PrintWriter csv, String model, String mode, int batch, int delay, PipelineRun.Result r) {
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

    /** One progress line, stamped with the epoch second (the windows thread_cpu_diff.py takes). */
    static void log(String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        System.out.printf(Locale.ROOT, "[bench %d] %s%n", System.currentTimeMillis() / 1000, line);
    }
}
