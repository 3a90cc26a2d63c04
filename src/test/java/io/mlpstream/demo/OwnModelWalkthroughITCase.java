package io.mlpstream.demo;

import io.mlpstream.testutils.CapturedLogs;
import io.mlpstream.testutils.LoggedProcess;
import io.mlpstream.testutils.TestImages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's walkthrough "Tag your own images with your own model", command by command, as written there
 * ({@link #WALKTHROUGH}): the example model of {@code src/test/resources/byo-colors} (a colour classifier exported from
 * PyTorch with its card) is "your own model" in {@code my-model/}, a few colour photos (JPEG and PNG), a text file and a
 * truncated JPEG are "your images" in {@code my-photos/}. {@code broker} runs as its own process (the standalone
 * jar's main class) and is stopped with SIGTERM, as Ctrl-C does; the other commands run in this JVM through
 * {@link StandaloneCli}, {@code run} on a thread that is interrupted where the user presses Ctrl-C. The only changes
 * to the README's commands: a free port instead of 9092, passed to the others. Then the same images again with an id
 * prefix, and a bounded {@code run} over the whole input, whose log has no stack trace.
 */
class OwnModelWalkthroughITCase {
    /** The README's commands, after {@code java -jar target/mlpstream-standalone.jar}. */
    static final List<String> WALKTHROUGH = List.of(
            "check-model my-model",
            "broker",
            "run --set model.name=my-model",
            "send my-photos",
            "results");
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final Map<String, int[]> COLOURS = new LinkedHashMap<>();

    static {
        COLOURS.put("red", new int[] {205, 35, 30});
        COLOURS.put("green", new int[] {40, 165, 55});
        COLOURS.put("blue", new int[] {35, 65, 200});
        COLOURS.put("gray", new int[] {128, 128, 128});
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theWalkthroughTagsTheUsersImagesWithTheUsersModel() throws Exception {
        Path myModel = Files.createDirectories(tmp.resolve("my-model"));
        Path example = Path.of(OwnModelWalkthroughITCase.class.getResource("/byo-colors/model.json").toURI()).getParent();
        Files.copy(example.resolve("model.json"), myModel.resolve("model.json"));
        Files.copy(example.resolve("model.onnx"), myModel.resolve("model.onnx"));
        Path photos = myPhotos(Files.createDirectories(tmp.resolve("my-photos")));

        // check-model my-model
        Outcome check = cli(command(0, myModel, photos));
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.out()).contains("OK: the card matches " + myModel.resolve("model.onnx"));

        // broker
        LoggedProcess broker = startBroker(command(1, myModel, photos));
        try {
            String address = awaitBootstrap(broker);

            // run --set model.name=my-model (until Ctrl-C)
            ByteArrayOutputStream runOut = new ByteArrayOutputStream();
            AtomicInteger runCode = new AtomicInteger(-1);
            List<String> run = withAddress(command(2, myModel, photos), address);
            Thread runThread = new Thread(() -> runCode.set(StandaloneCli.run(run.toArray(String[]::new),
                    new PrintStream(runOut, true, StandardCharsets.UTF_8), System.err)), "walkthrough-run");
            runThread.start();
            awaitOutput(runOut, "running on a local Flink", runThread);

            // send my-photos
            Outcome send = cli(withAddress(command(3, myModel, photos), address));
            assertThat(send.code()).as(send.out() + send.err()).isZero();
            assertThat(send.out()).contains("skipped " + photos.resolve("notes.txt") + ": not a PNG or JPEG image")
                    .contains("sent 6 images").contains("skipped 1 other files");

            // results, until everything sent was committed
            List<String> results = withAddress(command(4, myModel, photos), address);
            List<JsonNode> lines = awaitResults(results, 6);
            Map<String, String> top = new LinkedHashMap<>();
            for (JsonNode line : lines) {
                if (line.get("type").asText().equals("result")) {
                    assertThat(line.get("model").asText()).isEqualTo("byo-colors");
                    assertThat(line.get("labels").get(0).get("score").asDouble()).isGreaterThan(0.9);
                    top.put(line.get("id").asText(), line.get("labels").get(0).get("label").asText());
                } else {
                    assertThat(line.get("type").asText()).isEqualTo("dead-letter");
                    assertThat(line.get("id").asText()).isEqualTo("broken.jpg");
                    assertThat(line.get("stage").asText()).isEqualTo("decode");
                    assertThat(line.get("reason").asText()).isNotBlank();
                }
            }
            assertThat(top).containsExactlyInAnyOrderEntriesOf(Map.of("red.jpg", "red", "green.png", "green",
                    "blue.jpg", "blue", "gray.png", "gray", "holiday/red-wide.jpg", "red"));

            // Ctrl-C on run: it stops the job and sums up what was committed
            runThread.interrupt();
            runThread.join(PATIENCE.toMillis());
            assertThat(runThread.isAlive()).as("run still running after its interrupt").isFalse();
            String runText = runOut.toString(StandardCharsets.UTF_8);
            System.out.println(runText);
            assertThat(runCode.get()).as(runText).isZero();
            assertThat(runText).contains("Connected to Kafka at " + address)
                    .contains("Model byo-colors v1: " + myModel.resolve("model.json") + " matches " + myModel.resolve("model.onnx"))
                    .containsPattern("committed: tagged \\d+ \\(\\+\\d+\\)")
                    .contains("Stopping: cancelling the job")
                    .contains("=== mlpstream run summary ===")
                    .contains("images tagged         5 (to tags)")
                    .contains("dead letters          1 (to dead-letter) (decode 1)")
                    .contains("end-to-end latency    p50 ");

            // the same photos again, then a bounded run of its own consumer group over the whole input: it ends by
            // itself, with a summary of both sends and no stack trace in the log
            Outcome again = cli(withAddress(List.of("send", "--id-prefix", "again", photos.toString()), address));
            assertThat(again.code()).as(again.err()).isZero();
            Outcome bounded;
            List<String> warnings;
            try (CapturedLogs logs = new CapturedLogs()) {
                bounded = cli(withAddress(List.of("run", "--set", "model.name=" + myModel, "--set", "kafka.bounded=true",
                        "--set", "kafka.group-id=walkthrough-again", "--set", "kafka.starting-offsets=earliest",
                        "--set", "job.checkpoint-interval=200 ms"), address));
                warnings = logs.lines().stream()
                        .filter(l -> (l.startsWith("WARN ") || l.startsWith("ERROR ")) && l.contains("\n\tat "))
                        .toList();
            }
            System.out.println(bounded.out());
            assertThat(bounded.code()).as(bounded.err()).isZero();
            assertThat(bounded.out()).contains("finished at the end of the input")
                    .contains("images tagged         10 (to tags)")
                    .contains("dead letters          2 (to dead-letter) (decode 2)");
            assertThat(warnings).as("WARN/ERROR log lines with a stack trace during a normal bounded run").isEmpty();
            assertThat(awaitResults(results, 18)).extracting(l -> l.get("id").asText())
                    .contains("again-red.jpg", "again-holiday/red-wide.jpg", "again-broken.jpg");
        } finally {
            broker.terminate(PATIENCE);
        }
        assertThat(broker.output()).contains("Kafka broker on 127.0.0.1:").contains(" stopped.");
    }

    /** A few photos (JPEG and PNG, one in a subdirectory), a text file and a truncated JPEG. */
    private static Path myPhotos(Path dir) throws Exception {
        Random random = new Random(7);
        Files.write(dir.resolve("red.jpg"), TestImages.jpeg(field(640, 480, COLOURS.get("red"), random), 0.9f));
        Files.write(dir.resolve("green.png"), TestImages.png(field(300, 200, COLOURS.get("green"), random)));
        Files.write(dir.resolve("blue.jpg"), TestImages.jpeg(field(120, 400, COLOURS.get("blue"), random), 0.9f));
        Files.write(dir.resolve("gray.png"), TestImages.png(field(64, 64, COLOURS.get("gray"), random)));
        Files.createDirectories(dir.resolve("holiday"));
        Files.write(dir.resolve("holiday/red-wide.jpg"), TestImages.jpeg(field(1024, 96, COLOURS.get("red"), random), 0.8f));
        byte[] jpeg = TestImages.jpeg(field(200, 200, COLOURS.get("blue"), random), 0.9f);
        Files.write(dir.resolve("broken.jpg"), Arrays.copyOf(jpeg, 300));
        Files.writeString(dir.resolve("notes.txt"), "holiday photos, summer\n");
        return dir;
    }

    private static BufferedImage field(int w, int h, int[] rgb, Random random) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        int[] px = new int[3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    px[c] = (int) Math.max(0, Math.min(255, Math.round(rgb[c] + random.nextGaussian() * 6)));
                }
                img.getRaster().setPixel(x, y, px);
            }
        }
        return img;
    }

    /** Walkthrough step {@code i} as arguments, with {@code my-model} and {@code my-photos} where the test has them. */
    private static List<String> command(int i, Path myModel, Path photos) {
        List<String> args = new ArrayList<>();
        for (String word : WALKTHROUGH.get(i).split(" ")) {
            args.add(word.replace("my-model", myModel.toString()).replace("my-photos", photos.toString()));
        }
        return args;
    }

    /** The command pointed at the test's broker instead of localhost:9092. */
    private static List<String> withAddress(List<String> command, String address) {
        List<String> args = new ArrayList<>(command);
        if (command.get(0).equals("run")) {
            args.addAll(1, List.of("--set", "kafka.bootstrap-servers=" + address));
        } else {
            args.addAll(1, List.of("--bootstrap", address));
        }
        return args;
    }

    private LoggedProcess startBroker(List<String> broker) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StandaloneCli.class.getName()));
        cmd.addAll(broker);
        cmd.addAll(List.of("--port", "0"));
        return LoggedProcess.start("broker", cmd, Map.of(), tmp, tmp.resolve("broker.log"));
    }

    private static String awaitBootstrap(LoggedProcess broker) throws InterruptedException {
        Pattern line = Pattern.compile("Bootstrap servers: (127\\.0\\.0\\.1:\\d+)");
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = line.matcher(broker.output());
            if (m.find()) {
                return m.group(1);
            }
            assertThat(broker.isAlive()).as("broker exited: %s", broker.tail(40)).isTrue();
            Thread.sleep(200);
        }
        throw new AssertionError("broker printed no bootstrap address: " + broker.tail(40));
    }

    private static void awaitOutput(ByteArrayOutputStream out, String text, Thread command) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!out.toString(StandardCharsets.UTF_8).contains(text)) {
            assertThat(command.isAlive()).as("command ended: %s", out.toString(StandardCharsets.UTF_8)).isTrue();
            assertThat(System.nanoTime()).as("no '%s' within %s: %s", text, PATIENCE, out).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Runs {@code results} until it prints {@code count} lines (each checkpoint commits more). */
    private static List<JsonNode> awaitResults(List<String> results, int count) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            Outcome o = cli(results);
            assertThat(o.code()).as(o.err()).isZero();
            List<JsonNode> lines = new ArrayList<>();
            for (String line : o.out().lines().toList()) {
                lines.add(JSON.readTree(line));
            }
            if (lines.size() >= count) {
                assertThat(lines).hasSize(count);
                return lines;
            }
            assertThat(System.nanoTime()).as("%d of %d results within %s", lines.size(), count, PATIENCE).isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    record Outcome(int code, String out, String err) {}

    private static Outcome cli(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = StandaloneCli.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
