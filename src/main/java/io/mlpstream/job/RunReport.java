package io.mlpstream.job;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.job.metrics.Percentiles;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a local {@code run} committed, from its outputs ({@link OutputReader}): results with their latencies, dead letters
 * by stage. Prints progress lines and the summary at the end. Pure bookkeeping, no Kafka.
 */
final class RunReport {
    private long[] endToEnd = new long[1024];
    private long[] inference = new long[1024];
    private int tagged;
    private int deadLetters;
    private final Map<String, Integer> deadLettersByStage = new TreeMap<>();
    private int taggedAtLastLine;
    private int deadLettersAtLastLine;

    void add(OutputReader.Output output) {
        if (output instanceof OutputReader.Tagged t) {
            add(t.image());
        } else if (output instanceof OutputReader.DeadLetter d) {
            deadLetters++;
            deadLettersByStage.merge(d.stage() == null ? "unknown" : d.stage(), 1, Integer::sum);
        }
    }

    private void add(TaggedImage image) {
        if (tagged == endToEnd.length) {
            endToEnd = Arrays.copyOf(endToEnd, tagged * 2);
            inference = Arrays.copyOf(inference, tagged * 2);
        }
        endToEnd[tagged] = image.getLatency().getEndToEndUs();
        inference[tagged] = image.getLatency().getInferenceUs();
        tagged++;
    }

    int tagged() {
        return tagged;
    }

    int deadLetters() {
        return deadLetters;
    }

    /** Whether outputs came in since the last {@link #printProgress}. */
    boolean changed() {
        return tagged != taggedAtLastLine || deadLetters != deadLettersAtLastLine;
    }

    /** {@code [  12.3 s] committed: tagged 120 (+40) | dead letters 1 (+0)}: what the latest checkpoints committed. */
    void printProgress(PrintStream out, double seconds) {
        out.printf(Locale.ROOT, "[%6.1f s] committed: tagged %d (+%d) | dead letters %d (+%d)%s%n", seconds, tagged,
                tagged - taggedAtLastLine, deadLetters, deadLetters - deadLettersAtLastLine, stages());
        taggedAtLastLine = tagged;
        deadLettersAtLastLine = deadLetters;
    }

    /** The summary of a run that ended: counts, dead letters by stage, latency percentiles. */
    void printSummary(PrintStream out, String job, String ending, double seconds, String resultsTopic, String deadLetterTopic) {
        Percentiles e2e = new Percentiles(endToEnd, tagged);
        Percentiles inf = new Percentiles(inference, tagged);
        out.println();
        out.println("=== mlpstream run summary ===");
        out.printf(Locale.ROOT, "job                   %s: %s after %.1f s%n", job, ending, seconds);
        out.printf(Locale.ROOT, "images tagged         %d (to %s)%n", tagged, resultsTopic);
        out.printf(Locale.ROOT, "dead letters          %d (to %s)%s%n", deadLetters, deadLetterTopic, stages());
        if (tagged > 0) {
            out.printf(Locale.ROOT, "end-to-end latency    p50 %s  p95 %s  p99 %s  max %s%n", ms(e2e.at(50)), ms(e2e.at(95)),
                    ms(e2e.at(99)), ms(e2e.max()));
            out.printf(Locale.ROOT, "batch inference       p50 %s  p99 %s%n", ms(inf.at(50)), ms(inf.at(99)));
        }
        out.println("(what this run committed; end-to-end = Kafka record timestamp to result ready)");
    }

    /** {@code " (decode 2, timeout 1)"}, or nothing without dead letters. */
    private String stages() {
        if (deadLettersByStage.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (");
        deadLettersByStage.forEach((stage, n) -> sb.append(sb.length() > 2 ? ", " : "").append(stage).append(' ').append(n));
        return sb.append(')').toString();
    }

    private static String ms(long micros) {
        return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
    }
}
