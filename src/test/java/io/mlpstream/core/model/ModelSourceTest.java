package io.mlpstream.core.model;

import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.testutils.OnnxProtobuf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelSourceTest {
    @TempDir
    Path dir;

    static String card(String sha) {
        return """
                {"name": "tiny", "version": "1", "file": "model.onnx", "sha256": "%s",
                 "input": {"name": "input", "layout": "NCHW", "channels": 1, "height": 2, "width": 2,
                           "mean": [0.5], "std": [0.5]},
                 "output": {"name": "logits", "kind": "logits"},
                 "labels": ["a", "b"]}
                """.formatted(sha);
    }

    private Path modelDir(byte[] onnx, String sha) throws Exception {
        Files.write(dir.resolve("model.onnx"), onnx);
        Files.writeString(dir.resolve("model.json"), card(sha));
        return dir;
    }

    @Test
    void aModelWhoseBytesDoNotMatchItsCardIsRefused() throws Exception {
        byte[] onnx = OnnxProtobuf.model(OnnxProtobuf.tensor("w", null));
        Path d = modelDir(onnx, "0".repeat(64));
        assertThatThrownBy(() -> ModelSource.load(d.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("sha256 of model.onnx is " + ModelSource.sha256(onnx))
                .hasMessageContaining("but its card says " + "0".repeat(64));
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @Test
    void externalDataIsRefusedEvenWhenTheChecksumMatches() throws Exception {
        byte[] onnx = OnnxProtobuf.model(OnnxProtobuf.tensor("ok", null), OnnxProtobuf.tensor("stolen", "../../etc/passwd"));
        Path d = modelDir(onnx, ModelSource.sha256(onnx));
        assertThatThrownBy(() -> ModelSource.load(d.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("references external data (stolen -> ../../etc/passwd)");
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @Test
    void externalDataInsideASubgraphAttributeIsFoundToo() {
        byte[] onnx = OnnxProtobuf.model(OnnxProtobuf.nodeWithSubgraphTensor(OnnxProtobuf.tensor("inner", "weights.bin")));
        assertThat(OnnxExternalData.externalReferences(onnx)).containsExactly("inner -> weights.bin");
        assertThat(OnnxExternalData.externalReferences(OnnxProtobuf.model(OnnxProtobuf.tensor("w", null)))).isEmpty();
    }

    @Test
    void garbageIsNotAnOnnxModel() {
        assertThatThrownBy(() -> OnnxExternalData.externalReferences(new byte[] {0x3a, 0x7f, 0x01}))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("not a valid ONNX protobuf");
    }

    @Test
    void missingThingsAreNamed() throws Exception {
        assertThatThrownBy(() -> ModelSource.load("no-such-model"))
                .hasMessageContaining("Model 'no-such-model' not found")
                .hasMessageContaining("bundled: mixer-digits");
        Files.writeString(dir.resolve("model.json"), card("a".repeat(64)));
        assertThatThrownBy(() -> ModelSource.load(dir.toString()))
                .hasMessageContaining("names \"file\": \"model.onnx\" but")
                .hasMessageContaining("does not exist");
        Files.writeString(dir.resolve("model.json"), "{\"name\": \"x\"}");
        assertThatThrownBy(() -> ModelSource.load(dir.toString())).hasMessageContaining("\"file\"");
        Files.writeString(dir.resolve("model.json"), card("a".repeat(64)).replace("\"model.onnx\"", "\"../model.onnx\""));
        assertThatThrownBy(() -> ModelSource.load(dir.toString())).hasMessageContaining("plain file name");
        Files.writeString(dir.resolve("model.json"), "not json");
        assertThatThrownBy(() -> ModelSource.load(dir.toString())).hasMessageContaining("not valid JSON");
    }

    private static Path byoExample() throws Exception {
        return Path.of(ModelSourceTest.class.getResource("/byo-colors/model.json").toURI()).getParent();
    }

    /** The bring-your-own example's card (src/test/resources/byo-colors) with one edit, beside its real model.onnx. */
    private Path byoWith(UnaryOperator<String> edit) throws Exception {
        Path example = byoExample();
        Path d = Files.createDirectories(dir.resolve("byo-" + System.nanoTime()));
        Files.copy(example.resolve("model.onnx"), d.resolve("model.onnx"));
        String original = Files.readString(example.resolve("model.json"));
        String edited = edit.apply(original);
        assertThat(edited).as("the edit must change the card").isNotEqualTo(original);
        Files.writeString(d.resolve("model.json"), edited);
        return d;
    }

    @Test
    void aCardThatContradictsItselfIsRefusedBeforeAnySession() throws Exception {
        // 3 channels but one mean / one std (a grayscale card's normalisation left in)
        Path oneMean = byoWith(c -> c.replaceFirst("\"mean\": \\[[^\\]]*\\]", "\"mean\": [0.5]"));
        assertThatThrownBy(() -> ModelSource.load(oneMean.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining(oneMean.resolve("model.json").toString())
                .hasMessageContaining("\"input.mean\" needs one value per channel (3)");
        Path oneStd = byoWith(c -> c.replaceFirst("\"std\": \\[[^\\]]*\\]", "\"std\": [0.25]"));
        assertThatThrownBy(() -> ModelSource.load(oneStd.toString()))
                .hasMessageContaining("\"input.std\" needs one value per channel (3)");
        // the channel count changed, mean/std still per RGB channel
        Path oneChannel = byoWith(c -> c.replace("\"channels\": 3", "\"channels\": 1"));
        assertThatThrownBy(() -> ModelSource.load(oneChannel.toString()))
                .hasMessageContaining("\"input.mean\" needs one value per channel (1)");
        Path fourChannels = byoWith(c -> c.replace("\"channels\": 3", "\"channels\": 4"));
        assertThatThrownBy(() -> ModelSource.load(fourChannels.toString()))
                .hasMessageContaining("\"input.channels\" must be 1 or 3, got 4");
        // an output kind the job does not know (it would not know whether to apply a softmax)
        Path kind = byoWith(c -> c.replace("\"kind\": \"probabilities\"", "\"kind\": \"log_softmax\""));
        assertThatThrownBy(() -> ModelSource.load(kind.toString()))
                .hasMessageContaining("\"output.kind\" must be logits or probabilities, got 'log_softmax'");
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @Test
    void antialiasIsPillowsUnlessTheCardSaysOtherwise() throws Exception {
        assertThat(ModelSource.load(byoExample().toString()).card().preprocessSpec().antialias())
                .as("absent: torchvision on PIL images").isTrue();
        Path plain = byoWith(c -> c.replace("\"interpolation\": \"bilinear\"", "\"interpolation\": \"bilinear\", \"antialias\": false"));
        assertThat(ModelSource.load(plain.toString()).card().preprocessSpec().antialias()).isFalse();
        Path typo = byoWith(c -> c.replace("\"interpolation\": \"bilinear\"", "\"interpolation\": \"bilinear\", \"antialias\": \"maybe\""));
        assertThatThrownBy(() -> ModelSource.load(typo.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("is not valid JSON for a model card")
                .hasMessageContaining("maybe");
    }

    @Test
    void exifOrientationIsIgnoredUnlessTheCardSaysApplyAndAnythingElseIsRefusedAtParse() throws Exception {
        assertThat(ModelSource.load(byoExample().toString()).card().preprocessSpec().exifOrientation())
                .as("absent: torchvision's PIL loading").isEqualTo(PreprocessSpec.ExifOrientation.IGNORE);
        Path apply = byoWithExifOrientation("apply");
        assertThat(ModelSource.load(apply.toString()).card().preprocessSpec().exifOrientation())
                .isEqualTo(PreprocessSpec.ExifOrientation.APPLY);
        Path ignore = byoWithExifOrientation("ignore");
        assertThat(ModelSource.load(ignore.toString()).card().preprocessSpec().exifOrientation())
                .isEqualTo(PreprocessSpec.ExifOrientation.IGNORE);
        Path typo = byoWithExifOrientation("rotate");
        assertThatThrownBy(() -> ModelSource.load(typo.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessage("Model card " + typo.resolve("model.json") + " is invalid: \"input.exifOrientation\" must be"
                        + " \"ignore\" (the default) or \"apply\", got 'rotate'.");
    }

    private Path byoWithExifOrientation(String value) throws Exception {
        return byoWith(c -> c.replace("\"interpolation\": \"bilinear\"",
                "\"interpolation\": \"bilinear\", \"exifOrientation\": \"" + value + "\""));
    }

    @Test
    void aCardThatContradictsItsGraphIsRefusedWhenTheSessionOpens() throws Exception {
        // the card as committed opens fine
        assertThatCode(() -> SharedSessions.acquire(ModelSource.load(byoExample().toString()), Device.CPU, 1).close())
                .doesNotThrowAnyException();
        // the zoo's input name is not this graph's: the card drives the name, nothing is assumed
        Path input = byoWith(c -> c.replace("\"name\": \"pixel_values\"", "\"name\": \"input\""));
        assertThatThrownBy(() -> SharedSessions.acquire(ModelSource.load(input.toString()), Device.CPU, 1))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining(input.resolve("model.json") + ": input.name \"input\" is not an input of ")
                .hasMessageContaining("(its inputs: pixel_values)");
        Path output = byoWith(c -> c.replace("\"name\": \"probabilities\"", "\"name\": \"logits\""));
        assertThatThrownBy(() -> SharedSessions.acquire(ModelSource.load(output.toString()), Device.CPU, 1))
                .hasMessageContaining(output.resolve("model.json") + ": output.name \"logits\" is not an output of ")
                .hasMessageContaining("(its outputs: probabilities)");
        Path size = byoWith(c -> c.replace("\"height\": 32", "\"height\": 28").replace("\"width\": 32", "\"width\": 28"));
        assertThatThrownBy(() -> SharedSessions.acquire(ModelSource.load(size.toString()), Device.CPU, 1))
                .hasMessageContaining("input.height is 28, but ").hasMessageContaining("input.width is 28, but ");
        Path labels = byoWith(c -> c.replace("\"gray\"", "\"gray\", \"purple\""));
        assertThatThrownBy(() -> SharedSessions.acquire(ModelSource.load(labels.toString()), Device.CPU, 1))
                .hasMessageContaining("labels has 5 entries, but ").hasMessageContaining("has 4 classes");
        assertThat(SharedSessions.openSessions()).isZero();
    }
}
