package io.mlpstream.batching;

import org.apache.flink.util.Preconditions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Groups elements into batches: a batch is handed to the sink when it holds {@code maxBatchSize}
 * elements, or {@code maxDelay} after its FIRST element arrived, whichever comes first. {@link #add}
 * never blocks and never runs the sink on the caller's thread: batches are executed on the given
 * worker executor, so the Flink task thread is only ever touched for the hand-over. Thread-safe.
 *
 * <p>The batcher owns neither executor; whoever created them shuts them down.
 */
public final class MicroBatcher<T> implements AutoCloseable {

    /** Receives full or timed-out batches, on a worker thread. Must not throw. */
    @FunctionalInterface
    public interface BatchSink<T> {
        void accept(List<T> batch, FlushReason reason);
    }

    /** Called when a batch cannot be handed to the worker (executor shut down); must not throw. */
    @FunctionalInterface
    public interface RejectionHandler<T> {
        void rejected(List<T> batch, RuntimeException cause);
    }

    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final BatchSink<T> sink;
    private final RejectionHandler<T> rejectionHandler;
    private final ScheduledExecutorService timer;
    private final Executor worker;

    private final Object lock = new Object();
    private List<T> current;
    private long generation;
    private ScheduledFuture<?> pendingTimer;
    private boolean closed;

    public MicroBatcher(
            int maxBatchSize,
            Duration maxDelay,
            ScheduledExecutorService timer,
            Executor worker,
            BatchSink<T> sink,
            RejectionHandler<T> rejectionHandler) {
        Preconditions.checkArgument(maxBatchSize >= 1, "maxBatchSize must be at least 1, got %s", maxBatchSize);
        Preconditions.checkArgument(
                !maxDelay.isNegative(), "maxDelay must not be negative, got %s", maxDelay);
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelay.toNanos();
        this.timer = Preconditions.checkNotNull(timer);
        this.worker = Preconditions.checkNotNull(worker);
        this.sink = Preconditions.checkNotNull(sink);
        this.rejectionHandler = Preconditions.checkNotNull(rejectionHandler);
        this.current = new ArrayList<>(maxBatchSize);
    }

    /** Adds an element; may hand a full batch to the worker. Never blocks on a batch. */
    public void add(T element) {
        List<T> full = null;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("MicroBatcher is closed");
            }
            current.add(element);
            if (current.size() >= maxBatchSize) {
                full = takeCurrent();
            } else if (current.size() == 1) {
                long gen = generation;
                pendingTimer = timer.schedule(() -> onTimer(gen), maxDelayNanos, TimeUnit.NANOSECONDS);
            }
        }
        if (full != null) {
            dispatch(full, FlushReason.SIZE);
        }
    }

    /** Hands whatever is buffered to the worker now. */
    public void flush() {
        List<T> batch;
        synchronized (lock) {
            if (current.isEmpty()) {
                return;
            }
            batch = takeCurrent();
        }
        dispatch(batch, FlushReason.EXPLICIT);
    }

    /** Elements waiting for their batch to leave. */
    public int buffered() {
        synchronized (lock) {
            return current.size();
        }
    }

    private void onTimer(long gen) {
        List<T> batch;
        synchronized (lock) {
            if (gen != generation || current.isEmpty()) {
                return; // this batch already left by size or flush
            }
            batch = takeCurrent();
        }
        dispatch(batch, FlushReason.TIMER);
    }

    /** Caller holds the lock. Starts a new batch generation so a stale timer cannot flush it. */
    private List<T> takeCurrent() {
        List<T> batch = current;
        current = new ArrayList<>(maxBatchSize);
        generation++;
        if (pendingTimer != null) {
            pendingTimer.cancel(false);
            pendingTimer = null;
        }
        return batch;
    }

    private void dispatch(List<T> batch, FlushReason reason) {
        try {
            worker.execute(() -> sink.accept(batch, reason));
        } catch (RejectedExecutionException e) {
            rejectionHandler.rejected(batch, e);
        }
    }

    /**
     * Stops accepting elements and cancels the timer. Buffered elements are handed to the rejection
     * handler (on close the operator's in-flight elements are in its checkpoint and are replayed).
     */
    @Override
    public void close() {
        List<T> leftover;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leftover = current.isEmpty() ? null : takeCurrent();
        }
        if (leftover != null) {
            rejectionHandler.rejected(leftover, new RejectedExecutionException("MicroBatcher closed"));
        }
    }
}
