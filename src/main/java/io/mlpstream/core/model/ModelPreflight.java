package io.mlpstream.core.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a TaskManager's {@code open()} will check, checked before the job is submitted: the model is opened in a CPU
 * session of ONNX Runtime on the client and its card is held against the graph with the runner's own checks
 * ({@link ModelRunner#signatureProblems}: names, element types, rank, channels and size, one label per class), plus the
 * card's preprocessing (a known interpolation, colour and geometry), a batch dimension the job can fill, and one run of
 * blank images through a {@link ModelRunner}, which proves the output has one score per label and, for
 * {@code output.kind: probabilities}, that they sum to 1. Every problem is one line naming the file and the field.
 */
public final class ModelPreflight {
    /** How far the scores of a {@code probabilities} output may sum from 1. */
    static final double PROBABILITY_SUM_TOLERANCE = 1e-3;

    private ModelPreflight() {}

    /** Fails with every problem of {@link #problems}, one per line. */
    public static void check(LoadedModel model, int batchMaxSize) {
        List<String> problems = problems(model, batchMaxSize);
        if (!problems.isEmpty()) {
            throw new ModelException(String.join(System.lineSeparator(), problems));
        }
    }

    /**
     * The model's problems, one line each, naming the card or ONNX file and the field to fix; empty when a TaskManager
     * will open it and run batches of up to {@code batchMaxSize} images.
     */
    public static List<String> problems(LoadedModel model, int batchMaxSize) {
        List<String> problems = new ArrayList<>();
        try {
            model.card().preprocessSpec();
        } catch (ModelException e) {
            problems.add(model.cardFile() + ": " + e.getMessage());
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OrtSession session;
            try {
                session = env.createSession(model.onnx(), options);
            } catch (OrtException e) {
                problems.add(model.onnxFile() + ": ONNX Runtime cannot load it: " + firstLine(e.getMessage()));
                return problems;
            }
            try (session) {
                problems.addAll(ModelRunner.signatureProblems(session, model));
                int trialBatch = batchProblem(session, model, batchMaxSize, problems);
                if (problems.isEmpty()) {
                    trialRun(env, session, model, trialBatch, problems);
                }
            }
        } catch (OrtException e) {
            problems.add(model.onnxFile() + ": ONNX Runtime could not inspect it: " + firstLine(e.getMessage()));
        }
        return problems;
    }

    /**
     * A fixed batch dimension only works when it is 1 and so is {@code batch.max-size}; returns the batch size of the
     * trial run (2 where the graph takes any).
     */
    private static int batchProblem(OrtSession session, LoadedModel model, int batchMaxSize, List<String> problems)
            throws OrtException {
        NodeInfo input = session.getInputInfo().get(model.card().input().name());
        if (input != null && input.getInfo() instanceof TensorInfo t && t.getShape().length == 4 && t.getShape()[0] > 0) {
            long fixed = t.getShape()[0];
            if (fixed != 1 || batchMaxSize > 1) {
                problems.add(model.onnxFile() + ": input \"" + model.card().input().name() + "\" has a fixed batch size of "
                        + fixed + ", but the job runs batches of 1 to batch.max-size=" + batchMaxSize + " images. Export "
                        + "with a dynamic batch axis, e.g. torch.onnx.export(..., dynamic_axes={\""
                        + model.card().input().name() + "\": {0: \"N\"}})" + (fixed == 1 ? ", or set batch.max-size=1." : "."));
            }
            return 1;
        }
        return Math.min(2, Math.max(1, batchMaxSize));
    }

    /** Blank (zero) images through the runner the TaskManagers use: the output must be one score per label. */
    private static void trialRun(OrtEnvironment env, OrtSession session, LoadedModel model, int batch, List<String> problems)
            throws OrtException {
        ModelRunner runner = new ModelRunner(env, session, model, Device.CPU);
        FloatBuffer input = ByteBuffer.allocateDirect(4 * batch * runner.floatsPerImage())
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        float[] scores;
        try {
            scores = runner.run(input, batch);
        } catch (OrtException e) {
            problems.add(model.cardFile() + ": a test run of " + batch + " blank images through " + model.onnxFile()
                    + " failed: " + firstLine(e.getMessage()) + " Check output.name and labels against the graph.");
            return;
        }
        if (!model.card().output().isLogits()) {
            double sum = 0;
            for (int i = 0; i < runner.numClasses(); i++) {
                sum += scores[i];
            }
            if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
                problems.add(String.format(Locale.ROOT, "%s: output.kind is \"probabilities\", but the scores of %s for a "
                                + "blank image sum to %.4f, not 1: the graph does not end in a softmax. Set output.kind to "
                                + "\"logits\" (the job then applies the softmax).", model.cardFile(), model.onnxFile(), sum));
            }
        }
    }

    private static String firstLine(String message) {
        String m = String.valueOf(message).lines().findFirst().orElse("").strip();
        return m.endsWith(".") ? m : m + ".";
    }
}
