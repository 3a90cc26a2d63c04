package io.mlpstream.bench;

import io.mlpstream.image.ImageDecoder;
import io.mlpstream.image.Preprocessor;
import io.mlpstream.model.Device;
import io.mlpstream.model.LoadedModel;
import io.mlpstream.model.ModelRunner;
import io.mlpstream.model.SharedSessions;

import java.nio.FloatBuffer;
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
 */
final class RawOrtBenchmark {
    private RawOrtBenchmark() {}

    /** Images per second. */
    static double measure(LoadedModel model, List<byte[]> images, int batchSize, int callers, int threads, double seconds)
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
            double warmup = Math.min(3, seconds / 3);
            run(runner, buffers, batchSize, warmup);
            return run(runner, buffers, batchSize, seconds);
        }
    }

    private static double run(ModelRunner runner, List<FloatBuffer> buffers, int batchSize, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(buffers.size());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong images = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        try {
            List<Future<?>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (FloatBuffer buf : buffers) {
                futures.add(pool.submit(() -> {
                    while (!stop.get()) {
                        runner.run(buf, batchSize);
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
            return images.get() / ((lastDone.get() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }
}
