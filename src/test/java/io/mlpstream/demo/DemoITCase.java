package io.mlpstream.demo;

import io.mlpstream.flink.InferenceMetrics;
import io.mlpstream.job.Cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's demo command, end to end (embedded broker, MiniCluster, bundled model), at a smaller size: every
 * event is accounted for, and the operator's Flink metrics in the summary agree with the results that came out.
 */
class DemoITCase {

    @Test
    void theDemoAccountsForEveryEventAndItsFlinkMetricsAgreeWithTheResults() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli(StandaloneCli.commands()).run(new String[] {"demo", "--events", "600", "--rate", "300"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text.substring(Math.max(0, text.indexOf("=== mlpstream demo summary"))));
        assertThat(code).as("exit code; stderr: %s", err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(text).contains("images tagged         600").contains("dead letters          0").contains("unaccounted           0");

        List<String> lines = text.lines().toList();
        assertThat(metricSum(lines, InferenceMetrics.IMAGES_TAGGED)).as("imagesTagged over the subtasks").isEqualTo(600);
        assertThat(metricSum(lines, InferenceMetrics.FAILURES)).isZero();
        assertThat(metricSum(lines, InferenceMetrics.SKIPPED_AFTER_TIMEOUT)).isZero();
        assertThat(metricSum(lines, InferenceMetrics.BATCHES_FLUSHED_BY_SIZE) + metricSum(lines, InferenceMetrics.BATCHES_FLUSHED_BY_TIMER))
                .as("batches").isBetween(600L / 32, 600L);
        for (String histogram : List.of(InferenceMetrics.BATCH_SIZE, InferenceMetrics.QUEUE_WAIT_US,
                InferenceMetrics.PREPROCESS_US, InferenceMetrics.INFERENCE_US, InferenceMetrics.OPERATOR_LATENCY_US)) {
            assertThat(metricLine(lines, histogram)).as(histogram).contains("p50").contains("p99");
        }
    }

    private static String metricLine(List<String> lines, String metric) {
        return lines.stream().filter(l -> l.startsWith("  " + metric + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for metric " + metric));
    }

    /** A counter's values over the subtasks, side by side on its line. */
    private static long metricSum(List<String> lines, String metric) {
        return Arrays.stream(metricLine(lines, metric).strip().split("\\s+")).skip(1).mapToLong(Long::parseLong).sum();
    }
}
