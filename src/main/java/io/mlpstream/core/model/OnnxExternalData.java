package io.mlpstream.core.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds tensors in an ONNX model that keep their data outside the file ({@code data_location =
 * EXTERNAL}). Reads the protobuf wire format directly: ModelProto.graph → GraphProto.initializer /
 * sparse_initializer / node attributes (t, g, tensors, graphs, recursively) → TensorProto.external_data.
 * External data would make ONNX Runtime open files named by the model (e.g. {@code ../../etc/...}),
 * so such models are refused before a session exists.
 */
final class OnnxExternalData {
    // ModelProto
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_FUNCTIONS = 25;
    // GraphProto
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_SPARSE_INITIALIZER = 15;
    // FunctionProto
    private static final int FUNCTION_NODE = 7;
    // NodeProto
    private static final int NODE_ATTRIBUTE = 5;
    // AttributeProto
    private static final int ATTR_T = 5;
    private static final int ATTR_G = 6;
    private static final int ATTR_TENSORS = 10;
    private static final int ATTR_GRAPHS = 11;
    private static final int ATTR_SPARSE_TENSOR = 22;
    private static final int ATTR_SPARSE_TENSORS = 23;
    // SparseTensorProto
    private static final int SPARSE_VALUES = 1;
    private static final int SPARSE_INDICES = 2;
    // TensorProto
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_EXTERNAL_DATA = 13;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int DATA_LOCATION_EXTERNAL = 1;
    // StringStringEntryProto
    private static final int ENTRY_KEY = 1;
    private static final int ENTRY_VALUE = 2;

    private static final int MAX_DEPTH = 64;

    private OnnxExternalData() {}

    /** "tensor-name → location" for every tensor with external data; empty for a self-contained model. */
    static List<String> externalReferences(byte[] model) {
        List<String> found = new ArrayList<>();
        try {
            Reader r = new Reader(model, 0, model.length);
            while (r.hasMore()) {
                int tag = r.tag();
                if (tag >>> 3 == MODEL_GRAPH && (tag & 7) == 2) {
                    graph(r.sub(), found, 0);
                } else if (tag >>> 3 == MODEL_FUNCTIONS && (tag & 7) == 2) {
                    nodes(r.sub(), FUNCTION_NODE, found, 0);
                } else {
                    r.skip(tag);
                }
            }
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            throw new ModelException("The ONNX file is not a valid ONNX protobuf (" + e.getMessage() + ").");
        }
        return found;
    }

    private static void graph(Reader r, List<String> found, int depth) {
        checkDepth(depth);
        while (r.hasMore()) {
            int tag = r.tag();
            int field = tag >>> 3;
            if ((tag & 7) != 2) {
                r.skip(tag);
            } else if (field == GRAPH_INITIALIZER) {
                tensor(r.sub(), found);
            } else if (field == GRAPH_SPARSE_INITIALIZER) {
                sparse(r.sub(), found);
            } else if (field == GRAPH_NODE) {
                node(r.sub(), found, depth);
            } else {
                r.skip(tag);
            }
        }
    }

    private static void nodes(Reader r, int nodeField, List<String> found, int depth) {
        while (r.hasMore()) {
            int tag = r.tag();
            if (tag >>> 3 == nodeField && (tag & 7) == 2) {
                node(r.sub(), found, depth);
            } else {
                r.skip(tag);
            }
        }
    }

    private static void node(Reader r, List<String> found, int depth) {
        while (r.hasMore()) {
            int tag = r.tag();
            if (tag >>> 3 == NODE_ATTRIBUTE && (tag & 7) == 2) {
                attribute(r.sub(), found, depth);
            } else {
                r.skip(tag);
            }
        }
    }

    private static void attribute(Reader r, List<String> found, int depth) {
        while (r.hasMore()) {
            int tag = r.tag();
            int field = tag >>> 3;
            if ((tag & 7) != 2) {
                r.skip(tag);
            } else if (field == ATTR_T || field == ATTR_TENSORS) {
                tensor(r.sub(), found);
            } else if (field == ATTR_G || field == ATTR_GRAPHS) {
                graph(r.sub(), found, depth + 1);
            } else if (field == ATTR_SPARSE_TENSOR || field == ATTR_SPARSE_TENSORS) {
                sparse(r.sub(), found);
            } else {
                r.skip(tag);
            }
        }
    }

    private static void sparse(Reader r, List<String> found) {
        while (r.hasMore()) {
            int tag = r.tag();
            int field = tag >>> 3;
            if ((tag & 7) == 2 && (field == SPARSE_VALUES || field == SPARSE_INDICES)) {
                tensor(r.sub(), found);
            } else {
                r.skip(tag);
            }
        }
    }

    private static void tensor(Reader r, List<String> found) {
        String name = "?";
        String location = null;
        boolean external = false;
        while (r.hasMore()) {
            int tag = r.tag();
            int field = tag >>> 3;
            if (field == TENSOR_NAME && (tag & 7) == 2) {
                name = r.string();
            } else if (field == TENSOR_DATA_LOCATION && (tag & 7) == 0) {
                external |= r.varint() == DATA_LOCATION_EXTERNAL;
            } else if (field == TENSOR_EXTERNAL_DATA && (tag & 7) == 2) {
                external = true;
                String[] entry = entry(r.sub());
                if ("location".equals(entry[0])) {
                    location = entry[1];
                }
            } else {
                r.skip(tag);
            }
        }
        if (external) {
            found.add(name + " -> " + (location == null ? "?" : location));
        }
    }

    private static String[] entry(Reader r) {
        String key = null;
        String value = null;
        while (r.hasMore()) {
            int tag = r.tag();
            if (tag >>> 3 == ENTRY_KEY && (tag & 7) == 2) {
                key = r.string();
            } else if (tag >>> 3 == ENTRY_VALUE && (tag & 7) == 2) {
                value = r.string();
            } else {
                r.skip(tag);
            }
        }
        return new String[] {key, value};
    }

    private static void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalStateException("subgraphs nested deeper than " + MAX_DEPTH);
        }
    }

    /** Protobuf wire-format cursor over a slice of the model bytes. */
    private static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        Reader(byte[] buf, int pos, int end) {
            if (pos < 0 || end > buf.length || pos > end) {
                throw new IllegalStateException("length out of range");
            }
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalStateException("truncated varint");
                }
                byte b = buf[pos++];
                result |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return result;
                }
            }
            throw new IllegalStateException("malformed varint");
        }

        Reader sub() {
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw new IllegalStateException("length-delimited field runs past its parent");
            }
            Reader sub = new Reader(buf, pos, pos + (int) len);
            pos += (int) len;
            return sub;
        }

        String string() {
            Reader s = sub();
            return new String(buf, s.pos, s.end - s.pos, StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> sub();
                case 5 -> advance(4);
                default -> throw new IllegalStateException("unsupported wire type " + (tag & 7));
            }
        }

        private void advance(int n) {
            if (end - pos < n) {
                throw new IllegalStateException("truncated fixed-width field");
            }
            pos += n;
        }
    }
}
