package io.mlpstream.core.inference;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageRejectedException;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;

import ai.onnxruntime.OrtException;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A model outside any stream: classify images one by one, on the same decoding, preprocessing and shared session as the
 * streaming operator. For offline checks (what does the model say about this file?), reference labels in tests, and
 * tools. Close it to release the session.
 */
public final class ImageClassifier implements AutoCloseable {
    private final ModelCard card;
    private final SharedSessions.Lease lease;
    private final ImageTranslator translator;
    private final FloatBuffer one;

    private ImageClassifier(LoadedModel model, Device device, int topK) {
        this.card = model.card();
        this.translator = new ImageTranslator(card, new ImageDecoder(), topK);
        this.one = translator.newBatchBuffer(1);
        this.lease = SharedSessions.acquire(model, device, 1);
    }

    /** A bundled model's name or a model directory, on the CPU, with every label ranked. */
    public static ImageClassifier open(String model) {
        LoadedModel loaded = ModelSource.load(model);
        return new ImageClassifier(loaded, Device.CPU, loaded.card().labels().size());
    }

    /** A verified model on a device, with the best {@code topK} labels. */
    public static ImageClassifier open(LoadedModel model, Device device, int topK) {
        return new ImageClassifier(model, device, topK);
    }

    public ModelCard card() {
        return card;
    }

    /** Classifies one encoded image (a batch of one). Not thread-safe: one caller at a time. */
    public synchronized Classification classify(byte[] encoded) throws ImageRejectedException {
        translator.writeInput(encoded, one, 0);
        try {
            return translator.classify(lease.runner().run(one, 1), 0);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on model '" + card.name() + "': " + e.getMessage(), e);
        }
    }

    /** The top label of each image, each classified on its own. */
    public List<String> topLabels(List<byte[]> images) throws ImageRejectedException {
        List<String> labels = new ArrayList<>(images.size());
        for (byte[] image : images) {
            labels.add(classify(image).topLabel());
        }
        return labels;
    }

    @Override
    public void close() {
        lease.close();
    }
}
