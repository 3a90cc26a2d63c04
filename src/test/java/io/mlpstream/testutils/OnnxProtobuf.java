package io.mlpstream.testutils;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough protobuf writing to build ONNX ModelProtos with (external) initializers, for tests of the
 * model checks (ONNX Runtime Java's own tests build their models in code too).
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
}
