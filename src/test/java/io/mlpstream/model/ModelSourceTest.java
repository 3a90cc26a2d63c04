package io.mlpstream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
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
        byte[] onnx = Protobuf.model(Protobuf.tensor("w", null));
        Path d = modelDir(onnx, "0".repeat(64));
        assertThatThrownBy(() -> ModelSource.load(d.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("sha256 of model.onnx is " + ModelSource.sha256(onnx))
                .hasMessageContaining("but its card says " + "0".repeat(64));
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @Test
    void externalDataIsRefusedEvenWhenTheChecksumMatches() throws Exception {
        byte[] onnx = Protobuf.model(Protobuf.tensor("ok", null), Protobuf.tensor("stolen", "../../etc/passwd"));
        Path d = modelDir(onnx, ModelSource.sha256(onnx));
        assertThatThrownBy(() -> ModelSource.load(d.toString()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("references external data (stolen -> ../../etc/passwd)");
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @Test
    void externalDataInsideASubgraphAttributeIsFoundToo() {
        byte[] onnx = Protobuf.model(Protobuf.nodeWithSubgraphTensor(Protobuf.tensor("inner", "weights.bin")));
        assertThat(OnnxExternalData.externalReferences(onnx)).containsExactly("inner -> weights.bin");
        assertThat(OnnxExternalData.externalReferences(Protobuf.model(Protobuf.tensor("w", null)))).isEmpty();
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

    /** Just enough protobuf writing to build ONNX ModelProtos with (external) initializers. */
    static final class Protobuf {
        static byte[] model(byte[]... graphEntries) {
            ByteArrayOutputStream graph = new ByteArrayOutputStream();
            for (byte[] e : graphEntries) {
                graph.writeBytes(e);
            }
            ByteArrayOutputStream model = new ByteArrayOutputStream();
            model.writeBytes(varintField(1, 8)); // ir_version
            model.writeBytes(bytesField(7, graph.toByteArray())); // graph
            return model.toByteArray();
        }

        /** A GraphProto.initializer entry (field 5). */
        static byte[] tensor(String name, String externalLocation) {
            return bytesField(5, tensorProto(name, externalLocation));
        }

        static byte[] tensorProto(String name, String externalLocation) {
            ByteArrayOutputStream t = new ByteArrayOutputStream();
            t.writeBytes(varintField(1, 1)); // dims
            t.writeBytes(varintField(2, 1)); // data_type FLOAT
            t.writeBytes(bytesField(8, name.getBytes(StandardCharsets.UTF_8)));
            if (externalLocation != null) {
                ByteArrayOutputStream entry = new ByteArrayOutputStream();
                entry.writeBytes(bytesField(1, "location".getBytes(StandardCharsets.UTF_8)));
                entry.writeBytes(bytesField(2, externalLocation.getBytes(StandardCharsets.UTF_8)));
                t.writeBytes(bytesField(13, entry.toByteArray()));
                t.writeBytes(varintField(14, 1));
            } else {
                t.writeBytes(bytesField(9, new byte[4])); // raw_data
            }
            return t.toByteArray();
        }

        /** A GraphProto.node (field 1) whose attribute holds a subgraph (field 6) with the given initializer. */
        static byte[] nodeWithSubgraphTensor(byte[] initializer) {
            byte[] subgraph = initializer;
            ByteArrayOutputStream attr = new ByteArrayOutputStream();
            attr.writeBytes(bytesField(1, "then_branch".getBytes(StandardCharsets.UTF_8)));
            attr.writeBytes(bytesField(6, subgraph));
            ByteArrayOutputStream node = new ByteArrayOutputStream();
            node.writeBytes(bytesField(4, "If".getBytes(StandardCharsets.UTF_8)));
            node.writeBytes(bytesField(5, attr.toByteArray()));
            return bytesField(1, node.toByteArray());
        }

        static byte[] bytesField(int field, byte[] value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(varint((field << 3) | 2));
            out.writeBytes(varint(value.length));
            out.writeBytes(value);
            return out.toByteArray();
        }

        static byte[] varintField(int field, long value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(varint(field << 3));
            out.writeBytes(varint(value));
            return out.toByteArray();
        }

        static byte[] varint(long v) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return out.toByteArray();
        }
    }
}
