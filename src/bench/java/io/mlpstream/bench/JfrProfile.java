package io.mlpstream.bench;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A JFR recording around one benchmark run, summarised as "where the CPU went": every Java execution
 * sample, and every native sample that is real work (ONNX Runtime, zlib) rather than a thread parked
 * in epoll, is attributed to the first frame from the top that belongs to a known component.
 */
final class JfrProfile implements AutoCloseable {
    /** Component → package prefixes, checked in this order from the top frame down. */
    private static final Map<String, List<String>> COMPONENTS = new LinkedHashMap<>();

    static {
        COMPONENTS.put("ONNX Runtime (inference)", List.of("ai.onnxruntime."));
        COMPONENTS.put("image decode + resize (ImageIO, Java2D)", List.of("javax.imageio.", "com.sun.imageio.", "sun.awt.", "java.awt.", "sun.java2d."));
        COMPONENTS.put("preprocess into the batch buffer", List.of("io.mlpstream.core.image."));
        COMPONENTS.put("Avro (events, results)", List.of("org.apache.avro.", "io.mlpstream.avro.", "io.mlpstream.job.serde."));
        COMPONENTS.put("mlpstream operator / batching", List.of("io.mlpstream."));
        COMPONENTS.put("Kafka broker (embedded)", List.of("kafka.", "org.apache.kafka.server.", "org.apache.kafka.storage.",
                "org.apache.kafka.raft.", "org.apache.kafka.metadata.", "org.apache.kafka.coordinator.", "org.apache.kafka.controller.",
                "org.apache.kafka.image.", "org.apache.kafka.network."));
        COMPONENTS.put("Kafka clients (source, sinks, producer)", List.of("org.apache.kafka.", "org.apache.flink.connector.kafka."));
        COMPONENTS.put("Flink runtime", List.of("org.apache.flink."));
        COMPONENTS.put("zlib / PNG inflate", List.of("java.util.zip."));
    }

    private final Recording recording = new Recording();
    private final Path file;

    JfrProfile(Path file) {
        this.file = file;
        recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
        recording.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(10));
        recording.start();
    }

    @Override
    public void close() throws IOException {
        recording.stop();
        recording.dump(file);
        recording.close();
    }

    /** Component → share of CPU samples, largest first, as a Markdown table. */
    static String summary(Path file) throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null) {
                continue;
            }
            boolean nativeSample = type.equals("jdk.NativeMethodSample");
            if (!type.equals("jdk.ExecutionSample") && !nativeSample) {
                continue;
            }
            String component = classify(stack.getFrames());
            if (nativeSample && !component.startsWith("ONNX") && !component.startsWith("zlib")) {
                continue; // a thread blocked in a native call (epoll, socket read, park) is not using the CPU
            }
            counts.merge(component, 1, Integer::sum);
            total++;
        }
        StringBuilder sb = new StringBuilder("| component | share of CPU samples |\n|---|---|\n");
        int all = total;
        counts.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(en -> sb.append(String.format(Locale.ROOT, "| %s | %.1f %% |%n", en.getKey(), 100.0 * en.getValue() / all)));
        sb.append(String.format(Locale.ROOT, "%n(%d samples at 10 ms)%n", total));
        return sb.toString();
    }

    private static String classify(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (f.getMethod() == null || f.getMethod().getType() == null) {
                continue;
            }
            String cls = f.getMethod().getType().getName();
            for (Map.Entry<String, List<String>> c : COMPONENTS.entrySet()) {
                for (String prefix : c.getValue()) {
                    if (cls.startsWith(prefix)) {
                        return c.getKey();
                    }
                }
            }
        }
        return "other JDK (GC excluded)";
    }
}
