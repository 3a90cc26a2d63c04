package io.mlpstream.demo;

import io.mlpstream.flink.InferenceMetrics;
import io.mlpstream.job.Cli;
import io.mlpstream.testutils.TestImages;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's demo command, end to end (embedded broker, MiniCluster, bundled model), at a smaller size: every
 * event is accounted for, and the operator's Flink metrics in the summary agree with the results that came out. With a
 * model that does not classify digits it says why there is no accuracy; with --images it tags the user's files.
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

    /**
     * A model whose labels are not the digits: the demo says why it reports no accuracy (never NaN or "0/40 correct"),
     * and never prints "(null)" for a card without an architecture or held-out accuracy.
     */
    @Test
    void aModelThatIsNotADigitsModelGetsNoAccuracyAndTheReason() throws Exception {
        Path byo = Path.of(DemoITCase.class.getResource("/byo-colors/model.json").toURI()).getParent();
        Outcome o = demo("--events", "40", "--rate", "200", "--set", "model.name=" + byo);
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("Model byo-colors v1 (ResMLP), held-out accuracy on its card: 1.0000")
                .contains("Accuracy will not be reported: the demo sends handwritten digits, which model byo-colors "
                        + "(labels red, green, blue, gray) does not classify; pass --images DIR")
                .contains("images tagged         40")
                .contains("accuracy              not reported: ")
                .doesNotContain("NaN").doesNotContain("(null)").doesNotContain("correct)");
    }

    /** --images: the user's files, each once, with their top labels listed; no accuracy, no NaN. */
    @Test
    void theDemoTagsTheUsersOwnImages(@TempDir Path images) throws Exception {
        Path byo = Path.of(DemoITCase.class.getResource("/byo-colors/model.json").toURI()).getParent();
        Files.write(images.resolve("red.png"), TestImages.png(TestImages.solid(120, 80, 205, 35, 30)));
        Files.write(images.resolve("blue.jpg"), TestImages.jpeg(TestImages.solid(64, 64, 35, 65, 200), 0.9f));
        Files.writeString(images.resolve("readme.txt"), "not an image");
        Outcome o = demo("--images", images.toString(), "--set", "model.name=" + byo);
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("skipped " + images.resolve("readme.txt") + ": not a PNG or JPEG image")
                .contains("Producing your 2 images from " + images)
                .contains("images tagged         2")
                .contains("accuracy              not reported: your own images carry no true label")
                .containsPattern("\\n  red\\.png +red [01]\\.\\d{4}").containsPattern("\\n  blue\\.jpg +blue [01]\\.\\d{4}")
                .doesNotContain("NaN");
    }

    record Outcome(int code, String out, String err) {}

    private static Outcome demo(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "demo";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = StandaloneCli.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        return new Outcome(code, text, err.toString(StandardCharsets.UTF_8));
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
