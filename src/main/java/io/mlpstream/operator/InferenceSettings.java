package io.mlpstream.operator;

import io.mlpstream.image.JpegDecoding;
import io.mlpstream.model.Device;

import java.io.Serializable;
import java.time.Duration;

/**
 * What the inference operator needs to know, shipped with the job graph to every TaskManager.
 * Validated by the job options' {@code build()}; see {@code InferenceJobOptions} for meanings.
 */
public record InferenceSettings(
        String model,
        Device device,
        int intraOpThreads,
        int maxBatchSize,
        Duration maxDelay,
        int maxInFlightBatches,
        boolean preprocessAhead,
        int topK,
        long maxImagePixels,
        JpegDecoding jpegDecoding)
        implements Serializable {

    /** Batches a subtask holds at once: those in the model, plus one being preprocessed ahead of them. */
    public int batchSlots() {
        return maxInFlightBatches + (preprocessAhead ? 1 : 0);
    }
}
