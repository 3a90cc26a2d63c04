package io.mlpstream.bench;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageGuard;
import io.mlpstream.core.image.JpegDecoding;
import io.mlpstream.core.image.Preprocessor;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelRunner;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.BatchItem;
import io.mlpstream.core.inference.Classification;
import io.mlpstream.core.inference.ImageTranslator;
import io.mlpstream.job.serde.ImageEventImages;
import io.mlpstream.job.serde.KafkaRecord;
import io.mlpstream.testutils.TestEvents;

import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit: ONNX Runtime alone, inputs already preprocessed into tensors, batch after batch. Run in
 * the same shapes the pipeline can use on this machine — {@code callers} concurrent runs of
 * {@code threads} intra-op threads each — so the best of them is what the pipeline must approach.
 *
 * <p>{@link #measureOperator} is the step between that limit and the job: the operator's own batch work
 * ({@link BatchInference#prepare} and {@link BatchInference#infer}: Avro decode, image decode, preprocessing, the run, top-k) back to back on
 * the same callers, without Kafka or Flink, so a gap can be split into what the worker's own CPU work costs
 * and what the rest of the pipeline costs.
 */
final class RawOrtBenchmark {
    private RawOrtBenchmark() {}

    /** Images per second, and the mean wall time of one ONNX Runtime run. */
    record Measured(double imagesPerSecond, double msPerRun) {}

    /** Images per second. */
    static double measure(LoadedModel model, List<byte[]> images, int batchSize, int callers, int threads, double seconds)
            throws Exception {
        return measureRuns(model, images, batchSize, callers, threads, seconds).imagesPerSecond();
    }

    /** {@link #measure}, with the mean ORT run time. */
    static Measured measureRuns(LoadedModel model, List<byte[]> images, int batchSize, int callers, int threads, double seconds)
            throws Exception {
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, threads)) {
            ModelRunner runner = lease.runner();
            Preprocessor pre = new Preprocessor(model.card().preprocessSpec());
            ImageDecoder decoder = new ImageDecoder();
            List<FloatBuffer> buffers = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                FloatBuffer buf = pre.newBatchBuffer(batchSize);
                for (int i = 0; i < batchSize; i++) {
                    pre.writeInto(decoder.decode(images.get((c * batchSize + i) % images.size())), buf, i);
                }
                buffers.add(buf);
            }
            List<Batch> batches = new ArrayList<>();
            for (FloatBuffer buf : buffers) {
                batches.add(() -> {
                    long t0 = System.nanoTime();
                    runner.run(buf, batchSize);
                    return System.nanoTime() - t0;
                });
            }
            double warmup = Math.min(3, seconds / 3);
            run(batches, batchSize, warmup);
            return run(batches, batchSize, seconds);
        }
    }

    /** What a caller does between two ONNX Runtime runs in {@link #measureInterleaved}. */
    enum Between {
        /** nothing: runs back to back, as in {@link #measureRuns} */
        NOTHING,
        /** pure arithmetic on registers for a random 0–2 × {@code gapMs}: the callers' runs drift out of phase, caches stay */
        SPIN,
        /** the worker's preprocessing of the next batch with ImageIO (JPEG window decode + fused resize into a second buffer) */
        PREPROCESS_IMAGEIO,
        /** the same with TurboJPEG (whole decode + fused resize) */
        PREPROCESS_TURBOJPEG
    }

    /**
     * ms per ONNX Runtime run when each caller does {@code between} between its runs: separates what makes the operator's
     * runs slower than raw ones — the callers' runs no longer starting together (SPIN) from what decoding does to them,
     * with either JPEG decoder (PREPROCESS_*).
     */
    static Measured measureInterleaved(LoadedModel model, List<byte[]> images, int batchSize, int callers, int threads,
            double seconds, Between between, double gapMs) throws Exception {
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, threads)) {
            ModelRunner runner = lease.runner();
            Preprocessor pre = new Preprocessor(model.card().preprocessSpec());
            List<Batch> batches = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                FloatBuffer buf = pre.newBatchBuffer(batchSize);
                FloatBuffer next = pre.newBatchBuffer(batchSize);
                ImageDecoder decoder = new ImageDecoder(new ImageGuard(),
                        between == Between.PREPROCESS_TURBOJPEG ? JpegDecoding.TURBOJPEG : JpegDecoding.IMAGEIO);
                for (int i = 0; i < batchSize; i++) {
                    pre.writeInto(decoder.decode(images.get((c * batchSize + i) % images.size())), buf, i);
                }
                java.util.Random random = new java.util.Random(caller);
                AtomicLong count = new AtomicLong();
                batches.add(() -> {
                    switch (between) {
                        case SPIN -> spin((long) (random.nextDouble() * 2 * gapMs * 1e6));
                        case PREPROCESS_IMAGEIO, PREPROCESS_TURBOJPEG -> {
                            for (int i = 0; i < batchSize; i++) {
                                byte[] img = images.get((int) ((count.getAndIncrement() * callers + caller) % images.size()));
                                pre.writeInto(decoder.decode(img, pre::sourceWindow), next, i);
                            }
                        }
                        case NOTHING -> { }
                    }
                    long t0 = System.nanoTime();
                    runner.run(buf, batchSize);
                    return System.nanoTime() - t0;
                });
            }
            run(batches, batchSize, Math.min(3, seconds / 3));
            return run(batches, batchSize, seconds);
        }
    }

    private static volatile long spinSink;

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        long x = 88172645463325252L;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1000; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
            }
        }
        spinSink = x;
    }

    /**
     * The operator's batch work alone: {@code callers} threads, each calling {@link BatchInference#prepare} and {@link BatchInference#infer} on
     * batches of Avro-encoded events (the bench's JPEGs, in turn) back to back, with the job's session settings.
     */
    static Measured measureOperator(LoadedModel model, List<byte[]> images, String contentType, int batchSize, int callers,
            int threads, double seconds, JpegDecoding jpeg) throws Exception {
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, threads)) {
            BatchInference<KafkaRecord> inference = new BatchInference<>(lease.runner(),
                    new ImageTranslator(model.card(), new ImageDecoder(new ImageGuard(), jpeg), 5),
                    new ImageEventImages(model.card().name()), batchSize, BatchInference::nowEpochMicros);
            // encoded once, as the job's events arrive encoded: producing them is not the operator's work
            List<KafkaRecord> records = new ArrayList<>(images.size());
            for (int n = 0; n < images.size(); n++) {
                String id = "op-" + n;
                records.add(new KafkaRecord("bench", 0, n, System.currentTimeMillis(), id.getBytes(StandardCharsets.UTF_8),
                        TestEvents.encoded(id, images.get(n), contentType, "bench"), new ArrayList<>()));
            }
            List<Batch> batches = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                AtomicLong next = new AtomicLong();
                batches.add(() -> {
                    List<BatchItem<KafkaRecord>> items = new ArrayList<>(batchSize);
                    for (int i = 0; i < batchSize; i++) {
                        int n = (int) ((next.getAndIncrement() * callers + caller) % records.size());
                        items.add(new BatchItem<>(records.get(n), System.nanoTime(), BatchInference.nowEpochMicros()));
                    }
                    long[] runNanos = new long[1];
                    inference.infer(inference.prepare(items), new BatchInference.Outcomes() {
                        @Override
                        public void classified(int index, Classification c, BatchInference.Timings t) {
                            runNanos[0] = t.inferenceNanos();
                        }

                        @Override
                        public void failed(int index, String stage, Throwable error) {
                            throw new IllegalStateException("bench input rejected at " + stage + ": " + error);
                        }
                    });
                    return runNanos[0];
                });
            }
            run(batches, batchSize, Math.min(3, seconds / 3));
            return run(batches, batchSize, seconds);
        }
    }

    /** One batch's work; returns the nanoseconds its ONNX Runtime run took. */
    @FunctionalInterface
    private interface Batch {
        long run() throws Exception;
    }

    private static Measured run(List<Batch> callers, int batchSize, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers.size());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong images = new AtomicLong();
        AtomicLong runs = new AtomicLong();
        AtomicLong runNanos = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        try {
            List<Future<?>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (Batch batch : callers) {
                futures.add(pool.submit(() -> {
                    while (!stop.get()) {
                        runNanos.addAndGet(batch.run());
                        runs.incrementAndGet();
                        images.addAndGet(batchSize);
                        lastDone.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                    return null;
                }));
            }
            Thread.sleep((long) (seconds * 1000));
            stop.set(true);
            for (Future<?> f : futures) {
                f.get();
            }
            // completed runs only, up to the last completion: a run still going at the deadline is finished, then counted
            return new Measured(images.get() / ((lastDone.get() - start) / 1e9), runNanos.get() / 1e6 / Math.max(1, runs.get()));
        } finally {
            pool.shutdownNow();
        }
    }
}
