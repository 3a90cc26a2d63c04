package io.mlpstream.core.model;

import io.mlpstream.testutils.OnnxProtobuf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client-side check holds a card against its graph as a TaskManager's open() would, and says what is wrong in one
 * line per problem that names the file and the field: a user's own model ({@code byo-colors}: 3×32×32 input
 * {@code pixel_values}, 4-class {@code probabilities} with the Softmax in the graph) with one field of its card broken
 * at a time, a digits model whose card claims probabilities, and tiny graphs built here for the element type and a
 * fixed batch dimension.
 */
class ModelPreflightTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void aCardThatMatchesItsModelHasNoProblems() throws Exception {
        Path dir = byoColors(card -> {});
        assertThat(ModelPreflight.problems(ModelSource.load(dir.toString()), 32)).isEmpty();
        assertThat(ModelPreflight.problems(ModelSource.load("mixer-digits"), 32)).isEmpty();
    }

    @Test
    void aWrongInputNameNamesTheFieldAndTheGraphsInputs() throws Exception {
        Path dir = byoColors(card -> ((ObjectNode) card.get("input")).put("name", "images"));
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": input.name \"images\"")
                .contains("not an input of " + dir.resolve("model.onnx")).contains("its inputs: pixel_values");
    }

    @Test
    void aWrongOutputNameNamesTheFieldAndTheGraphsOutputs() throws Exception {
        Path dir = byoColors(card -> ((ObjectNode) card.get("output")).put("name", "logits"));
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": output.name \"logits\"")
                .contains("its outputs: probabilities");
    }

    @Test
    void tenLabelsForAFourClassOutputAreRefused() throws Exception {
        Path dir = byoColors(card -> {
            ArrayNode labels = ((ObjectNode) card).putArray("labels");
            for (int i = 0; i < 10; i++) {
                labels.add("class-" + i);
            }
        });
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": labels has 10 entries")
                .contains("has 4 classes");
    }

    @Test
    void aHeightTheGraphDoesNotTakeIsRefused() throws Exception {
        Path dir = byoColors(card -> ((ObjectNode) card.get("input")).put("height", 256).put("resize", 256));
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": input.height is 256")
                .contains("(shape [").contains("Set input.height to 32.");
    }

    @Test
    void oneChannelForAnRgbGraphIsRefused() throws Exception {
        Path dir = byoColors(card -> {
            ObjectNode input = (ObjectNode) card.get("input");
            input.put("channels", 1).put("color", "grayscale");
            input.putArray("mean").add(0.5);
            input.putArray("std").add(0.25);
        });
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": input.channels is 1")
                .contains("Set input.channels to 3.");
    }

    @Test
    void anUnsupportedInterpolationIsRefusedBeforeAnyImageArrives() throws Exception {
        Path dir = byoColors(card -> ((ObjectNode) card.get("input")).put("interpolation", "area"));
        // already when the card is read, before any session: one line naming the file, the field and what is accepted
        assertThatThrownBy(() -> ModelSource.load(dir.toString())).isInstanceOf(ModelException.class)
                .hasMessageStartingWith("Model card " + dir.resolve("model.json") + " is invalid: \"input.interpolation\" is \"area\"")
                .hasMessageContaining("accepted: nearest, bilinear, bicubic, box, hamming, lanczos");
    }

    @Test
    void probabilitiesThatAreLogitsAreRefused() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("digits"));
        Path zoo = Path.of("models/zoo/mixer-digits");
        Files.copy(zoo.resolve("model.onnx"), dir.resolve("model.onnx"));
        ObjectNode card = (ObjectNode) JSON.readTree(zoo.resolve("model.json").toFile());
        ((ObjectNode) card.get("output")).put("kind", "probabilities");
        JSON.writeValue(dir.resolve("model.json").toFile(), card);
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": output.kind is \"probabilities\"")
                .contains("Set output.kind to \"logits\"");
    }

    @Test
    void anInputThatIsNotFloatIsRefused() throws Exception {
        Path dir = meanClassifier(OnnxProtobuf.UINT8, new long[] {-1, 3, 32, 32});
        assertThat(onlyProblem(dir)).startsWith(dir.resolve("model.json") + ": ").contains("holds uint8")
                .contains("float32");
    }

    @Test
    void aFixedBatchDimensionIsRefusedUnlessBatchesAreSingleImages() throws Exception {
        Path dir = meanClassifier(OnnxProtobuf.FLOAT, new long[] {1, 3, 32, 32});
        LoadedModel model = ModelSource.load(dir.toString());
        assertThat(ModelPreflight.problems(model, 32)).singleElement().asString()
                .startsWith(dir.resolve("model.onnx") + ": input \"x\" has a fixed batch size of 1")
                .contains("batch.max-size=32").contains("dynamic_axes");
        assertThat(ModelPreflight.problems(model, 1)).isEmpty();
        assertThat(ModelPreflight.problems(ModelSource.load(meanClassifier(OnnxProtobuf.FLOAT, new long[] {-1, 3, 32, 32})
                .toString()), 32)).isEmpty();
    }

    @Test
    void checkFailsWithEveryProblemOnALineOfItsOwn() throws Exception {
        Path dir = byoColors(card -> {
            ((ObjectNode) card.get("input")).put("name", "images");
            ((ObjectNode) card.get("output")).put("name", "logits");
        });
        LoadedModel model = ModelSource.load(dir.toString());
        assertThatThrownBy(() -> ModelPreflight.check(model, 32)).isInstanceOf(ModelException.class)
                .satisfies(e -> assertThat(e.getMessage().lines().toList()).hasSize(2)
                        .allSatisfy(line -> assertThat(line).startsWith(dir.resolve("model.json") + ": ")));
    }

    private static String onlyProblem(Path dir) {
        List<String> problems = ModelPreflight.problems(ModelSource.load(dir.toString()), 32);
        assertThat(problems).hasSize(1);
        System.out.println(problems.get(0));
        return problems.get(0);
    }

    /** A copy of the byo-colors example whose card {@code edit} changed (its sha256 still matches). */
    private Path byoColors(Consumer<ObjectNode> edit) throws Exception {
        Path source = Path.of(ModelPreflightTest.class.getResource("/byo-colors/model.json").toURI()).getParent();
        Path dir = Files.createDirectories(tmp.resolve("byo-colors"));
        Files.copy(source.resolve("model.onnx"), dir.resolve("model.onnx"));
        ObjectNode card = (ObjectNode) JSON.readTree(source.resolve("model.json").toFile());
        edit.accept(card);
        JSON.writeValue(dir.resolve("model.json").toFile(), card);
        return dir;
    }

    /** A 3-class graph built here ({@link OnnxProtobuf#meanClassifier}) with a card that matches it. */
    private Path meanClassifier(int inputType, long[] shape) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mean-" + inputType + "-" + shape[0]));
        byte[] onnx = OnnxProtobuf.meanClassifier("x", inputType, shape, "scores");
        Files.write(dir.resolve("model.onnx"), onnx);
        ObjectNode card = JSON.createObjectNode().put("name", "mean").put("file", "model.onnx")
                .put("sha256", ModelSource.sha256(onnx));
        ObjectNode input = card.putObject("input").put("name", "x").put("channels", 3).put("height", 32).put("width", 32);
        input.putArray("mean").add(0).add(0).add(0);
        input.putArray("std").add(1).add(1).add(1);
        card.putObject("output").put("name", "scores").put("kind", "logits");
        card.putArray("labels").add("r").add("g").add("b");
        JSON.writeValue(dir.resolve("model.json").toFile(), card);
        return dir;
    }
}
