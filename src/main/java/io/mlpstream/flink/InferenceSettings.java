package io.mlpstream.flink;

import io.mlpstream.core.image.JpegDecoding;
import io.mlpstream.core.model.Device;

import java.io.Serializable;
import java.time.Duration;

/**
 * The inference operator's settings, validated together by {@link ImageInference.Builder#build()}: one field per
 * {@link InferenceOptions} option, of the same name in camel case, with {@code asyncCapacity} resolved (never 0).
 * Shipped with the job graph to every TaskManager.
 */
public record InferenceSettings(
        String modelName,
        Device modelDevice,
        int modelIntraOpThreads,
        int batchMaxSize,
        Duration batchMaxDelay,
        int batchMaxInFlight,
        boolean batchPreprocessAhead,
        int asyncCapacity,
        Duration asyncTimeout,
        boolean asyncOrdered,
        int outputTopK,
        long imageMaxPixels,
        JpegDecoding imageJpegDecoder)
        implements Serializable {

    /** Batches decoded and preprocessed ahead of the model per subtask: 1 with batch.preprocess-ahead, else 0. */
    public int batchesPreparedAhead() {
        return batchPreprocessAhead ? 1 : 0;
    }

    /** The least async.capacity that lets batches fill: batch.max-size for every batch a subtask can hold, plus one. */
    public static int minAsyncCapacity(int batchMaxSize, int batchMaxInFlight, boolean batchPreprocessAhead) {
        return batchMaxSize * (batchMaxInFlight + (batchPreprocessAhead ? 2 : 1));
    }
}
