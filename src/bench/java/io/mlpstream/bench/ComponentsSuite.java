package io.mlpstream.bench;

import io.mlpstream.bench.CpuComponents.Component;
import io.mlpstream.bench.ComponentFloors.Floor;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-record CPU by component of the framework-ceiling job ({@link CeilingSuite}, micro-batched, b=32): one run under
 * async-profiler, its samples over the run's measurement window attributed by {@link CpuComponents}, beside each
 * component's floor from {@link ComponentBenchmarks}; then the CPU the pipeline spends around the model per record,
 * and what it implies for feeding an accelerator. Lines starting with {@value #LINE} repeat the figures for grep.
 */
final class ComponentsSuite {
    static final String LINE = "COMPONENTS";

    /** Which floor stands beside which component: benchmark method names, the first one the headline. */
    private static final Map<Component, List<String>> FLOORS = new EnumMap<>(Component.class);

    static {
        FLOORS.put(Component.AVRO_DECODE, List.of("avroDecode"));
        FLOORS.put(Component.IMAGE_DECODE, List.of("imageDecode"));
        FLOORS.put(Component.PREPROCESS, List.of("preprocess", "decodeAndPreprocess"));
        FLOORS.put(Component.BATCHING, List.of("futureHandOff"));
        FLOORS.put(Component.ORT, List.of("ortRunBatch32", "ortRunBatch1"));
        FLOORS.put(Component.RESULT, List.of("resultBuilding"));
        FLOORS.put(Component.SERIALIZATION, List.of("predictionCopy", "kafkaRecordCopy"));
        FLOORS.put(Component.RESULT_ENCODING, List.of("resultSerializer"));
    }

    /** Settings: events of the profiled run, discarded warm-up runs before it, JMH seconds per benchmark (0: none). */
    record Settings(int events, int warmupRuns, long intervalNanos, int jmhSeconds, String jmhOnly, double gpuRaw) {}

    private ComponentsSuite() {}

    /** Runs the suite; returns its Markdown section. */
    static String run(CeilingSuite ceiling, Settings settings, Path out, PrintWriter pipe) throws Exception {
        ceiling.warmUp(List.of(CeilingSuite.Job.BATCHED), settings.events(), settings.warmupRuns());
        // the same run unprofiled right before: how much the profiler itself slows the run it samples
        PipelineRun.Result plain = ceiling.runOnce(CeilingSuite.Job.BATCHED, settings.events());
        BenchMain.record(pipe, TrivialModel.NAME, "components unprofiled", CeilingSuite.BATCH, 10, plain);
        Path jfr = out.resolve("components-" + TrivialModel.NAME + ".jfr");
        PipelineRun.Result r;
        String profiler;
        try (AsyncProfile p = new AsyncProfile(jfr, settings.intervalNanos())) {
            profiler = "async-profiler " + p.version() + ", event " + p.event();
            r = ceiling.runOnce(CeilingSuite.Job.BATCHED, settings.events());
        }
        BenchMain.record(pipe, TrivialModel.NAME, "components batched", CeilingSuite.BATCH, 10, r);
        BenchMain.log("components: unprofiled run %.1f/s, profiled run %.1f/s; attributing %s", plain.throughput(), r.throughput(), jfr);
        CpuComponents.Summary s = CpuComponents.attribute(jfr, r.windowFromMs(), r.windowToMs(), r.windowResults(),
                settings.intervalNanos());
        Files.writeString(out.resolve("components-unattributed.txt"), CpuComponents.unattributed(s, 60));

        Map<String, Floor> floors = settings.jmhSeconds() > 0
                ? ComponentFloors.measure(ceiling.model(), settings.jmhSeconds(), settings.jmhOnly()) : Map.of();
        Map<Component, String> floorText = new EnumMap<>(Component.class);
        FLOORS.forEach((c, names) -> {
            StringBuilder t = new StringBuilder();
            for (String n : names) {
                Floor f = floors.get(n);
                if (f != null) {
                    t.append(t.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT, "%.2f (%s)", f.micros(), n));
                }
            }
            if (t.length() > 0) {
                floorText.put(c, t.toString());
            }
        });

        double seconds = (r.windowToMs() - r.windowFromMs()) / 1000.0;
        double coresBusy = (s.pipelineSamples() + s.harness()) * (settings.intervalNanos() / 1e9) / seconds;
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "## CPU per record by component (%s, micro-batched, b=%d)%n%n"
                + "One run of %d preloaded events at %.1f img/s (the same run unprofiled just before: %.1f img/s) under %s, "
                + "every %.1f ms of a thread's CPU; samples from the run's measurement window (the middle 80 %% of results by completion time: %d results in %.1f s, %.2f cores "
                + "busy) divided by those results. The harness (broker, producer, results reader) is left out; the floor is "
                + "JMH's µs per record for that piece alone, one thread.%n%n", TrivialModel.NAME, CeilingSuite.BATCH, settings.events(),
                r.throughput(), plain.throughput(), profiler, settings.intervalNanos() / 1e6, r.windowResults(), seconds, coresBusy));
        md.append(CpuComponents.table(s, floorText));
        for (Component c : Component.values()) {
            System.out.printf(Locale.ROOT, "%s component=%s us_per_record=%.2f%n", LINE, c.name().toLowerCase(Locale.ROOT),
                    s.microsPerRecord(s.samplesOf(c)));
        }

        // everything but the model run: what the pipeline must do per record on a CPU whatever runs the model; the JIT
        // compiles once per JVM and is left out, GC is in (the allocations are per record)
        int aroundSamples = s.pipelineSamples() - s.samplesOf(Component.ORT) - s.samplesOf(Component.JIT);
        double around = s.microsPerRecord(aroundSamples);
        double perCore = 1e6 / around;
        md.append(String.format(Locale.ROOT, "%nCPU around the model (every component but the ONNX Runtime call and the JIT "
                + "compiler): **%.1f µs per record**, so one core feeds at most **%.0f img/s** to whatever runs the model.%n",
                around, perCore));
        System.out.printf(Locale.ROOT, "%s around_model_us_per_record=%.2f per_core_img_per_s=%.0f pipeline_us_per_record=%.2f "
                + "ort_us_per_record=%.2f throughput_img_per_s=%.1f unprofiled_img_per_s=%.1f%n", LINE, around, perCore,
                s.microsPerRecord(s.pipelineSamples()), s.microsPerRecord(s.samplesOf(Component.ORT)), r.throughput(), plain.throughput());
        md.append(String.format(Locale.ROOT, "%n**Estimate, not a measurement, of what a GPU would see**: with the model's "
                + "run off the CPU, each record still costs the CPU %.1f µs here, so the pipeline can feed an accelerator at "
                + "most %.0f img/s per core (%.0f on this machine's %d), whatever the accelerator's own rate.", around, perCore,
                perCore * Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().availableProcessors()));
        if (settings.gpuRaw() > 0) {
            md.append(String.format(Locale.ROOT, " An accelerator doing %.0f img/s alone would need %.1f cores of this work "
                    + "to be kept busy.", settings.gpuRaw(), settings.gpuRaw() / perCore));
            System.out.printf(Locale.ROOT, "%s estimate gpu_raw_img_per_s=%.0f cores_to_feed=%.1f%n", LINE, settings.gpuRaw(),
                    settings.gpuRaw() / perCore);
        }
        md.append("\n\n");

        if (!floors.isEmpty()) {
            md.append("JMH floors (µs per record, mean ± 99.9 % error; one thread):\n\n| benchmark | µs / record |\n|---|---|\n");
            floors.values().forEach(f -> md.append("| ").append(f.benchmark()).append(" | ").append(f.describe()).append(" |\n"));
            md.append('\n');
        }
        md.append("Unattributed frames (to extend the rules): `components-unattributed.txt`; the profile: `")
                .append(jfr.getFileName()).append("` (JFR format, e.g. `jfr print` or async-profiler's converter).\n\n");
        return md.toString();
    }
}
