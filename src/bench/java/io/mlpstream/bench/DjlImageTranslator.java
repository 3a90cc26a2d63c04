package io.mlpstream.bench;

import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.core.model.ModelCard;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The DJL translator a DJL user would write for one of our model cards: DJL's {@link Image} (loaded by DJL's
 * {@code ImageFactory}) resized so its shorter side is the card's scale size ({@link Image#resize}), centre-cropped to
 * the model's input ({@link Image#getSubImage}), turned into an HWC uint8 {@link NDArray} by DJL
 * ({@link Image#toNDArray}), then ToTensor and Normalize with the card's scale, mean and std, into a CHW float array;
 * the output row through a softmax when the card says logits, into DJL's {@link Classifications}.
 *
 * <p>ToTensor, Normalize and the batch stacking are written out here rather than taken from DJL's {@code
 * ai.djl.modality.cv.transform} and {@link Batchifier#STACK}: DJL's ONNX Runtime engine implements no NDArray operator
 * of its own (division, subtraction, transposition, stacking all throw UnsupportedOperationException) and borrows them
 * from a second engine (PyTorch, MXNet) that DJL downloads at run time; nothing may be downloaded here, and the DJL
 * PyTorch engine 0.38.0 is not on Maven Central. What DJL offers with ONNX Runtime alone is what this class uses.
 */
final class DjlImageTranslator implements Translator<Image, Classifications> {
    private final int channels;
    private final int height;
    private final int width;
    private final int scaleSize;
    private final float scale;
    private final float[] mean;
    private final float[] std;
    private final boolean logits;
    private final List<String> labels;

    DjlImageTranslator(ModelCard card) {
        PreprocessSpec spec = card.preprocessSpec();
        this.channels = spec.channels();
        this.height = spec.height();
        this.width = spec.width();
        this.scaleSize = Math.min(spec.scaleHeight(), spec.scaleWidth());
        this.scale = spec.scale();
        this.mean = spec.mean();
        this.std = spec.std();
        this.logits = card.output().isLogits();
        this.labels = List.copyOf(card.labels());
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        // Resize(shorter side) + CenterCrop, on DJL's image
        int w = input.getWidth();
        int h = input.getHeight();
        int rw = w <= h ? scaleSize : Math.round((float) scaleSize * w / h);
        int rh = w <= h ? Math.round((float) scaleSize * h / w) : scaleSize;
        Image resized = input.resize(rw, rh, false);
        Image cropped = resized.getSubImage((rw - width) / 2, (rh - height) / 2, width, height);
        NDArray hwc = cropped.toNDArray(ctx.getNDManager(), channels == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR);
        // ToTensor + Normalize: HWC uint8 -> CHW float, (v / scale - mean[c]) / std[c]
        ByteBuffer pixels = hwc.toByteBuffer();
        float[] chw = new float[channels * height * width];
        int plane = height * width;
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < channels; c++) {
                chw[c * plane + i] = ((pixels.get(i * channels + c) & 0xFF) / scale - mean[c]) / std[c];
            }
        }
        return new NDList(ctx.getNDManager().create(chw, new Shape(channels, height, width)));
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        float[] row = list.singletonOrThrow().toFloatArray();
        List<Double> probabilities = new ArrayList<>(row.length);
        if (logits) {
            float max = Float.NEGATIVE_INFINITY;
            for (float v : row) {
                max = Math.max(max, v);
            }
            double sum = 0;
            double[] e = new double[row.length];
            for (int i = 0; i < row.length; i++) {
                e[i] = Math.exp(row[i] - max);
                sum += e[i];
            }
            for (double v : e) {
                probabilities.add(v / sum);
            }
        } else {
            for (float v : row) {
                probabilities.add((double) v);
            }
        }
        return new Classifications(labels, probabilities);
    }

    @Override
    public Batchifier getBatchifier() {
        return new JavaStack();
    }

    /** Batchifier.STACK done in Java: N [C,H,W] inputs into one [N,C,H,W] array, and the [N,K] output back into rows. */
    static final class JavaStack implements Batchifier {
        private static final long serialVersionUID = 1L;

        @Override
        public NDList batchify(NDList[] inputs) {
            NDArray first = inputs[0].singletonOrThrow();
            int per = (int) first.size();
            float[] all = new float[per * inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                System.arraycopy(inputs[i].singletonOrThrow().toFloatArray(), 0, all, i * per, per);
            }
            long[] dims = new long[first.getShape().dimension() + 1];
            dims[0] = inputs.length;
            System.arraycopy(first.getShape().getShape(), 0, dims, 1, dims.length - 1);
            return new NDList(first.getManager().create(all, new Shape(dims)));
        }

        @Override
        public NDList[] unbatchify(NDList output) {
            NDArray batch = output.singletonOrThrow();
            NDManager manager = batch.getManager();
            int rows = (int) batch.getShape().get(0);
            float[] all = batch.toFloatArray();
            int per = all.length / rows;
            NDList[] split = new NDList[rows];
            for (int r = 0; r < rows; r++) {
                split[r] = new NDList(manager.create(Arrays.copyOfRange(all, r * per, (r + 1) * per), new Shape(per)));
            }
            return split;
        }
    }
}
