package io.mlpstream.operator;

import io.mlpstream.batching.FlushReason;
import io.mlpstream.batching.MicroBatcher;
import io.mlpstream.image.ImageDecoder;
import io.mlpstream.image.ImageGuard;
import io.mlpstream.image.Preprocessor;
import io.mlpstream.model.LoadedModel;
import io.mlpstream.model.ModelSource;
import io.mlpstream.model.SharedSessions;
import io.mlpstream.serde.KafkaRecord;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.Preconditions;
import org.apache.flink.util.TimeUtils;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Glue between Flink's async I/O and the pure pieces: {@code asyncInvoke} hands the record to the
 * {@link MicroBatcher} and returns at once; batches run on this instance's worker threads through
 * {@link BatchInference} (one ORT run per batch on the JVM-wide shared session), and each record's
 * future is completed with its {@link Outcome}. A timeout completes with a dead letter instead of
 * failing the job, and a timed-out record whose batch has not started yet is left out of it: under
 * overload the model's time goes to records that can still get a result, not to ones already given up.
 *
 * <p>In-flight records live in AsyncWaitOperator's state and are replayed on restore, so the batcher
 * keeps no state of its own; re-running inference is deterministic and the transactional sink hides
 * the duplicates.
 */
public class BatchingInferenceFunction extends RichAsyncFunction<KafkaRecord, Outcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingInferenceFunction.class);

    private final InferenceSettings settings;
    private final BatchHook hook;

    private transient SharedSessions.Lease lease;
    private transient ExecutorService workers;
    private transient ScheduledExecutorService timer;
    private transient MicroBatcher<Pending> batcher;
    private transient BatchInference inference;
    /** One per batch allowed in the model at once ({@code batch.max-in-flight}); fair, so batches infer in order. */
    private transient Semaphore modelSlots;
    private transient Counter sizeFlushes;
    private transient Counter timerFlushes;
    private transient Counter tagged;
    private transient Counter deadLetters;
    private transient Counter skippedAfterTimeout;
    private transient Histogram batchSize;
    private transient Histogram queueWait;
    private transient Histogram preprocess;
    private transient Histogram inferenceTime;
    private transient Histogram endToEnd;

    /** A record in the batcher and the future that waits for it. */
    private record Pending(BatchItem item, ResultFuture<Outcome> future) {}

    /**
     * Futures whose record timed out while in the batcher or in a batch. AsyncWaitOperator hands {@link #timeout} the
     * same ResultFuture object it handed {@link #asyncInvoke}, hence identity. A batch removes its own records.
     */
    private transient Set<ResultFuture<Outcome>> timedOut;

    /**
     * Test seam: {@code beforeInference} is called on the worker thread with each batch once it holds a model
     * slot, just before it is inferred, so a test can hold a batch "running" (e.g. on a latch) while the real
     * model still does the work afterwards; {@code prepared} when the batch is preprocessed, before it waits
     * for a slot.
     */
    @FunctionalInterface
    interface BatchHook extends Serializable {
        BatchHook NONE = batch -> {};

        void beforeInference(List<BatchItem> batch) throws InterruptedException;

        default void prepared(List<BatchItem> batch) {}
    }

    public BatchingInferenceFunction(InferenceSettings settings) {
        this(settings, BatchHook.NONE);
    }

    BatchingInferenceFunction(InferenceSettings settings, BatchHook hook) {
        this.settings = Preconditions.checkNotNull(settings);
        this.hook = Preconditions.checkNotNull(hook);
    }

    @Override
    public void open(OpenContext openContext) {
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        LoadedModel model = ModelSource.load(settings.model());
        // before the session: a missing libturbojpeg under image.jpeg-decoder=turbojpeg fails here with nothing to release
        ImageDecoder decoder = new ImageDecoder(new ImageGuard(settings.maxImagePixels()), settings.jpegDecoding());
        lease = SharedSessions.acquire(model, settings.device(), settings.intraOpThreads());
        inference = new BatchInference(
                lease.runner(),
                decoder,
                new Preprocessor(model.card().preprocessSpec()),
                settings.topK(),
                settings.maxBatchSize(),
                BatchInference::nowEpochMicros);
        // With preprocess-ahead, one more worker than model slots: it decodes the next batch while the model runs
        // the current ones, then waits for a model slot; without it, workers never wait for a slot.
        modelSlots = new Semaphore(settings.maxInFlightBatches(), true);
        timedOut = Collections.newSetFromMap(Collections.synchronizedMap(new IdentityHashMap<>()));
        workers = Executors.newFixedThreadPool(
                settings.batchSlots(), new ExecutorThreadFactory("mlpstream-batch-" + subtask));
        timer = Executors.newSingleThreadScheduledExecutor(new ExecutorThreadFactory("mlpstream-batch-timer-" + subtask));
        batcher = new MicroBatcher<>(
                settings.maxBatchSize(), settings.maxDelay(), settings.batchSlots(), timer, workers, this::runBatch,
                this::rejected);
        registerMetrics(getRuntimeContext().getMetricGroup().addGroup(METRIC_GROUP));
        LOG.info(
                "Subtask {}: model {} on {}, maxBatchSize={}, maxDelay={}, maxInFlightBatches={}, preprocessAhead={}, JPEG decoder: {}",
                subtask, model.card().name(), lease.runner().device(), settings.maxBatchSize(),
                TimeUtils.formatWithHighestUnit(settings.maxDelay()), settings.maxInFlightBatches(), settings.preprocessAhead(),
                decoder.jpegDecoder());
    }

    /** Metric names under the operator's {@value #METRIC_GROUP} group; latencies in microseconds. */
    public static final String METRIC_GROUP = "mlpstream";
    public static final String FLUSHED_BY_SIZE = "batchesFlushedBySize";
    public static final String FLUSHED_BY_TIMER = "batchesFlushedByTimer";
    public static final String IMAGES_TAGGED = "imagesTagged";
    public static final String DEAD_LETTERS = "deadLetters";
    /** Records dead-lettered by the async timeout before their batch started, and so never inferred. */
    public static final String SKIPPED_AFTER_TIMEOUT = "skippedAfterTimeout";
    public static final String BATCH_SIZE = "batchSize";
    public static final String QUEUE_WAIT_US = "queueWaitUs";
    public static final String PREPROCESS_US = "preprocessUs";
    public static final String INFERENCE_US = "inferenceUs";
    public static final String END_TO_END_US = "endToEndUs";
    private static final int HISTOGRAM_WINDOW = 4096;

    private void registerMetrics(MetricGroup group) {
        // thread-safe: the worker threads (batch.max-in-flight of them) and the task thread (timeouts) all count
        sizeFlushes = group.counter(FLUSHED_BY_SIZE, new ThreadSafeSimpleCounter());
        timerFlushes = group.counter(FLUSHED_BY_TIMER, new ThreadSafeSimpleCounter());
        tagged = group.counter(IMAGES_TAGGED, new ThreadSafeSimpleCounter());
        deadLetters = group.counter(DEAD_LETTERS, new ThreadSafeSimpleCounter());
        skippedAfterTimeout = group.counter(SKIPPED_AFTER_TIMEOUT, new ThreadSafeSimpleCounter());
        batchSize = group.histogram(BATCH_SIZE, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        queueWait = group.histogram(QUEUE_WAIT_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        preprocess = group.histogram(PREPROCESS_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceTime = group.histogram(INFERENCE_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        endToEnd = group.histogram(END_TO_END_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    }

    @Override
    public void asyncInvoke(KafkaRecord record, ResultFuture<Outcome> resultFuture) {
        batcher.add(new Pending(new BatchItem(record, System.nanoTime(), BatchInference.nowEpochMicros()), resultFuture));
    }

    private void runBatch(List<Pending> flushed, FlushReason reason) {
        (reason == FlushReason.SIZE ? sizeFlushes : timerFlushes).inc();
        List<Pending> batch = withoutTimedOut(flushed);
        if (batch.isEmpty()) {
            return;
        }
        batchSize.update(batch.size());
        Outcome[] outcomes;
        try {
            List<BatchItem> items = batch.stream().map(Pending::item).toList();
            BatchInference.Prepared prepared = inference.prepare(items);
            hook.prepared(items);
            modelSlots.acquire();
            try {
                if (allTimedOut(batch)) {
                    withoutTimedOut(batch); // preprocess-ahead: all timed out while this batch waited for the model
                    return;
                }
                hook.beforeInference(items);
                outcomes = inference.infer(prepared);
            } finally {
                modelSlots.release();
            }
        } catch (InterruptedException e) {
            // only when close() gave up waiting: these records are in the last snapshot and are replayed on restore
            Thread.currentThread().interrupt();
            rejected(batch, new IllegalStateException("interrupted while closing", e));
            return;
        } catch (Throwable t) {
            // never leave a future hanging, never let a worker thread die silently
            LOG.error("Batch of {} failed as a whole; dead-lettering it", batch.size(), t);
            for (Pending p : batch) {
                complete(p, Outcome.deadLetter(DeadLetter.of(p.item().record(), DeadLetter.STAGE_INFERENCE, t)));
            }
            return;
        }
        boolean timed = false;
        for (int i = 0; i < outcomes.length; i++) {
            Outcome o = outcomes[i];
            if (o.isTagged() && !timed) {
                // stage times are per batch: one sample per batch
                preprocess.update(o.tagged.preprocessUs);
                inferenceTime.update(o.tagged.inferenceUs);
                timed = true;
            }
            complete(batch.get(i), o);
        }
    }

    /**
     * The records of {@code batch} whose timeout has not fired; the others are forgotten (their dead letter is out)
     * and counted. A timeout that fires later, during the run, only makes the late result a no-op.
     */
    private List<Pending> withoutTimedOut(List<Pending> batch) {
        List<Pending> live = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            if (timedOut.remove(p.future())) {
                skippedAfterTimeout.inc();
            } else {
                live.add(p);
            }
        }
        return live;
    }

    private boolean allTimedOut(List<Pending> batch) {
        for (Pending p : batch) {
            if (!timedOut.contains(p.future())) {
                return false;
            }
        }
        return true;
    }

    private void complete(Pending p, Outcome outcome) {
        try {
            if (timedOut.remove(p.future())) {
                return; // timed out during the run: its dead letter is out, and this late result would be dropped
            }
            if (outcome.isTagged()) {
                tagged.inc();
                queueWait.update(outcome.tagged.queueWaitUs);
                endToEnd.update(outcome.tagged.endToEndUs);
            } else {
                deadLetters.inc();
            }
            p.future().complete(Collections.singleton(outcome));
            timedOut.remove(p.future()); // a timeout that fired since the check above; none can fire after complete()
        } catch (Throwable t) {
            // a worker thread that dies takes the TaskManager with it (ExecutorThreadFactory's handler)
            LOG.error("Could not complete the result of {}", p.item().record(), t);
        }
    }

    private void rejected(List<Pending> batch, RuntimeException cause) {
        // Only while closing (our executors are shut down in close() alone): the operator is going away and
        // these records are in its last snapshot, to be replayed on restore. Completing them exceptionally
        // would make AsyncWaitOperator fail the task (Environment.failExternally), e.g. at the end of a
        // stop-with-savepoint without drain, which does not wait for in-flight records. Leave them pending.
        LOG.debug("Operator closing with {} records in an unsent batch; they are replayed from the snapshot ({})",
                batch.size(), cause.getMessage());
    }

    @Override
    public void timeout(KafkaRecord record, ResultFuture<Outcome> resultFuture) {
        timedOut.add(resultFuture);
        deadLetters.inc();
        resultFuture.complete(Collections.singleton(Outcome.deadLetter(DeadLetter.of(record, DeadLetter.STAGE_TIMEOUT,
                new TimeoutException("no result within the async timeout; inference is slower than async.timeout allows "
                        + "(raise async.timeout or lower batch.max-size / batch.max-in-flight)")))));
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
    }
}
