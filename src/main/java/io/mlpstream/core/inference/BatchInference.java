package io.mlpstream.core.inference;

import io.mlpstream.core.image.ImageRejectedException;
import io.mlpstream.core.model.ModelRunner;

import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One micro-batch from elements to outcomes: image bytes out of each element → decode and preprocess straight into the
 * batch's direct buffer → ONE model run → classification per image. Every element gets exactly one outcome, in input
 * order; an element that fails any stage fails alone, with that stage and the reason, never the batch.
 *
 * <p>{@link #prepare} is the CPU half, {@link #infer} the model half; calling them apart lets a thread preprocess its
 * batch while other threads' batches are in the model. Thread-safe: each worker thread gets its own reusable batch
 * buffer, so a thread must infer what it prepared before it prepares again.
 */
public final class BatchInference<T> {
    private final ModelRunner runner;
    private final ImageTranslator translator;
    private final ImageBytes<T> imageBytes;
    private final int maxBatchSize;
    private final LongSupplier epochMicros;
    private final ThreadLocal<FloatBuffer> buffers;

    /**
     * Receives each element's outcome, in input order, on the thread that calls {@link #infer}; {@code index} is the
     * element's position in the batch.
     */
    public interface Outcomes {
        void classified(int index, Classification classification, Timings timings);

        void failed(int index, String stage, Throwable error);
    }

    /**
     * Where an element's time went. Preprocessing and inference are per batch (every element of a batch shares them);
     * queue wait is the element's own: from entering the batcher to the start of its batch's model run, less the
     * batch's preprocessing.
     *
     * @param batchSize images in the model run
     * @param completedAtMicros wall clock (epoch µs) when the batch's outcomes were ready
     */
    public record Timings(int batchSize, long queueWaitNanos, long preprocessNanos, long inferenceNanos, long completedAtMicros) {}

    public BatchInference(ModelRunner runner, ImageTranslator translator, ImageBytes<T> imageBytes, int maxBatchSize,
            LongSupplier epochMicros) {
        this.runner = runner;
        this.translator = translator;
        this.imageBytes = imageBytes;
        this.maxBatchSize = maxBatchSize;
        this.epochMicros = epochMicros;
        this.buffers = ThreadLocal.withInitial(() -> translator.newBatchBuffer(maxBatchSize));
    }

    /** Wall clock in epoch microseconds. */
    public static long nowEpochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /**
     * A batch decoded and preprocessed into this thread's batch buffer, ready for its model run. Infer it on the same
     * thread, before that thread prepares another batch.
     */
    public static final class Prepared<T> {
        private final List<BatchItem<T>> items;
        /** Failure stage per item, null for items in the batch buffer. */
        private final String[] failedStages;
        private final Throwable[] failures;
        /** Slot in the batch buffer per item, -1 for failed items. */
        private final int[] slots;
        private final FloatBuffer batch;
        private final int images;
        private final long start;
        private final long preprocessed;

        private Prepared(List<BatchItem<T>> items, String[] failedStages, Throwable[] failures, int[] slots, FloatBuffer batch,
                int images, long start, long preprocessed) {
            this.items = items;
            this.failedStages = failedStages;
            this.failures = failures;
            this.slots = slots;
            this.batch = batch;
            this.images = images;
            this.start = start;
            this.preprocessed = preprocessed;
        }

        /** Images that reached the batch buffer (the others have already failed). */
        public int images() {
            return images;
        }

        public List<BatchItem<T>> items() {
            return items;
        }
    }

    /** The CPU half: image bytes, decode and preprocessing into this thread's batch buffer. */
    public Prepared<T> prepare(List<BatchItem<T>> items) {
        int n = items.size();
        if (n > maxBatchSize) {
            throw new IllegalArgumentException("a batch of " + n + " exceeds the batch.max-size of " + maxBatchSize);
        }
        long start = System.nanoTime();
        String[] failedStages = new String[n];
        Throwable[] failures = new Throwable[n];
        int[] slots = new int[n];
        FloatBuffer batch = buffers.get();
        int images = 0;
        for (int i = 0; i < n; i++) {
            slots[i] = -1;
            byte[] encoded;
            try {
                encoded = imageBytes.of(items.get(i).element());
            } catch (RejectedInputException e) {
                failedStages[i] = e.stage();
                failures[i] = e;
                continue;
            } catch (Exception e) {
                failedStages[i] = Stage.INPUT;
                failures[i] = e;
                continue;
            }
            try {
                translator.writeInput(encoded, batch, images);
            } catch (ImageRejectedException e) {
                failedStages[i] = Stage.DECODE;
                failures[i] = e;
                continue;
            } catch (RuntimeException e) {
                failedStages[i] = Stage.PREPROCESS;
                failures[i] = e;
                continue;
            }
            slots[i] = images++;
        }
        return new Prepared<>(items, failedStages, failures, slots, batch, images, start, System.nanoTime());
    }

    /**
     * The model half: ONE run over the prepared images, then every element's outcome, in input order. Time between
     * {@link #prepare} and this call (waiting for the model) counts as queue wait.
     */
    public void infer(Prepared<T> p, Outcomes outcomes) {
        long inferStart = System.nanoTime();
        float[] output = null;
        Exception inferenceError = null;
        if (p.images > 0) {
            try {
                output = runner.run(p.batch, p.images);
            } catch (Exception e) {
                inferenceError = e;
            }
        }
        long inferred = System.nanoTime();
        long completedAt = epochMicros.getAsLong();
        long preprocessNanos = p.preprocessed - p.start;
        for (int i = 0; i < p.items.size(); i++) {
            if (p.slots[i] < 0) {
                outcomes.failed(i, p.failedStages[i], p.failures[i]);
            } else if (inferenceError != null) {
                outcomes.failed(i, Stage.INFERENCE, inferenceError);
            } else {
                Timings timings = new Timings(p.images, inferStart - p.items.get(i).enqueuedNanos() - preprocessNanos, preprocessNanos,
                        inferred - inferStart, completedAt);
                outcomes.classified(i, translator.classify(output, p.slots[i]), timings);
            }
        }
    }
}
