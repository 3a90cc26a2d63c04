package io.mlpstream.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU samples of a pipeline run (an {@link AsyncProfile} JFR file) by component of the pipeline, cut to the run's
 * measurement window and divided by the results completed in it: µs of CPU per record.
 *
 * <p>How a sample is attributed:
 * <ol>
 *   <li>The benchmark harness (the embedded broker, the harness's producer and results reader, its main thread) is left
 *       out: a sample with any frame of theirs on its stack, or on one of their threads.</li>
 *   <li>A task thread with one purpose (the latency-metrics window's chain) is that component whole.</li>
 *   <li>Otherwise the stack is walked from the leaf to the root, and the first frame that one of {@link #RULES}
 *       matches (a prefix of {@code class.method}, in list order) names the component. Frames no rule names (the JDK,
 *       Kafka's and Avro's shared internals, the JVM's own native code, ONNX Runtime's kernels) count for the caller
 *       that owns them: a lock taken by the Kafka producer is the sink's, an allocation by the PNG decoder is the
 *       decoder's.</li>
 *   <li>A stack with no such frame (GC and compiler threads, a pool thread between tasks) is attributed by its
 *       thread's name ({@link #THREADS}), else to "other".</li>
 * </ol>
 * The rules name classes of the project as they are: one that moves shows up as "mlpstream, not attributed above",
 * and {@link Summary#unattributed} lists the frames behind every "other" sample to extend the rules with.
 */
final class CpuComponents {

    /** The pipeline's components, in table order. */
    enum Component {
        SOURCE("Kafka source (fetch, KafkaRecord)"),
        AVRO_DECODE("Avro decode of the ImageEvent (operator and results serializer)"),
        IMAGE_DECODE("guard + image decode (ImageIO / TurboJPEG, PNG inflate)"),
        PREPROCESS("preprocess (resize, crop, normalise into the batch tensor)"),
        BATCHING("batching, futures, hand-offs (MicroBatcher, async operator, workers)"),
        ORT("ONNX Runtime call (model run, tensors in and out)"),
        RESULT("result building (top-k, Prediction, outcome routing)"),
        SERIALIZATION("Flink serialization (copies between chained operators, network, state)"),
        RESULT_ENCODING("result encoding (TaggedImage Avro, dead letters)"),
        SINK("Kafka sinks (producers, transactions, commits)"),
        METRICS("metrics (latency window, histograms, counters)"),
        FLINK("Flink runtime (mailbox, network stack, checkpoints, RPC)"),
        MLPSTREAM_OTHER("mlpstream, not attributed above"),
        GC("JVM: GC and VM threads"),
        JIT("JVM: JIT compiler threads"),
        OTHER("other (JDK, unattributed)");

        final String description;

        Component(String description) {
            this.description = description;
        }
    }

    private record Rule(String prefix, Component component) {}

    /** Frames of the benchmark harness itself: the embedded broker, the harness's producer and results reader. */
    private static final List<String> HARNESS_FRAMES = List.of("io.mlpstream.bench.PipelineRun", "io.mlpstream.bench.BenchMain",
            "io.mlpstream.demo.", "io.mlpstream.testutils.", "kafka.", "org.apache.kafka.server.", "org.apache.kafka.storage.",
            "org.apache.kafka.raft.", "org.apache.kafka.metadata.", "org.apache.kafka.coordinator.", "org.apache.kafka.controller.",
            "org.apache.kafka.image.", "org.apache.kafka.network.", "org.apache.kafka.queue.", "org.apache.kafka.snapshot.",
            "org.apache.kafka.security.", "org.apache.kafka.deferred.", "org.apache.kafka.timeline.", "libasyncProfiler");

    /** Thread-name fragments of the harness: the broker's threads and its admin client, the bench's own driver. */
    private static final List<String> HARNESS_THREADS = List.of(PipelineRun.HARNESS_PRODUCER, PipelineRun.HARNESS_READER,
            "embedded-kafka", "data-plane-kafka", "kafka-request-handler", "controller-", "broker-", "raft-", "ExpirationReaper",
            "LogDirFailureHandler", "kafka-scheduler", "group-coordinator", "transaction-coordinator", "share-coordinator");

    /** Thread-name prefixes of tasks with one purpose: all their CPU is that component's, whatever the frames. */
    private static final Map<String, Component> TASK_THREADS = Map.of(
            "Timestamps/Watermarks", Component.METRICS,
            "latency percentiles", Component.METRICS);

    /** A null component: the frame counts for its caller even though a later, broader prefix would match it. */
    private static final List<Rule> RULES = new ArrayList<>();

    private static void rule(Component c, String... prefixes) {
        for (String p : prefixes) {
            RULES.add(new Rule(p, c));
        }
    }

    static {
        rule(Component.ORT, "ai.onnxruntime.", "ai.djl.onnxruntime.", "io.mlpstream.core.model.ModelRunner.", "libonnxruntime");
        rule(Component.AVRO_DECODE, "io.mlpstream.job.serde.ImageEventCodec.", "io.mlpstream.job.serde.ImageEventImages.",
                "io.mlpstream.avro.ImageEvent", "org.apache.avro.io.BinaryDecoder", "org.apache.avro.io.DirectBinaryDecoder",
                "org.apache.avro.io.ResolvingDecoder", "org.apache.avro.io.ValidatingDecoder", "org.apache.avro.io.parsing.",
                "org.apache.avro.generic.GenericDatumReader", "org.apache.avro.specific.SpecificDatumReader",
                "org.apache.avro.message.BinaryMessageDecoder", "org.apache.avro.message.MessageDecoder",
                "org.apache.avro.message.RawMessageDecoder");
        rule(Component.RESULT_ENCODING, "io.mlpstream.job.serde.TaggedImageSerializer.", "io.mlpstream.job.serde.DeadLetterSerializer.",
                "io.mlpstream.job.serde.RecordSize", "io.mlpstream.avro.", "org.apache.avro.io.BinaryEncoder",
                "org.apache.avro.io.BufferedBinaryEncoder", "org.apache.avro.io.DirectBinaryEncoder", "org.apache.avro.io.EncoderFactory",
                "org.apache.avro.generic.GenericDatumWriter", "org.apache.avro.specific.SpecificDatumWriter",
                "org.apache.avro.message.BinaryMessageEncoder", "org.apache.avro.message.RawMessageEncoder");
        rule(Component.METRICS, "io.mlpstream.job.serde.LatencyReportSerializer.", "io.mlpstream.job.metrics.",
                "io.mlpstream.flink.OperatorMetrics", "org.apache.flink.metrics.", "org.apache.flink.runtime.metrics.",
                "org.apache.flink.streaming.runtime.operators.windowing.", "org.apache.flink.streaming.api.windowing.",
                "org.apache.flink.streaming.runtime.operators.TimestampsAndWatermarksOperator", "org.apache.flink.api.common.eventtime.",
                "org.apache.commons.math3.");
        rule(Component.SOURCE, "io.mlpstream.job.serde.KafkaRecordDeserializer", "io.mlpstream.job.serde.KafkaRecord",
                "io.mlpstream.job.serde.KafkaHeader", "org.apache.flink.connector.kafka.source.", "org.apache.flink.connector.base.source.",
                "org.apache.flink.streaming.api.operators.SourceOperator", "org.apache.kafka.clients.consumer.");
        rule(Component.SINK, "org.apache.flink.connector.kafka.", "org.apache.kafka.clients.producer.",
                "org.apache.flink.streaming.runtime.operators.sink.", "org.apache.flink.streaming.api.connector.sink2.",
                "org.apache.flink.api.connector.sink2.");
        rule(Component.IMAGE_DECODE, "io.mlpstream.core.image.ImageGuard", "io.mlpstream.core.image.ImageDecoder",
                "io.mlpstream.core.image.ImageFormat", "io.mlpstream.core.image.JpegSegments", "io.mlpstream.core.image.ExifOrientationTag",
                "io.mlpstream.core.image.ExifTranspose", "io.mlpstream.core.image.TurboJpeg", "io.mlpstream.core.image.CmykJpeg",
                "io.mlpstream.core.image.ByteArrayImageInputStream", "io.mlpstream.core.image.PixelConversion",
                "io.mlpstream.core.image.InterleavedBytes", "io.mlpstream.core.image.DecodedImage", "io.mlpstream.core.image.CheckedImage",
                "io.mlpstream.core.image.ImageHeader", "io.mlpstream.core.image.LeanPng", "javax.imageio.", "com.sun.imageio.",
                "com.sun.jna.", "libturbojpeg");
        rule(Component.PREPROCESS, "io.mlpstream.core.image.", "io.mlpstream.core.inference.ImageTranslator.writeInput",
                "ai.djl.modality.cv.");
        rule(Component.RESULT, "io.mlpstream.core.inference.TopK", "io.mlpstream.core.inference.Classification",
                "io.mlpstream.core.inference.ImageTranslator.classify", "io.mlpstream.flink.BatchingInferenceFunction.prediction",
                "io.mlpstream.flink.Prediction.set",
                "io.mlpstream.flink.OutcomeSplitter", "io.mlpstream.flink.InferenceFailure", "ai.djl.modality.Classifications");
        rule(null, "io.mlpstream.flink.Prediction.", "io.mlpstream.flink.Outcome."); // constructors under a serializer's copy
        rule(Component.BATCHING, "io.mlpstream.core.batching.", "io.mlpstream.core.inference.BatchInference",
                "io.mlpstream.core.inference.BatchItem", "io.mlpstream.flink.BatchingInferenceFunction",
                "org.apache.flink.streaming.api.operators.async.", "org.apache.flink.streaming.api.functions.async.");
        rule(Component.SERIALIZATION, "org.apache.flink.api.common.typeutils.", "org.apache.flink.api.java.typeutils.",
                "org.apache.flink.streaming.runtime.tasks.CopyingChainingOutput", "org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer",
                "org.apache.flink.runtime.io.network.api.serialization.", "org.apache.flink.runtime.plugable.",
                "org.apache.flink.core.memory.", "com.esotericsoftware.kryo.");
        rule(Component.FLINK, "org.apache.flink.", "org.apache.pekko.", "scala.");
        rule(Component.MLPSTREAM_OTHER, "io.mlpstream.");
    }

    /** Thread-name fragments for stacks no frame rule names (checked in order). */
    private static final Map<String, Component> THREADS = new LinkedHashMap<>();

    static {
        THREADS.put("CompilerThre", Component.JIT); // OS thread names are cut to 15 characters
        THREADS.put("GC Thread", Component.GC);
        THREADS.put("G1 ", Component.GC);
        THREADS.put("VM Thread", Component.GC);
        THREADS.put("VM Periodic", Component.GC);
        THREADS.put("Service Thread", Component.GC);
        THREADS.put("Reference Handler", Component.GC);
        THREADS.put("Finalizer", Component.GC);
        THREADS.put("Signal Dispatcher", Component.GC);
        THREADS.put("Common-Cleaner", Component.GC);
        THREADS.put("mlpstream-batch", Component.BATCHING);
        THREADS.put("enumerator-admin-client", Component.SOURCE);
        THREADS.put("metrics-meter-tick", Component.METRICS);
        THREADS.put("Time Trigger", Component.FLINK);
        THREADS.put("Source Data Fetcher", Component.SOURCE);
        THREADS.put("kafka-producer-network-thread", Component.SINK);
        THREADS.put("flink", Component.FLINK);
        THREADS.put("Flink", Component.FLINK);
        THREADS.put("pekko", Component.FLINK);
    }

    /**
     * The attribution of one profile.
     *
     * @param samples       pipeline samples per component within the window
     * @param harness       samples of the harness within the window (left out of the components)
     * @param outsideWindow samples before or after the window (start-up, drain: left out)
     * @param records       results completed within the window
     * @param unattributed  "other" and "mlpstream, not attributed above": thread and leaf-most Java frame → samples
     */
    record Summary(Map<Component, Integer> samples, int harness, int outsideWindow, int records, long intervalNanos,
            Map<String, Integer> unattributed) {

        double microsPerRecord(int samples) {
            return samples * (intervalNanos / 1_000.0) / records;
        }

        int pipelineSamples() {
            return samples.values().stream().mapToInt(Integer::intValue).sum();
        }

        int samplesOf(Component c) {
            return samples.getOrDefault(c, 0);
        }
    }

    private CpuComponents() {}

    /**
     * Attributes the execution samples of {@code jfr} taken from {@code fromMs} to {@code toMs} (epoch ms, inclusive),
     * during which {@code records} results completed.
     */
    static Summary attribute(Path jfr, long fromMs, long toMs, int records, long intervalNanos) throws IOException {
        Map<Component, Integer> samples = new EnumMap<>(Component.class);
        Map<String, Integer> unattributed = new HashMap<>();
        int harness = 0;
        int outside = 0;
        Instant from = Instant.ofEpochMilli(fromMs);
        Instant to = Instant.ofEpochMilli(toMs + 1);
        try (RecordingFile file = new RecordingFile(jfr)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                    continue;
                }
                if (e.getStartTime().isBefore(from) || !e.getStartTime().isBefore(to)) {
                    outside++;
                    continue;
                }
                String thread = threadName(e);
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                if (isHarness(thread, frames)) {
                    harness++;
                    continue;
                }
                Component c = classify(thread, frames);
                samples.merge(c, 1, Integer::sum);
                if (c == Component.OTHER || c == Component.MLPSTREAM_OTHER) {
                    String t = thread.replaceAll("[0-9]+", "N");
                    unattributed.merge(c.name() + " [" + (t.length() > 60 ? t.substring(0, 60) + "…" : t) + "] " + leafJavaFrame(frames), 1,
                            Integer::sum);
                }
            }
        }
        return new Summary(samples, harness, outside, records, intervalNanos, unattributed);
    }

    private static String threadName(RecordedEvent e) {
        RecordedThread t = e.getThread("sampledThread");
        if (t == null) {
            return "?";
        }
        return t.getJavaName() != null ? t.getJavaName() : String.valueOf(t.getOSName());
    }

    private static boolean isHarness(String thread, List<RecordedFrame> frames) {
        if (thread.equals("main") || HARNESS_THREADS.stream().anyMatch(thread::contains)) {
            return true;
        }
        for (RecordedFrame f : frames) {
            String name = name(f);
            for (String prefix : HARNESS_FRAMES) {
                if (name.startsWith(prefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    static Component classify(String thread, List<RecordedFrame> frames) {
        for (Map.Entry<String, Component> t : TASK_THREADS.entrySet()) {
            if (thread.startsWith(t.getKey())) {
                return t.getValue();
            }
        }
        for (RecordedFrame f : frames) { // leaf first
            String name = name(f);
            for (Rule r : RULES) {
                if (name.startsWith(r.prefix())) {
                    if (r.component() != null) {
                        return r.component();
                    }
                    break; // counts for its caller
                }
            }
        }
        for (Map.Entry<String, Component> t : THREADS.entrySet()) {
            if (thread.contains(t.getKey())) {
                return t.getValue();
            }
        }
        return Component.OTHER;
    }

    /** {@code class.method}; for native frames async-profiler records the library as the class. */
    private static String name(RecordedFrame f) {
        if (f.getMethod() == null) {
            return "";
        }
        String type = f.getMethod().getType() == null ? "" : f.getMethod().getType().getName();
        return type + "." + f.getMethod().getName();
    }

    private static String leafJavaFrame(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (f.isJavaFrame()) {
                return name(f);
            }
        }
        return "(no Java frame)";
    }

    /** The table: µs of CPU per record and share of the pipeline's CPU per component, with a floor per component. */
    static String table(Summary s, Map<Component, String> floors) {
        StringBuilder md = new StringBuilder("| component | µs CPU / record | share of pipeline CPU | floor (JMH) |\n|---|---|---|---|\n");
        int pipeline = s.pipelineSamples();
        for (Component c : Component.values()) {
            int n = s.samplesOf(c);
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f %% | %s |%n", c.description, s.microsPerRecord(n),
                    100.0 * n / Math.max(1, pipeline), floors.getOrDefault(c, "—")));
        }
        md.append(String.format(Locale.ROOT, "| **pipeline, all components** | **%.1f** | 100 %% | |%n", s.microsPerRecord(pipeline)));
        md.append(String.format(Locale.ROOT, "| harness: broker, producer, results reader (left out) | %.1f | — | |%n",
                s.microsPerRecord(s.harness())));
        return md.toString();
    }

    /** The most frequent unattributed frames, for extending {@link #RULES}. */
    static String unattributed(Summary s, int limit) {
        StringBuilder b = new StringBuilder();
        s.unattributed().entrySet().stream().sorted((a, c) -> c.getValue() - a.getValue()).limit(limit)
                .forEach(e -> b.append(String.format(Locale.ROOT, "%6d  %s%n", e.getValue(), e.getKey())));
        return b.toString();
    }
}
