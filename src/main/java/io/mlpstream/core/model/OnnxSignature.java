package io.mlpstream.core.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The inputs and outputs of an ONNX graph as ONNX Runtime sees them (initializers are not inputs), read by opening a
 * session on the bytes and closing it again.
 */
public record OnnxSignature(List<Port> inputs, List<Port> outputs) {

    /**
     * One graph input or output.
     *
     * @param shape its dimensions, -1 for a symbolic one (e.g. the batch axis); null when it is not a tensor
     * @param type the element type ({@code FLOAT}, ...), or the kind of value when it is not a tensor
     */
    public record Port(String name, long[] shape, String type) {
        @Override
        public String toString() {
            return name + (shape == null ? " (" + type + ")" : " " + type + " " + Arrays.toString(shape));
        }
    }

    /** Reads the signature of {@code onnx}; {@code origin} names it in the error if ONNX Runtime cannot load it. */
    public static OnnxSignature read(byte[] onnx, String origin) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, options)) {
                return new OnnxSignature(ports(session.getInputInfo()), ports(session.getOutputInfo()));
            }
        } catch (OrtException e) {
            throw new ModelException("ONNX Runtime cannot load " + origin + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static List<Port> ports(Map<String, NodeInfo> infos) {
        List<Port> ports = new ArrayList<>();
        for (NodeInfo info : infos.values()) {
            if (info.getInfo() instanceof TensorInfo t) {
                ports.add(new Port(info.getName(), t.getShape(), t.type.toString()));
            } else {
                ports.add(new Port(info.getName(), null, info.getInfo().getClass().getSimpleName()));
            }
        }
        return List.copyOf(ports);
    }
}
