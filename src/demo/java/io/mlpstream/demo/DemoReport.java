package io.mlpstream.demo;

import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.job.metrics.Percentiles;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Accumulates the demo's results and prints the summary. Pure bookkeeping, no Kafka. */
final class DemoReport {
    static final int MAX_TAGS_SHOWN = 20;
    private long[] endToEnd = new long[1024];
    private long[] inference = new long[1024];
    private long[] queueWait = new long[1024];
    private int tagged;
    private int correct;
    private int withTruth;
    private long batchSizeSum;
    private int maxBatch;
    int deadLetters;
    /** The first results' "id: label score" lines, to show what the user's own images were tagged. */
    private final List<String> firstTags = new ArrayList<>();
    private long firstCaptureMs = Long.MAX_VALUE;
    private long lastProcessedMs = Long.MIN_VALUE;

    void add(TaggedImage t) {
        if (tagged == endToEnd.length) {
            endToEnd = Arrays.copyOf(endToEnd, tagged * 2);
            inference = Arrays.copyOf(inference, tagged * 2);
            queueWait = Arrays.copyOf(queueWait, tagged * 2);
        }
        endToEnd[tagged] = t.getLatency().getEndToEndUs();
        inference[tagged] = t.getLatency().getInferenceUs();
        queueWait[tagged] = t.getLatency().getQueueWaitUs();
        tagged++;
        if (firstTags.size() < MAX_TAGS_SHOWN) {
            LabelScore top = t.getLabels().get(0);
            firstTags.add(String.format(Locale.ROOT, "  %-40s %s %.4f", t.getEventId(), top.getLabel(), top.getScore()));
        }
        batchSizeSum += t.getBatchSize();
        maxBatch = Math.max(maxBatch, t.getBatchSize());
        String truth = t.getAttributes().get(DigitEventProducer.TRUE_LABEL_ATTRIBUTE);
        if (truth != null) {
            withTruth++;
            if (truth.equals(t.getLabels().get(0).getLabel())) {
                correct++;
            }
        }
        firstCaptureMs = Math.min(firstCaptureMs, t.getCaptureTime().toEpochMilli());
        lastProcessedMs = Math.max(lastProcessedMs, t.getProcessedAt().toEpochMilli());
    }

    /** Each of the first results' id and top label, one line each. */
    void printTags(PrintStream out) {
        out.println("Top label of " + (tagged > firstTags.size() ? "the first " + firstTags.size() + " of " : "") + tagged
                + " tagged images:");
        firstTags.forEach(out::println);
    }

    int tagged() {
        return tagged;
    }

    double accuracy() {
        return withTruth == 0 ? Double.NaN : (double) correct / withTruth;
    }

    /**
     * Prints the summary; {@code noAccuracy} says why there is no accuracy line (a model whose labels are not the
     * digits, the user's own images), null when the events carry true labels the model's labels can match.
     */
    void print(PrintStream out, long produced, double producedPerSecond, Double cardAccuracy, boolean fullPasses, String model,
            String noAccuracy) {
        Percentiles e2e = new Percentiles(endToEnd, tagged);
        Percentiles inf = new Percentiles(inference, tagged);
        Percentiles queue = new Percentiles(queueWait, tagged);
        double seconds = tagged == 0 ? 0 : (lastProcessedMs - firstCaptureMs) / 1000.0;
        out.println();
        out.println("=== mlpstream demo summary ===");
        out.printf(Locale.ROOT, "model                 %s%n", model);
        out.printf(Locale.ROOT, "events produced       %d (%.0f/s offered)%n", produced, producedPerSecond);
        out.printf(Locale.ROOT, "images tagged         %d%n", tagged);
        out.printf(Locale.ROOT, "dead letters          %d%n", deadLetters);
        out.printf(Locale.ROOT, "unaccounted           %d%n", produced - tagged - deadLetters);
        out.printf(Locale.ROOT, "throughput            %.0f images/s over %.2f s (first event created to last result ready)%n",
                tagged / Math.max(seconds, 1e-3), seconds);
        out.printf(Locale.ROOT, "end-to-end latency    p50 %s  p95 %s  p99 %s  max %s%n", ms(e2e.at(50)), ms(e2e.at(95)),
                ms(e2e.at(99)), ms(e2e.max()));
        out.printf(Locale.ROOT, "batch inference       p50 %s  p99 %s%n", ms(inf.at(50)), ms(inf.at(99)));
        out.printf(Locale.ROOT, "queue wait            p50 %s  p99 %s%n", ms(queue.at(50)), ms(queue.at(99)));
        out.printf(Locale.ROOT, "batch size            mean %.1f  max %d%n", tagged == 0 ? 0.0 : (double) batchSizeSum / tagged, maxBatch);
        if (noAccuracy != null) {
            out.printf(Locale.ROOT, "accuracy              not reported: %s%n", noAccuracy);
            out.println("(end-to-end = Kafka record timestamp to result ready; results become visible at each checkpoint)");
            return;
        }
        String verdict = "";
        if (cardAccuracy != null && fullPasses) {
            verdict = Math.abs(accuracy() - cardAccuracy) < 1e-9 ? "  = model card's held-out accuracy"
                    : String.format(Locale.ROOT, "  != model card's %.4f", cardAccuracy);
        } else if (cardAccuracy != null) {
            verdict = String.format(Locale.ROOT, "  (model card: %.4f on the full held-out set)", cardAccuracy);
        }
        out.printf(Locale.ROOT, "accuracy              %.4f (%d/%d correct)%s%n", accuracy(), correct, withTruth, verdict);
        out.println("(end-to-end = Kafka record timestamp to result ready; results become visible at each checkpoint)");
    }

    private static String ms(long micros) {
        return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
    }
}
