package io.mlpstream.core.inference;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageRejectedException;
import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.core.image.Preprocessor;
import io.mlpstream.core.model.ModelCard;

import java.nio.FloatBuffer;

/**
 * The pure ends of inference for one model card: encoded bytes → one image slot of the batch tensor (header guard,
 * decode, EXIF orientation, resize/crop/normalize as the card says), and one row of the model's output → a
 * {@link Classification} (softmax when the card says logits, then top-k). No model run in here (that is the
 * {@link io.mlpstream.core.model.ModelRunner}'s), and no state: thread-safe.
 */
public final class ImageTranslator {
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final PreprocessSpec.ExifOrientation exifOrientation;
    private final TopK topK;

    public ImageTranslator(ModelCard card, ImageDecoder decoder, int topK) {
        this.decoder = decoder;
        this.preprocessor = new Preprocessor(card.preprocessSpec());
        this.exifOrientation = preprocessor.spec().exifOrientation();
        this.topK = new TopK(card.labels(), topK, card.output().isLogits());
    }

    /** A zeroed direct buffer for {@code batchSize} images, as the model runner takes it without copying. */
    public FloatBuffer newBatchBuffer(int batchSize) {
        return preprocessor.newBatchBuffer(batchSize);
    }

    /**
     * Decodes {@code encoded} and writes the model's input for it into {@code slot} of {@code batch}.
     *
     * @throws ImageRejectedException the bytes are no image we decode ({@link Stage#DECODE})
     * @throws RuntimeException the decoded image cannot become the model's input ({@link Stage#PREPROCESS})
     */
    public void writeInput(byte[] encoded, FloatBuffer batch, int slot) throws ImageRejectedException {
        preprocessor.writeInto(decoder.decode(encoded, preprocessor::sourceWindow, exifOrientation), batch, slot);
    }

    /** The classification of row {@code row} of a row-major {@code [rows, classes]} model output. */
    public Classification classify(float[] output, int row) {
        return topK.top(output, row);
    }

    /** Which library decodes JPEGs, for logs. */
    public String jpegDecoder() {
        return decoder.jpegDecoder();
    }
}
