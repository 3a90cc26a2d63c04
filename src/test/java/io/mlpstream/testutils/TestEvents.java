package io.mlpstream.testutils;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageRejectedException;
import io.mlpstream.core.image.Preprocessor;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.job.serde.ImageEventCodec;

import ai.onnxruntime.OrtException;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Image events as the job reads them, and the labels the model gives their images offline. */
public final class TestEvents {
    public static final String MODEL = "mixer-digits";

    private TestEvents() {}

    /** An Avro single-object encoded ImageEvent carrying {@code image}. */
    public static byte[] encoded(String id, byte[] image, String contentType) {
        return encoded(id, image, contentType, "test");
    }

    /** The same, from the given source (tests, ITCases and the bench each name themselves). */
    public static byte[] encoded(String id, byte[] image, String contentType, String source) {
        return ImageEventCodec.encode(ImageEvent.newBuilder()
                .setEventId(id)
                .setSource(source)
                .setCaptureTime(Instant.now())
                .setContentType(contentType)
                .setImage(ByteBuffer.wrap(image))
                .setModelName(null)
                .setAttributes(Map.of())
                .build());
    }

    /**
     * The top label of each image when the bundled model runs it on its own (batch of one) through a
     * session of its own: the reference every streamed result is compared with. Closes its session.
     */
    public static List<String> referenceLabels(List<byte[]> images) {
        return referenceLabels(MODEL, images);
    }

    /** The same for any model the job can load by name. */
    public static List<String> referenceLabels(String modelName, List<byte[]> images) {
        LoadedModel model = ModelSource.load(modelName);
        Preprocessor pre = new Preprocessor(model.card().preprocessSpec());
        ImageDecoder decoder = new ImageDecoder();
        List<String> labels = new ArrayList<>(images.size());
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, 1)) {
            FloatBuffer one = pre.newBatchBuffer(1);
            for (byte[] image : images) {
                pre.writeInto(decoder.decode(image), one, 0);
                float[] logits = lease.runner().run(one, 1);
                labels.add(model.card().labels().get(argmax(logits)));
            }
        } catch (ImageRejectedException | OrtException e) {
            throw new AssertionError("reference image does not run offline: " + e, e);
        }
        return labels;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
