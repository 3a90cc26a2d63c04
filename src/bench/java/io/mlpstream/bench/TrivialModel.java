package io.mlpstream.bench;

import io.mlpstream.core.model.ModelSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A model that costs nothing to run: one MatMul, [N, 1, 28, 28] flattened times a fixed 784 x 10 matrix, with the
 * digits model's card (its input spec and labels), written as model.onnx + model.json. With it, a pipeline measures the
 * framework around the model alone: Kafka, Avro, decoding, batching, futures, results, sinks, metrics.
 */
final class TrivialModel {
    static final String NAME = "matmul-digits";
    private static final int PIXELS = 28 * 28;
    private static final int CLASSES = 10;

    private TrivialModel() {}

    /** Writes the model and its card into {@code dir} (created); returns the directory. */
    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        byte[] onnx = onnx();
        Files.write(dir.resolve("model.onnx"), onnx);
        ObjectMapper json = new ObjectMapper();
        ObjectNode card;
        try (InputStream in = TrivialModel.class.getClassLoader()
                .getResourceAsStream(ModelSource.BUNDLED_ROOT + "mixer-digits/model.json")) {
            card = (ObjectNode) json.readTree(in);
        }
        card.put("name", NAME);
        card.put("version", "1");
        card.put("architecture", "MatMul");
        card.put("description", "One MatMul (784 x 10, fixed random weights): a model that costs nothing, for benchmarks of "
                + "the framework around it");
        card.put("sha256", ModelSource.sha256(onnx));
        card.remove("heldOutAccuracy");
        card.remove("heldOutCount");
        card.remove("training");
        card.remove("parameterCount");
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), card);
        return dir;
    }

    /** ModelProto: opset 17, input [N,1,28,28] -> Flatten(axis 1) -> MatMul(W) -> logits [N,10]. */
    static byte[] onnx() {
        float[] w = new float[PIXELS * CLASSES];
        Random random = new Random(7);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian() * 0.05f;
        }
        ByteBuffer raw = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(w);
        byte[] weights = concat(
                varintField(1, PIXELS), varintField(1, CLASSES), varintField(2, 1), stringField(8, "W"), bytesField(9, raw.array()));
        byte[] flatten = concat(stringField(1, "input"), stringField(2, "flat"), stringField(3, "flatten"),
                stringField(4, "Flatten"), bytesField(5, concat(stringField(1, "axis"), varintField(3, 1), varintField(20, 2))));
        byte[] matmul = concat(stringField(1, "flat"), stringField(1, "W"), stringField(2, "logits"), stringField(3, "matmul"),
                stringField(4, "MatMul"));
        byte[] graph = concat(bytesField(1, flatten), bytesField(1, matmul), stringField(2, NAME), bytesField(5, weights),
                bytesField(11, valueInfo("input", new long[] {-1, 1, 28, 28})), bytesField(12, valueInfo("logits", new long[] {-1, CLASSES})));
        byte[] opset = concat(stringField(1, ""), varintField(2, 17));
        return concat(varintField(1, 8), stringField(2, "mlpstream-bench"), bytesField(7, graph), bytesField(8, opset));
    }

    /** ValueInfoProto of a float tensor; -1 is a symbolic batch dimension. */
    private static byte[] valueInfo(String name, long[] dims) {
        ByteArrayOutputStream shape = new ByteArrayOutputStream();
        for (long d : dims) {
            shape.writeBytes(bytesField(1, d < 0 ? stringField(2, "N") : varintField(1, d)));
        }
        byte[] tensorType = concat(varintField(1, 1), bytesField(2, shape.toByteArray()));
        return concat(stringField(1, name), bytesField(2, bytesField(1, tensorType)));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] stringField(int field, String value) {
        return bytesField(field, value.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytesField(int field, byte[] value) {
        return concat(varint(((long) field << 3) | 2), varint(value.length), value);
    }

    private static byte[] varintField(int field, long value) {
        return concat(varint((long) field << 3), varint(value));
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }
}
