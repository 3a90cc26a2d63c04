package io.mlpstream.flink;

import io.mlpstream.core.batching.FlushReason;
import io.mlpstream.core.batching.MicroBatcher;
import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageGuard;
import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.BatchItem;
import io.mlpstream.core.inference.Classification;
import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.inference.ImageTranslator;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.GpuShares;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelException;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.Preconditions;
import org.apache.flink.util.TimeUtils;
import org.apache.flink.util.concurrent.ExecutorThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Glue between Flink's async I/O and the pure pieces: {@code asyncInvoke} hands the element to the {@link MicroBatcher}
 * and returns at once; batches run on this instance's worker threads through {@link BatchInference} (one model run per
 * batch on the JVM-wide shared session), and each element's future is completed with its {@link Outcome}. A timeout
 * completes with a failure instead of failing the job, and a timed-out element whose batch has not started yet is left
 * out of it: under overload the model's time goes to elements that can still get a result.
 *
 * <p>In-flight elements live in AsyncWaitOperator's state and are replayed on restore, so the batcher keeps no state of
 * its own; re-running inference is deterministic and a transactional sink hides the duplicates.
 */
final class BatchingInferenceFunction<T> extends RichAsyncFunction<T, Outcome<T>> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingInferenceFunction.class);

    private final InferenceSettings settings;
    private final ImageBytes<T> imageBytes;
    private final BatchHook hook;

    private transient GpuShares.Claim device;
    private transient SharedSessions.Lease lease;
    private transient ExecutorService workers;
    private transient ScheduledExecutorService timer;
    private transient MicroBatcher<Pending<T>> batcher;
    private transient BatchInference<T> inference;
    private transient OperatorMetrics metrics;
    private transient ModelCard card;
    /**
     * Futures whose element timed out while in the batcher or in a batch. AsyncWaitOperator hands {@link #timeout} the
     * same ResultFuture object it handed {@link #asyncInvoke}, hence identity. A batch removes its own elements.
     */
    private transient Set<ResultFuture<Outcome<T>>> timedOut;

    /** An element in the batcher and the future that waits for it. */
    private record Pending<T>(BatchItem<T> item, ResultFuture<Outcome<T>> future) {}

    /**
     * Test seam: {@code beforeInference} is called on the worker thread with the elements of each batch once it holds a
     * model slot, just before its model run, so a test can hold a batch "running" (e.g. on a latch) while the real model
     * still does the work afterwards; {@code prepared} when the batch is preprocessed, before it waits for a slot.
     */
    @FunctionalInterface
    interface BatchHook extends Serializable {
        BatchHook NONE = batch -> {};

        void beforeInference(List<?> elements) throws InterruptedException;

        default void prepared(List<?> elements) {}
    }

    public BatchingInferenceFunction(InferenceSettings settings, ImageBytes<T> imageBytes) {
        this(settings, imageBytes, BatchHook.NONE);
    }

    BatchingInferenceFunction(InferenceSettings settings, ImageBytes<T> imageBytes, BatchHook hook) {
        this.settings = Preconditions.checkNotNull(settings);
        this.imageBytes = Preconditions.checkNotNull(imageBytes);
        this.hook = Preconditions.checkNotNull(hook);
    }

    @Override
    public void open(OpenContext openContext) {
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        try {
            LoadedModel model = ModelSource.load(settings.modelName());
            card = model.card();
            // before the session: a missing libturbojpeg under image.jpeg-decoder=turbojpeg fails here with nothing to release
            ImageDecoder decoder = new ImageDecoder(new ImageGuard(settings.imageMaxPixels()), settings.imageJpegDecoder());
            ImageTranslator translator = new ImageTranslator(card, decoder, settings.outputTopK());
            List<Integer> flinkGpus = FlinkGpus.indices(getRuntimeContext().getExternalResourceInfos(FlinkGpus.RESOURCE));
            device = GpuShares.claim(settings.modelDevice(), flinkGpus);
            if (!flinkGpus.isEmpty()) {
                LOG.info("Subtask {}: Flink assigned this TaskManager GPU(s) {} (external resource '{}'); device={} asks "
                        + "for {}", subtask, flinkGpus, FlinkGpus.RESOURCE, settings.modelDevice(), device.device());
            }
            lease = SharedSessions.acquire(model, device.device(), settings.modelIntraOpThreads());
            inference = new BatchInference<>(
                    lease.runner(), translator, imageBytes, settings.batchMaxSize(), BatchInference::nowEpochMicros);
            LOG.info("Subtask {}: model {} v{} on {}, batch.max-size={}, batch.max-delay={}, batch.max-in-flight={}, "
                            + "batch.preprocess-ahead={}, JPEG decoder: {}",
                    subtask, card.name(), card.versionOrDefault(), lease.runner().device(), settings.batchMaxSize(),
                    TimeUtils.formatWithHighestUnit(settings.batchMaxDelay()), settings.batchMaxInFlight(),
                    settings.batchPreprocessAhead(), translator.jpegDecoder());
        } catch (RuntimeException e) {
            if (lease == null && device != null) {
                device.close(); // no session was opened on it: leave the GPU to the other instances
                device = null;
            }
            if (e instanceof ModelException || e instanceof IllegalStateException) {
                // a model that is missing, tampered, contradicts its card or needs a device this TaskManager lacks: no
                // restart can fix it, so fail the job once with the reason instead of restarting forever
                throw new SuppressRestartsException(e);
            }
            throw e;
        }
        metrics = new OperatorMetrics(getRuntimeContext().getMetricGroup(), card, settings);
        timedOut = Collections.newSetFromMap(Collections.synchronizedMap(new IdentityHashMap<>()));
        int threads = settings.batchMaxInFlight() + settings.batchesPreparedAhead();
        workers = Executors.newFixedThreadPool(threads, new ExecutorThreadFactory("mlpstream-batch-" + subtask));
        timer = Executors.newSingleThreadScheduledExecutor(new ExecutorThreadFactory("mlpstream-batch-timer-" + subtask));
        batcher = new MicroBatcher<>(settings.batchMaxSize(), settings.batchMaxDelay(), settings.batchMaxInFlight(),
                settings.batchesPreparedAhead(), timer, workers, this::prepare, this::rejected);
    }

    @Override
    public void asyncInvoke(T element, ResultFuture<Outcome<T>> resultFuture) {
        batcher.add(new Pending<>(new BatchItem<>(element, System.nanoTime(), BatchInference.nowEpochMicros()), resultFuture));
    }

    /** The batch's first phase (decode, preprocess); returns its model run. */
    private Runnable prepare(List<Pending<T>> flushed, FlushReason reason) {
        metrics.flushed(reason);
        List<Pending<T>> batch = withoutTimedOut(flushed);
        if (batch.isEmpty()) {
            return null;
        }
        List<BatchItem<T>> items = new ArrayList<>(batch.size());
        for (Pending<T> p : batch) {
            items.add(p.item());
        }
        BatchInference.Prepared<T> prepared;
        try {
            prepared = inference.prepare(items);
            hook.prepared(elements(items));
        } catch (Throwable t) {
            failAll(batch, t);
            return null;
        }
        return () -> run(batch, prepared);
    }

    /** The batch's model run, holding a model slot. */
    private void run(List<Pending<T>> batch, BatchInference.Prepared<T> prepared) {
        try {
            if (allTimedOut(batch)) {
                withoutTimedOut(batch); // preprocess-ahead: all timed out while this batch waited for the model
                return;
            }
            hook.beforeInference(elements(prepared.items()));
            inference.infer(prepared, new BatchInference.Outcomes() {
                private boolean timed;

                @Override
                public void classified(int index, Classification c, BatchInference.Timings t) {
                    if (!timed) {
                        metrics.batch(t.batchSize(), t.preprocessNanos() / 1_000, t.inferenceNanos() / 1_000);
                        timed = true;
                    }
                    complete(batch.get(index), Outcome.of(prediction(batch.get(index).item(), c, t)));
                }

                @Override
                public void failed(int index, String stage, Throwable error) {
                    complete(batch.get(index), Outcome.of(InferenceFailure.of(batch.get(index).item().element(), stage, error)));
                }
            });
        } catch (InterruptedException e) {
            // only when close() gave up waiting: these elements are in the last snapshot and are replayed on restore
            Thread.currentThread().interrupt();
            rejected(batch, new IllegalStateException("interrupted while closing", e));
        } catch (Throwable t) {
            failAll(batch, t);
        }
    }

    private Prediction<T> prediction(BatchItem<T> item, Classification c, BatchInference.Timings t) {
        Prediction<T> p = new Prediction<>();
        p.setElement(item.element());
        p.setModelName(card.name());
        p.setModelVersion(card.versionOrDefault());
        p.setModelSha256(card.sha256());
        p.setLabels(c.labels());
        p.setClassIndices(c.classIndices());
        p.setScores(c.scores());
        p.setBatchSize(t.batchSize());
        p.setQueueWaitUs(t.queueWaitNanos() / 1_000);
        p.setPreprocessUs(t.preprocessNanos() / 1_000);
        p.setInferenceUs(t.inferenceNanos() / 1_000);
        p.setIngestedAtUs(item.ingestedAtMicros());
        p.setCompletedAtUs(t.completedAtMicros());
        return p;
    }

    /** Never leave a future hanging, never let a worker thread die silently. */
    private void failAll(List<Pending<T>> batch, Throwable t) {
        LOG.error("A batch of {} failed as a whole; failing each of its elements", batch.size(), t);
        for (Pending<T> p : batch) {
            complete(p, Outcome.of(InferenceFailure.of(p.item().element(), Stage.INFERENCE, t)));
        }
    }

    private static <T> List<T> elements(List<BatchItem<T>> items) {
        List<T> elements = new ArrayList<>(items.size());
        for (BatchItem<T> item : items) {
            elements.add(item.element());
        }
        return elements;
    }

    /**
     * The elements of {@code batch} whose timeout has not fired; the others are forgotten (their failure is out) and
     * counted. A timeout that fires later, during the run, only makes the late result a no-op.
     */
    private List<Pending<T>> withoutTimedOut(List<Pending<T>> batch) {
        List<Pending<T>> live = new ArrayList<>(batch.size());
        for (Pending<T> p : batch) {
            if (timedOut.remove(p.future())) {
                metrics.skippedAfterTimeout();
            } else {
                live.add(p);
            }
        }
        return live;
    }

    private boolean allTimedOut(List<Pending<T>> batch) {
        for (Pending<T> p : batch) {
            if (!timedOut.contains(p.future())) {
                return false;
            }
        }
        return true;
    }

    private void complete(Pending<T> p, Outcome<T> outcome) {
        try {
            if (timedOut.remove(p.future())) {
                return; // timed out during the run: its failure is out, and this late result would be dropped
            }
            if (outcome.prediction != null) {
                metrics.tagged(outcome.prediction.getQueueWaitUs(), outcome.prediction.operatorLatencyUs());
            } else {
                metrics.failed(outcome.failure.getStage());
            }
            p.future().complete(Collections.singleton(outcome));
            timedOut.remove(p.future()); // a timeout that fired since the check above; none can fire after complete()
        } catch (Throwable t) {
            // a worker thread that dies takes the TaskManager with it (ExecutorThreadFactory's handler)
            LOG.error("Could not complete the result of {}", p.item().element(), t);
        }
    }

    private void rejected(List<Pending<T>> batch, RuntimeException cause) {
        // Only while closing (our executors are shut down in close() alone): the operator is going away and these
        // elements are in its last snapshot, to be replayed on restore. Completing them exceptionally would make
        // AsyncWaitOperator fail the task (Environment.failExternally), e.g. at the end of a stop-with-savepoint without
        // drain, which does not wait for in-flight elements. Leave them pending.
        LOG.debug("Operator closing with {} elements in a batch that did not run; they are replayed from the snapshot ({})",
                batch.size(), cause.getMessage());
    }

    @Override
    public void timeout(T element, ResultFuture<Outcome<T>> resultFuture) {
        timedOut.add(resultFuture);
        metrics.failed(Stage.TIMEOUT);
        resultFuture.complete(Collections.singleton(Outcome.of(InferenceFailure.of(element, Stage.TIMEOUT,
                new TimeoutException("no result within async.timeout=" + TimeUtils.formatWithHighestUnit(settings.asyncTimeout())
                        + "; inference is slower than that allows (raise async.timeout, or lower batch.max-size or "
                        + "batch.max-in-flight)")))));
    }

    @Override
    public void close() throws Exception {
        if (batcher != null) {
            batcher.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        if (workers != null) {
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Inference workers did not finish within 30 s; interrupting them");
                workers.shutdownNow();
            }
        }
        if (lease != null) {
            lease.close();
            lease = null;
        }
        if (device != null) {
            device.close();
            device = null;
        }
    }

    /** The device this instance asked ONNX Runtime for, once open (Flink's GPU assignment applied); for tests. */
    Device requestedDevice() {
        return device.device();
    }
}
