package io.mlpstream.testutils;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough protobuf writing to build ONNX ModelProtos with (external) initializers, and tiny runnable classifiers,
 * for tests of the model checks (ONNX Runtime Java's own tests build their models in code too).
 */
public final class OnnxProtobuf {
    private OnnxProtobuf() {}

    public static byte[] model(byte[]... graphEntries) {
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
    public static byte[] tensor(String name, String externalLocation) {
        return bytesField(5, tensorProto(name, externalLocation));
    }

    public static byte[] tensorProto(String name, String externalLocation) {
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
    public static byte[] nodeWithSubgraphTensor(byte[] initializer) {
        byte[] subgraph = initializer;
        ByteArrayOutputStream attr = new ByteArrayOutputStream();
        attr.writeBytes(bytesField(1, "then_branch".getBytes(StandardCharsets.UTF_8)));
        attr.writeBytes(bytesField(6, subgraph));
        ByteArrayOutputStream node = new ByteArrayOutputStream();
        node.writeBytes(bytesField(4, "If".getBytes(StandardCharsets.UTF_8)));
        node.writeBytes(bytesField(5, attr.toByteArray()));
        return bytesField(1, node.toByteArray());
    }

    /** ONNX TensorProto.DataType values. */
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;

    /**
     * A runnable opset-17 classifier: input {@code inputName} of element type {@code inputType} and shape
     * {@code inputShape} (a negative dimension is the symbolic {@code N}), (Cast to float,) GlobalAveragePool, Flatten:
     * output {@code outputName}, float {@code [N, channels]}, the mean of each channel.
     */
    public static byte[] meanClassifier(String inputName, int inputType, long[] inputShape, String outputName) {
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        String pooled = inputName;
        if (inputType != FLOAT) {
            graph.writeBytes(bytesField(1, node("Cast", new String[] {inputName}, "as_float",
                    attributeInt("to", FLOAT))));
            pooled = "as_float";
        }
        graph.writeBytes(bytesField(1, node("GlobalAveragePool", new String[] {pooled}, "pooled")));
        graph.writeBytes(bytesField(1, node("Flatten", new String[] {"pooled"}, outputName)));
        graph.writeBytes(bytesField(2, "mean_classifier".getBytes(StandardCharsets.UTF_8)));
        graph.writeBytes(bytesField(11, valueInfo(inputName, inputType, inputShape)));
        graph.writeBytes(bytesField(12, valueInfo(outputName, FLOAT, new long[] {inputShape[0], inputShape[1]})));
        ByteArrayOutputStream opset = new ByteArrayOutputStream();
        opset.writeBytes(bytesField(1, new byte[0]));
        opset.writeBytes(varintField(2, 17));
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        model.writeBytes(varintField(1, 8)); // ir_version
        model.writeBytes(bytesField(7, graph.toByteArray()));
        model.writeBytes(bytesField(8, opset.toByteArray()));
        return model.toByteArray();
    }

    /**
     * A runnable classifier with a float32 {@code [N, channels, height, width]} input and a {@code [N, classes]}
     * output: the per-channel means of the image (ReduceMean over H and W) times a fixed {@code channels x classes}
     * matrix whose column k weighs channel c by {@code (k + 1) * (c + 1) / classes}. Opset 13, IR version 7.
     */
    public static byte[] classifier(String input, int channels, int height, int width, String output, int classes) {
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        ByteArrayOutputStream reduce = new ByteArrayOutputStream();
        reduce.writeBytes(stringField(1, input));
        reduce.writeBytes(stringField(2, "pooled"));
        reduce.writeBytes(stringField(4, "ReduceMean"));
        ByteArrayOutputStream axes = new ByteArrayOutputStream();
        axes.writeBytes(stringField(1, "axes"));
        axes.writeBytes(varintField(8, 2));
        axes.writeBytes(varintField(8, 3));
        axes.writeBytes(varintField(20, 7)); // INTS
        reduce.writeBytes(bytesField(5, axes.toByteArray()));
        ByteArrayOutputStream keepDims = new ByteArrayOutputStream();
        keepDims.writeBytes(stringField(1, "keepdims"));
        keepDims.writeBytes(varintField(3, 0));
        keepDims.writeBytes(varintField(20, 2)); // INT
        reduce.writeBytes(bytesField(5, keepDims.toByteArray()));
        graph.writeBytes(bytesField(1, reduce.toByteArray()));
        ByteArrayOutputStream matMul = new ByteArrayOutputStream();
        matMul.writeBytes(stringField(1, "pooled"));
        matMul.writeBytes(stringField(1, "weights"));
        matMul.writeBytes(stringField(2, output));
        matMul.writeBytes(stringField(4, "MatMul"));
        graph.writeBytes(bytesField(1, matMul.toByteArray()));
        graph.writeBytes(stringField(2, "classifier"));
        java.nio.ByteBuffer w = java.nio.ByteBuffer.allocate(4 * channels * classes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < channels; c++) {
            for (int k = 0; k < classes; k++) {
                w.putFloat((k + 1f) * (c + 1f) / classes);
            }
        }
        ByteArrayOutputStream weights = new ByteArrayOutputStream();
        weights.writeBytes(varintField(1, channels));
        weights.writeBytes(varintField(1, classes));
        weights.writeBytes(varintField(2, 1)); // FLOAT
        weights.writeBytes(stringField(8, "weights"));
        weights.writeBytes(bytesField(9, w.array()));
        graph.writeBytes(bytesField(5, weights.toByteArray()));
        graph.writeBytes(bytesField(11, valueInfo(input, FLOAT, new long[] {-1, channels, height, width})));
        graph.writeBytes(bytesField(12, valueInfo(output, FLOAT, new long[] {-1, classes})));
        ByteArrayOutputStream opset = new ByteArrayOutputStream();
        opset.writeBytes(stringField(1, ""));
        opset.writeBytes(varintField(2, 13));
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        model.writeBytes(varintField(1, 7)); // ir_version
        model.writeBytes(bytesField(7, graph.toByteArray()));
        model.writeBytes(bytesField(8, opset.toByteArray()));
        return model.toByteArray();
    }

    private static byte[] node(String opType, String[] inputs, String output, byte[]... attributes) {
        ByteArrayOutputStream node = new ByteArrayOutputStream();
        for (String in : inputs) {
            node.writeBytes(bytesField(1, in.getBytes(StandardCharsets.UTF_8)));
        }
        node.writeBytes(bytesField(2, output.getBytes(StandardCharsets.UTF_8)));
        node.writeBytes(bytesField(4, opType.getBytes(StandardCharsets.UTF_8)));
        for (byte[] a : attributes) {
            node.writeBytes(bytesField(5, a));
        }
        return node.toByteArray();
    }

    private static byte[] attributeInt(String name, long value) {
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        a.writeBytes(bytesField(1, name.getBytes(StandardCharsets.UTF_8)));
        a.writeBytes(varintField(3, value));
        a.writeBytes(varintField(20, 2)); // AttributeType INT
        return a.toByteArray();
    }

    private static byte[] valueInfo(String name, int elemType, long[] shape) {
        ByteArrayOutputStream dims = new ByteArrayOutputStream();
        for (long d : shape) {
            byte[] dim = d < 0 ? bytesField(2, "N".getBytes(StandardCharsets.UTF_8)) : varintField(1, d);
            dims.writeBytes(bytesField(1, dim));
        }
        ByteArrayOutputStream tensor = new ByteArrayOutputStream();
        tensor.writeBytes(varintField(1, elemType));
        tensor.writeBytes(bytesField(2, dims.toByteArray()));
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        info.writeBytes(bytesField(1, name.getBytes(StandardCharsets.UTF_8)));
        info.writeBytes(bytesField(2, bytesField(1, tensor.toByteArray())));
        return info.toByteArray();
    }

    public static byte[] bytesField(int field, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(varint((field << 3) | 2));
        out.writeBytes(varint(value.length));
        out.writeBytes(value);
        return out.toByteArray();
    }

    public static byte[] varintField(int field, long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(varint(field << 3));
        out.writeBytes(varint(value));
        return out.toByteArray();
    }

    public static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }
    private static byte[] stringField(int field, String value) {
        return bytesField(field, value.getBytes(StandardCharsets.UTF_8));
    }

}
