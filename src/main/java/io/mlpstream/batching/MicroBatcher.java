package io.mlpstream.batching;

import org.apache.flink.util.Preconditions;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Groups elements into batches and runs at most {@code maxInFlight} of them at once on a worker
 * executor. A batch is due when it holds {@code maxBatchSize} elements, or {@code maxDelay} after its
 * FIRST element arrived; it starts when it is due <em>and</em> a slot is free. While every slot is
 * busy, a due batch keeps growing up to {@code maxBatchSize} instead of leaving small: under load the
 * batches get larger (cheaper per element) rather than queueing up as a backlog of timer-sized
 * fragments, which is what made the tail latency grow near saturation (BENCHMARKS.md, dynamic batching).
 *
 * <p>{@link #add} never blocks and never runs the sink on the caller's thread, so the Flink task
 * thread is only ever touched for the hand-over. Thread-safe. The batcher owns neither executor;
 * whoever created them shuts them down. The worker executor must be able to run {@code maxInFlight}
 * tasks at once.
 */
public final class MicroBatcher<T> implements AutoCloseable {

    /** Receives due batches, on a worker thread. Must not throw. */
    @FunctionalInterface
    public interface BatchSink<T> {
        void accept(List<T> batch, FlushReason reason);
    }

    /** Called with batches that will not run (executor shut down, batcher closed); must not throw. */
    @FunctionalInterface
    public interface RejectionHandler<T> {
        void rejected(List<T> batch, RuntimeException cause);
    }

    private record Batch<T>(List<T> elements, FlushReason reason) {}

    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final int maxInFlight;
    private final BatchSink<T> sink;
    private final RejectionHandler<T> rejectionHandler;
    private final ScheduledExecutorService timer;
    private final Executor worker;

    private final Object lock = new Object();
    /** Sealed batches (full, or flushed) waiting for a free slot, oldest first. */
    private final Deque<Batch<T>> waiting = new ArrayDeque<>();
    private List<T> current;
    /** The current batch's delay has passed; it leaves with the next free slot. */
    private boolean currentDue;
    private long generation;
    private ScheduledFuture<?> pendingTimer;
    private int running;
    private boolean closed;

    public MicroBatcher(
            int maxBatchSize,
            Duration maxDelay,
            int maxInFlight,
            ScheduledExecutorService timer,
            Executor worker,
            BatchSink<T> sink,
            RejectionHandler<T> rejectionHandler) {
        Preconditions.checkArgument(maxBatchSize >= 1, "maxBatchSize must be at least 1, got %s", maxBatchSize);
        Preconditions.checkArgument(!maxDelay.isNegative(), "maxDelay must not be negative, got %s", maxDelay);
        Preconditions.checkArgument(maxInFlight >= 1, "maxInFlight must be at least 1, got %s", maxInFlight);
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelay.toNanos();
        this.maxInFlight = maxInFlight;
        this.timer = Preconditions.checkNotNull(timer);
        this.worker = Preconditions.checkNotNull(worker);
        this.sink = Preconditions.checkNotNull(sink);
        this.rejectionHandler = Preconditions.checkNotNull(rejectionHandler);
        this.current = new ArrayList<>(maxBatchSize);
    }

    /** Adds an element; may start a batch on the worker. Never blocks on a batch. */
    public void add(T element) {
        List<Batch<T>> start;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("MicroBatcher is closed");
            }
            current.add(element);
            if (current.size() >= maxBatchSize) {
                waiting.add(new Batch<>(takeCurrent(), FlushReason.SIZE));
            } else if (current.size() == 1) {
                long gen = generation;
                pendingTimer = timer.schedule(() -> onTimer(gen), maxDelayNanos, TimeUnit.NANOSECONDS);
            }
            start = takeStartable();
        }
        start(start);
    }

    /** Seals whatever is buffered; it starts as soon as a slot is free (now, if one is). */
    public void flush() {
        List<Batch<T>> start;
        synchronized (lock) {
            if (!current.isEmpty()) {
                waiting.add(new Batch<>(takeCurrent(), FlushReason.EXPLICIT));
            }
            start = takeStartable();
        }
        start(start);
    }

    /** Elements added and not yet handed to the worker. */
    public int buffered() {
        synchronized (lock) {
            int n = current.size();
            for (Batch<T> b : waiting) {
                n += b.elements().size();
            }
            return n;
        }
    }

    /** Batches handed to the worker and not finished. */
    public int running() {
        synchronized (lock) {
            return running;
        }
    }

    private void onTimer(long gen) {
        List<Batch<T>> start;
        synchronized (lock) {
            if (gen != generation || current.isEmpty() || closed) {
                return; // this batch already left by size or flush
            }
            currentDue = true;
            start = takeStartable();
        }
        start(start);
    }

    private void onBatchDone() {
        List<Batch<T>> start;
        synchronized (lock) {
            running--;
            start = closed ? List.of() : takeStartable();
        }
        start(start);
    }

    /** Caller holds the lock. The batches that may start now, their slots taken. */
    private List<Batch<T>> takeStartable() {
        List<Batch<T>> start = null;
        while (running < maxInFlight) {
            Batch<T> next;
            if (!waiting.isEmpty()) {
                next = waiting.poll();
            } else if (currentDue && !current.isEmpty()) {
                next = new Batch<>(takeCurrent(), FlushReason.TIMER);
            } else {
                break;
            }
            running++;
            if (start == null) {
                start = new ArrayList<>(2);
            }
            start.add(next);
        }
        return start == null ? List.of() : start;
    }

    /** Caller holds the lock. Starts a new batch generation so a stale timer cannot flush it. */
    private List<T> takeCurrent() {
        List<T> batch = current;
        current = new ArrayList<>(maxBatchSize);
        currentDue = false;
        generation++;
        if (pendingTimer != null) {
            pendingTimer.cancel(false);
            pendingTimer = null;
        }
        return batch;
    }

    private void start(List<Batch<T>> batches) {
        for (Batch<T> b : batches) {
            try {
                worker.execute(() -> {
                    try {
                        sink.accept(b.elements(), b.reason());
                    } finally {
                        onBatchDone();
                    }
                });
            } catch (RejectedExecutionException e) {
                synchronized (lock) {
                    running--;
                }
                rejectionHandler.rejected(b.elements(), e);
            }
        }
    }

    /**
     * Stops accepting elements and cancels the timer. Batches not yet started are handed to the
     * rejection handler (on close the operator's in-flight elements are in its checkpoint and are
     * replayed); running batches finish on the worker.
     */
    @Override
    public void close() {
        List<List<T>> leftover = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (Batch<T> b : waiting) {
                leftover.add(b.elements());
            }
            waiting.clear();
            if (!current.isEmpty()) {
                leftover.add(takeCurrent());
            }
        }
        for (List<T> batch : leftover) {
            rejectionHandler.rejected(batch, new RejectedExecutionException("MicroBatcher closed"));
        }
    }
}
