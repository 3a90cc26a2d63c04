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

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.util.TimeUtils;
import org.apache.flink.util.concurrent.ExecutorThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The micro-batched inference of one subtask, apart from the Flink function that drives it: elements go into the
 * {@link MicroBatcher} and return at once; batches run on this engine's worker threads through {@link BatchInference}
 * (one model run per batch on the JVM-wide {@link SharedSessions shared session}), the operator's {@link
 * InferenceMetrics} are counted, and every element's {@link Outcome} goes to the {@link Completion} with the handle it
 * came with. Both the DataStream API's async function and the SQL model provider's predict function run on it, so a
 * model behaves, batches and reports the same through either.
 *
 * <p>A timeout (see {@link #timeout}) completes with a failure instead of failing the job, and a timed-out element whose
 * batch has not started yet is left out of it: under overload the model's time goes to elements that can still get a
 * result. The engine keeps no state of its own: in-flight elements live in the state of Flink's async operator and are
 * replayed on restore.
 *
 * @param <T> the elements
 * @param <H> what the caller waits on for an element's outcome (a future); compared by identity
 */
@Internal
public final class InferenceEngine<T, H> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngine.class);

    /** The name of Flink's external resource whose GPUs {@code model.device=auto} uses. */
    public static final String GPU_RESOURCE = FlinkGpus.RESOURCE;

    /** Receives an element's outcome with its handle, exactly once, on a batch worker (or the timing-out) thread. */
    @FunctionalInterface
    public interface Completion<T, H> {
        void complete(H handle, Outcome<T> outcome);
    }

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

    /** An element in the batcher and the handle that waits for it. */
    private record Pending<T, H>(BatchItem<T> item, H handle) {}

    private final InferenceSettings settings;
    private final Completion<T, H> completion;
    private final BatchHook hook;
    private final ModelCard card;
    private final GpuShares.Claim device;
    private final SharedSessions.Lease lease;
    private final BatchInference<T> inference;
    private final OperatorMetrics metrics;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final MicroBatcher<Pending<T, H>> batcher;
    /**
     * Handles whose element timed out while in the batcher or in a batch (Flink's async operator hands the timeout the
     * same object it handed in with the element, hence identity). A batch removes its own elements.
     */
    private final Set<H> timedOut = Collections.newSetFromMap(Collections.synchronizedMap(new IdentityHashMap<>()));
    private boolean closed;

    /**
     * Loads and verifies the model, takes a lease on its shared session and starts the workers. A model that is missing,
     * tampered, contradicts its card or needs a device this TaskManager lacks fails with a {@link
     * SuppressRestartsException}: no restart can fix it, so the job fails once with the reason instead of restarting
     * forever.
     *
     * @param metricGroup the operator's metric group; the {@link InferenceMetrics} go below it
     * @param subtask the subtask index, for thread names and the log
     * @param flinkGpus what the runtime context gives for the external resource {@value FlinkGpus#RESOURCE}: the GPUs
     *     Flink assigned this TaskManager, empty when it assigned none; {@code model.device=auto} takes the least used
     */
    public static <T, H> InferenceEngine<T, H> open(InferenceSettings settings, ImageBytes<T> imageBytes,
            MetricGroup metricGroup, int subtask, Set<ExternalResourceInfo> flinkGpus, Completion<T, H> completion) {
        return open(settings, imageBytes, metricGroup, subtask, flinkGpus, completion, BatchHook.NONE);
    }

    static <T, H> InferenceEngine<T, H> open(InferenceSettings settings, ImageBytes<T> imageBytes, MetricGroup metricGroup,
            int subtask, Set<ExternalResourceInfo> flinkGpus, Completion<T, H> completion, BatchHook hook) {
        return new InferenceEngine<>(settings, imageBytes, metricGroup, subtask, FlinkGpus.indices(flinkGpus), completion,
                hook);
    }

    private InferenceEngine(InferenceSettings settings, ImageBytes<T> imageBytes, MetricGroup metricGroup, int subtask,
            List<Integer> flinkGpus, Completion<T, H> completion, BatchHook hook) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.completion = Objects.requireNonNull(completion, "completion");
        this.hook = Objects.requireNonNull(hook, "hook");
        GpuShares.Claim claimed = null;
        SharedSessions.Lease leased = null;
        try {
            LoadedModel model = ModelSource.load(settings.modelName());
            card = model.card();
            // before the session: a missing libturbojpeg under image.jpeg-decoder=turbojpeg fails here with nothing to release
            ImageDecoder decoder = new ImageDecoder(new ImageGuard(settings.imageMaxPixels()), settings.imageJpegDecoder());
            ImageTranslator translator = new ImageTranslator(card, decoder, settings.outputTopK());
            claimed = GpuShares.claim(settings.modelDevice(), flinkGpus);
            if (!flinkGpus.isEmpty()) {
                LOG.info("Subtask {}: Flink assigned this TaskManager GPU(s) {} (external resource '{}'); model.device={} "
                        + "asks for {}", subtask, flinkGpus, FlinkGpus.RESOURCE, settings.modelDevice(), claimed.device());
            }
            leased = SharedSessions.acquire(model, claimed.device(), settings.modelIntraOpThreads());
            lease = leased;
            device = claimed;
            inference = new BatchInference<>(
                    lease.runner(), translator, imageBytes, settings.batchMaxSize(), BatchInference::nowEpochMicros);
            LOG.info("Subtask {}: model {} v{} on {}, batch.max-size={}, batch.max-delay={}, batch.max-in-flight={}, "
                            + "batch.preprocess-ahead={}, JPEG decoder: {}",
                    subtask, card.name(), card.versionOrDefault(), lease.runner().device(), settings.batchMaxSize(),
                    TimeUtils.formatWithHighestUnit(settings.batchMaxDelay()), settings.batchMaxInFlight(),
                    settings.batchPreprocessAhead(), translator.jpegDecoder());
        } catch (RuntimeException e) {
            if (leased == null && claimed != null) {
                claimed.close(); // no session was opened on it: leave the GPU to the other instances
            }
            if (e instanceof ModelException || e instanceof IllegalStateException) {
                // a model that is missing, tampered, contradicts its card or needs a device this TaskManager lacks: no
                // restart can fix it, so fail the job once with the reason instead of restarting forever
                throw new SuppressRestartsException(e);
            }
            throw e;
        }
        try {
            metrics = new OperatorMetrics(metricGroup, card, settings);
        } catch (RuntimeException e) {
            lease.close();
            device.close();
            throw e;
        }
        int threads = settings.batchMaxInFlight() + settings.batchesPreparedAhead();
        workers = Executors.newFixedThreadPool(threads, new ExecutorThreadFactory("mlpstream-batch-" + subtask));
        timer = Executors.newSingleThreadScheduledExecutor(new ExecutorThreadFactory("mlpstream-batch-timer-" + subtask));
        batcher = new MicroBatcher<>(settings.batchMaxSize(), settings.batchMaxDelay(), settings.batchMaxInFlight(),
                settings.batchesPreparedAhead(), timer, workers, this::prepare, this::rejected);
    }

    /** The card of the model this engine serves. */
    public ModelCard card() {
        return card;
    }

    /** Hands an element to the batcher; its outcome goes to the completion with {@code handle}. Never blocks on a batch. */
    public void add(T element, H handle) {
        batcher.add(new Pending<>(new BatchItem<>(element, System.nanoTime(), BatchInference.nowEpochMicros()), handle));
    }

    /**
     * The element of {@code handle} timed out: it completes now with a failure at stage {@link Stage#TIMEOUT}, its late
     * result (if any) is dropped, and it is left out of its batch if that has not started.
     */
    public void timeout(T element, H handle) {
        timedOut.add(handle);
        metrics.failed(Stage.TIMEOUT);
        completion.complete(handle, Outcome.of(InferenceFailure.of(element, Stage.TIMEOUT,
                new TimeoutException("no result within async.timeout=" + TimeUtils.formatWithHighestUnit(settings.asyncTimeout())
                        + "; inference is slower than that allows (raise async.timeout, or lower batch.max-size or "
                        + "batch.max-in-flight)"))));
    }

    /** The batch's first phase (decode, preprocess); returns its model run. */
    private Runnable prepare(List<Pending<T, H>> flushed, FlushReason reason) {
        metrics.flushed(reason);
        List<Pending<T, H>> batch = withoutTimedOut(flushed);
        if (batch.isEmpty()) {
            return null;
        }
        List<BatchItem<T>> items = new ArrayList<>(batch.size());
        for (Pending<T, H> p : batch) {
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
    private void run(List<Pending<T, H>> batch, BatchInference.Prepared<T> prepared) {
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
        return Prediction.of(item.element(), card, c, t, item.ingestedAtMicros());
    }

    /** Never leave a handle waiting, never let a worker thread die silently. */
    private void failAll(List<Pending<T, H>> batch, Throwable t) {
        LOG.error("A batch of {} failed as a whole; failing each of its elements", batch.size(), t);
        for (Pending<T, H> p : batch) {
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
    private List<Pending<T, H>> withoutTimedOut(List<Pending<T, H>> batch) {
        List<Pending<T, H>> live = new ArrayList<>(batch.size());
        for (Pending<T, H> p : batch) {
            if (timedOut.remove(p.handle())) {
                metrics.skippedAfterTimeout();
            } else {
                live.add(p);
            }
        }
        return live;
    }

    private boolean allTimedOut(List<Pending<T, H>> batch) {
        for (Pending<T, H> p : batch) {
            if (!timedOut.contains(p.handle())) {
                return false;
            }
        }
        return true;
    }

    private void complete(Pending<T, H> p, Outcome<T> outcome) {
        try {
            if (timedOut.remove(p.handle())) {
                return; // timed out during the run: its failure is out, and this late result would be dropped
            }
            if (outcome.prediction != null) {
                metrics.tagged(outcome.prediction.getQueueWaitUs(), outcome.prediction.operatorLatencyUs());
            } else {
                metrics.failed(outcome.failure.getStage());
            }
            completion.complete(p.handle(), outcome);
            timedOut.remove(p.handle()); // a timeout that fired since the check above; none can fire after completion
        } catch (Throwable t) {
            // a worker thread that dies takes the TaskManager with it (ExecutorThreadFactory's handler)
            LOG.error("Could not complete the result of {}", p.item().element(), t);
        }
    }

    private void rejected(List<Pending<T, H>> batch, RuntimeException cause) {
        // Only while closing (our executors are shut down in close() alone): the operator is going away and these
        // elements are in its last snapshot, to be replayed on restore. Completing them exceptionally would make
        // AsyncWaitOperator fail the task (Environment.failExternally), e.g. at the end of a stop-with-savepoint without
        // drain, which does not wait for in-flight elements. Leave them pending.
        LOG.debug("Operator closing with {} elements in a batch that did not run; they are replayed from the snapshot ({})",
                batch.size(), cause.getMessage());
    }

    /** Stops the batcher and the timer, lets running batches finish (30 s at most), and returns the session lease. */
    @Override
    public void close() throws InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            batcher.close();
            timer.shutdownNow();
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Inference workers did not finish within 30 s; interrupting them");
                workers.shutdownNow();
            }
        } finally {
            try {
                lease.close();
            } finally {
                device.close();
            }
        }
    }

    /** The device this engine asked ONNX Runtime for (Flink's GPU assignment applied); for tests. */
    Device requestedDevice() {
        return device.device();
    }
}
