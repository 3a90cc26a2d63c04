package io.mlpstream.demo;

import io.mlpstream.job.Command;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standalone jar's command line without a broker: {@code --help} and {@code help NAME} for every command, unknown
 * flags and missing values refused in one line, and the commands that check a model or arguments before they need
 * Kafka.
 */
class StandaloneCliTest {
    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = StandaloneCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelp() {
        List<String> names = StandaloneCli.commands().stream().map(Command::name).toList();
        assertThat(names).containsExactly("run", "sql", "check-model", "card", "send", "results", "options", "broker", "demo", "produce");
        for (Command command : StandaloneCli.commands()) {
            for (String[] args : List.of(new String[] {command.name(), "--help"}, new String[] {command.name(), "-h"},
                    new String[] {"help", command.name()}, new String[] {command.name(), "--set", "a=b", "--help"})) {
                Outcome o = run(args);
                assertThat(o.code()).as("%s", List.of(args)).isZero();
                assertThat(o.out()).as("%s", List.of(args)).startsWith("Usage: mlpstream " + command.name() + " ");
                assertThat(o.out().replaceAll("\\s+", " ")).contains(command.description());
                assertThat(o.out().lines().skip(2)).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(100));
                assertThat(o.err()).isEmpty();
            }
        }
        Outcome usage = run("help");
        assertThat(usage.code()).isZero();
        names.forEach(n -> assertThat(usage.out()).contains("  " + n + " "));
    }

    @Test
    void anUnknownFlagOrAMissingValueIsOneLine() {
        Outcome unknown = run("send", "--bootstrp", "localhost:9092", "photos");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err().lines().toList()).singleElement().asString()
                .startsWith("mlpstream: Unknown argument '--bootstrp' for 'send'. Usage: mlpstream send ");
        Outcome missing = run("results", "--bootstrap", "--follow");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("mlpstream: --bootstrap needs a value, got the flag --follow."
                + System.lineSeparator());
        Outcome attr = run("send", "--attr", "camera", "photos");
        assertThat(attr.code()).isEqualTo(2);
        assertThat(attr.err()).contains("--attr expects key=value, got 'camera'");
    }

    @Test
    void checkModelSaysOkForAModelThatMatchesItsCard() throws Exception {
        Path byo = Path.of(StandaloneCliTest.class.getResource("/byo-colors/model.json").toURI()).getParent();
        Outcome o = run("check-model", byo.toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).startsWith("byo-colors v1 (ResMLP) from " + byo.resolve("model.json"))
                .contains("pixel_values").contains("red, green, blue, gray")
                .contains("OK: the card matches " + byo.resolve("model.onnx"));
        Outcome bundled = run("check-model", "--set", "model.name=gmlp-digits");
        assertThat(bundled.code()).as(bundled.err()).isZero();
        assertThat(bundled.out()).startsWith("gmlp-digits v");
    }

    @Test
    void checkModelNamesEveryProblemOnALineOfItsOwn(@TempDir Path tmp) throws Exception {
        Path byo = Path.of(StandaloneCliTest.class.getResource("/byo-colors/model.json").toURI()).getParent();
        Files.copy(byo.resolve("model.onnx"), tmp.resolve("model.onnx"));
        Files.writeString(tmp.resolve("model.json"), Files.readString(byo.resolve("model.json"))
                .replace("\"name\": \"probabilities\"", "\"name\": \"scores\"").replace("\"height\": 32", "\"height\": 224")
                .replace("\"resize\": 36", "\"resize\": 256"));
        Outcome o = run("check-model", tmp.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err().lines().toList()).hasSize(2)
                .allSatisfy(line -> assertThat(line).startsWith("mlpstream: " + tmp.resolve("model.json") + ": "))
                .anySatisfy(line -> assertThat(line).contains("output.name \"scores\""))
                .anySatisfy(line -> assertThat(line).contains("input.height is 224"));
    }

    @Test
    void sendRefusesWhatIsNeitherAFileNorADirectoryBeforeConnecting(@TempDir Path tmp) {
        Outcome o = run("send", "--bootstrap", "127.0.0.1:1", tmp.resolve("nothing-here").toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("mlpstream: " + tmp.resolve("nothing-here")
                + " is neither an image file nor a directory of them." + System.lineSeparator());
    }
}
