package io.mlpstream.core.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

    /** @throws ModelException naming the card's fields that contradict the graph, one line each */
    ModelRunner(OrtEnvironment env, OrtSession session, LoadedModel model, Device device) throws OrtException {
        this.env = env;
        this.session = session;
        this.card = model.card();
        this.device = device;
        ModelCard.Input in = card.input();
        this.floatsPerImage = in.channels() * in.height() * in.width();
        this.outputs = Set.of(card.output().name());
        List<String> problems = signatureProblems(session, model);
        if (!problems.isEmpty()) {
            throw new ModelException(String.join(System.lineSeparator(), problems));
        }
        this.numClasses = card.labels().size();
    }

    /**
     * What in the card contradicts the session's graph, one line per problem naming the card file and the field: the
     * input and output names, their element type (float32), rank and dimensions (channels, height, width; one class
     * per label), and graph inputs the runner would leave unfed. Empty when {@link #run} can feed the graph as the card
     * describes it.
     */
    static List<String> signatureProblems(OrtSession session, LoadedModel model) throws OrtException {
        ModelCard card = model.card();
        String cardFile = model.cardFile();
        String onnx = model.onnxFile();
        ModelCard.Input in = card.input();
        List<String> problems = new ArrayList<>();
        Map<String, NodeInfo> inputs = session.getInputInfo();
        NodeInfo input = inputs.get(in.name());
        if (input == null) {
            problems.add(cardFile + ": input.name \"" + in.name() + "\" is not an input of " + onnx + " (its inputs: "
                    + String.join(", ", inputs.keySet()) + "). Set input.name to the graph's image input.");
        } else {
            if (inputs.size() > 1) {
                problems.add(onnx + " has " + inputs.size() + " inputs (" + String.join(", ", inputs.keySet())
                        + ") but the job feeds only input.name \"" + in.name() + "\" of " + cardFile
                        + ". Export the model with the image as its only input.");
            }
            if (input.getInfo() instanceof TensorInfo t) {
                String what = onnx + "'s input \"" + in.name() + "\" " + describe(t);
                if (t.type != OnnxJavaType.FLOAT) {
                    problems.add(cardFile + ": " + what + " holds " + typeName(t) + ", but the job feeds float32. "
                            + "Export the model with a float32 input.");
                }
                long[] shape = t.getShape();
                if (shape.length != 4) {
                    problems.add(cardFile + ": " + what + " has rank " + shape.length + ", but input.layout NCHW needs "
                            + "rank 4 [N, channels, height, width].");
                } else {
                    dimension(problems, cardFile, "input.channels", in.channels(), shape[1], what);
                    dimension(problems, cardFile, "input.height", in.height(), shape[2], what);
                    dimension(problems, cardFile, "input.width", in.width(), shape[3], what);
                }
            } else {
                problems.add(cardFile + ": " + onnx + "'s input \"" + in.name() + "\" is not a tensor ("
                        + input.getInfo() + "); the job feeds a float32 NCHW tensor.");
            }
        }
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        NodeInfo output = outputs.get(card.output().name());
        if (output == null) {
            problems.add(cardFile + ": output.name \"" + card.output().name() + "\" is not an output of " + onnx
                    + " (its outputs: " + String.join(", ", outputs.keySet()) + "). Set output.name to the graph's "
                    + "class-score output.");
        } else if (output.getInfo() instanceof TensorInfo t) {
            String what = onnx + "'s output \"" + card.output().name() + "\" " + describe(t);
            if (t.type != OnnxJavaType.FLOAT) {
                problems.add(cardFile + ": " + what + " holds " + typeName(t) + ", but the job reads float32 class "
                        + "scores. Export the model with a float32 output.");
            }
            long[] shape = t.getShape();
            int labels = card.labels().size();
            if (shape.length != 2) {
                problems.add(cardFile + ": " + what + " has rank " + shape.length + ", but output.name must name the "
                        + "[N, classes] scores.");
            } else if (shape[1] > 0 && shape[1] != labels) {
                problems.add(cardFile + ": labels has " + labels + " entries, but " + what + " has " + shape[1]
                        + " classes. Give one label per class, in output order.");
            }
        } else {
            problems.add(cardFile + ": " + onnx + "'s output \"" + card.output().name() + "\" is not a tensor ("
                    + output.getInfo() + "); output.name must name the [N, classes] scores.");
        }
        return problems;
    }

    private static void dimension(List<String> problems, String cardFile, String field, int carded, long actual, String what) {
        if (actual > 0 && actual != carded) {
            problems.add(cardFile + ": " + field + " is " + carded + ", but " + what + " has " + actual + " there. Set "
                    + field + " to " + actual + ".");
        }
    }

    private static String typeName(TensorInfo t) {
        return t.type.name().toLowerCase(Locale.ROOT);
    }

    /** {@code (shape [N, 3, 224, 224])}, symbolic dimensions as their name or N. */
    private static String describe(TensorInfo t) {
        long[] shape = t.getShape();
        String[] names = t.getDimensionNames();
        StringBuilder sb = new StringBuilder("(shape [");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            if (shape[i] > 0) {
                sb.append(shape[i]);
            } else {
                sb.append(names != null && i < names.length && !names[i].isEmpty() ? names[i] : "N");
            }
        }
        return sb.append("])").toString();
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
