package io.mlpstream.model;

import io.mlpstream.testutils.OnnxProtobuf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
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
}
