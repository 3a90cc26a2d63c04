package io.mlpstream.core.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Runs one model on a batch that is already a tensor. Only runs: no decoding, no postprocessing.
 * Thread-safe ({@link OrtSession#run} is), so one runner serves every subtask of a TaskManager. Does
 * not own the session: {@link SharedSessions} does.
 */
public final class ModelRunner {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelCard card;
    private final Device device;
    private final int numClasses;
    private final int floatsPerImage;
    private final Set<String> outputs;

    ModelRunner(OrtEnvironment env, OrtSession session, ModelCard card, Device device) throws OrtException {
        this.env = env;
        this.session = session;
        this.card = card;
        this.device = device;
        ModelCard.Input in = card.input();
        this.floatsPerImage = in.channels() * in.height() * in.width();
        this.outputs = Set.of(card.output().name());
        this.numClasses = checkSignature(session, card);
    }

    private static int checkSignature(OrtSession session, ModelCard card) throws OrtException {
        ModelCard.Input in = card.input();
        Map<String, NodeInfo> inputs = session.getInputInfo();
        NodeInfo input = inputs.get(in.name());
        if (input == null) {
            throw new ModelException(
                    "Model '" + card.name() + "': the card's input.name '" + in.name() + "' is not an input of the ONNX graph "
                            + inputs.keySet() + ". Fix input.name in model.json.");
        }
        if (input.getInfo() instanceof TensorInfo t) {
            long[] shape = t.getShape();
            long[] expected = {-1, in.channels(), in.height(), in.width()};
            boolean ok = shape.length == 4;
            for (int i = 1; ok && i < 4; i++) {
                ok = shape[i] < 0 || shape[i] == expected[i];
            }
            if (!ok) {
                throw new ModelException(
                        "Model '" + card.name() + "': ONNX input shape " + Arrays.toString(shape) + " does not match the card's "
                                + "NCHW [N, " + in.channels() + ", " + in.height() + ", " + in.width() + "].");
            }
        }
        NodeInfo output = session.getOutputInfo().get(card.output().name());
        if (output == null) {
            throw new ModelException(
                    "Model '" + card.name() + "': the card's output.name '" + card.output().name() + "' is not an output of the "
                            + "ONNX graph " + session.getOutputInfo().keySet() + ". Fix output.name in model.json.");
        }
        int classes = card.labels().size();
        if (output.getInfo() instanceof TensorInfo t) {
            long[] shape = t.getShape();
            if (shape.length != 2 || (shape[1] > 0 && shape[1] != classes)) {
                throw new ModelException(
                        "Model '" + card.name() + "': output shape " + Arrays.toString(shape) + " does not match the "
                                + classes + " labels in the card (expected [N, " + classes + "]).");
            }
        }
        return classes;
    }

    /**
     * Runs {@code batchSize} images whose NCHW floats are {@code input[0 .. batchSize * floatsPerImage)}.
     * A direct, native-order buffer is used without a copy.
     *
     * @return the raw output, {@code batchSize * numClasses} floats, row-major
     */
    public float[] run(FloatBuffer input, int batchSize) throws OrtException {
        ModelCard.Input in = card.input();
        FloatBuffer view = input.duplicate();
        view.position(0).limit(batchSize * floatsPerImage);
        long[] shape = {batchSize, in.channels(), in.height(), in.width()};
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, view, shape);
                OrtSession.Result result = session.run(Map.of(in.name(), tensor), outputs)) {
            OnnxValue value = result.get(0);
            FloatBuffer out = ((OnnxTensor) value).getFloatBuffer();
            float[] logits = new float[batchSize * numClasses];
            if (out.remaining() != logits.length) {
                throw new OrtException(
                        "model returned " + out.remaining() + " floats for a batch of " + batchSize + ", expected " + logits.length);
            }
            out.get(logits);
            return logits;
        }
    }

    public ModelCard card() {
        return card;
    }

    public Device device() {
        return device;
    }

    public int numClasses() {
        return numClasses;
    }

    public int floatsPerImage() {
        return floatsPerImage;
    }
}
