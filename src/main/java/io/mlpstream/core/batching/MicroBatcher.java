package io.mlpstream.core.batching;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Groups elements into batches and runs them on a worker executor, at most {@code maxInFlight} at once. A batch is due
 * when it holds {@code maxBatchSize} elements, or {@code maxDelay} after its FIRST element arrived; it starts when it is
 * due <em>and</em> a slot is free. While every slot is busy, a due batch keeps growing up to {@code maxBatchSize}
 * instead of leaving small: under load the batches get larger (cheaper per element) rather than queueing up as a
 * backlog of timer-sized fragments (dynamic batching).
 *
 * <p>A batch runs in two phases on its worker thread: {@link BatchSink#prepare} (e.g. decoding) as soon as it starts,
 * then the phase that {@code prepare} returns (e.g. the model run) once one of {@code maxInFlight} run slots is free.
 * With {@code prepareAhead} > 0, that many more batches may start and prepare while {@code maxInFlight} batches run:
 * the next batch is ready the moment a run slot frees. This class is the one place that limits what is in flight.
 *
 * <p>{@link #add} never blocks and never runs the sink on the caller's thread, so the Flink task thread is only ever
 * touched for the hand-over. Thread-safe. The batcher owns neither executor; whoever created them shuts them down.
 * The worker executor must be able to run {@code maxInFlight + prepareAhead} tasks at once.
 */
public final class MicroBatcher<T> implements AutoCloseable {

    /** Receives due batches, on a worker thread. Must not throw. */
    @FunctionalInterface
    public interface BatchSink<T> {
        /**
         * The first phase of a batch, as soon as it starts. Returns the second phase, run on the same thread once a run
         * slot is free, or null when there is nothing left to run.
         */
        Runnable prepare(List<T> batch, FlushReason reason);
    }

    /** Called with batches that will not run (executor shut down, batcher closed); must not throw. */
    @FunctionalInterface
    public interface RejectionHandler<T> {
        void rejected(List<T> batch, RuntimeException cause);
    }

    private record Batch<T>(List<T> elements, FlushReason reason) {}

    private final int maxBatchSize;
    private final long maxDelayNanos;
    /** Batches started and not finished: maxInFlight + prepareAhead. */
    private final int maxStarted;
    /** Second phases running at once: maxInFlight. Fair, so batches run in the order they started. */
    private final Semaphore runSlots;
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
            int prepareAhead,
            ScheduledExecutorService timer,
            Executor worker,
            BatchSink<T> sink,
            RejectionHandler<T> rejectionHandler) {
        checkArgument(maxBatchSize >= 1, "maxBatchSize must be at least 1, got " + maxBatchSize);
        checkArgument(!maxDelay.isNegative(), "maxDelay must not be negative, got " + maxDelay);
        checkArgument(maxInFlight >= 1, "maxInFlight must be at least 1, got " + maxInFlight);
        checkArgument(prepareAhead >= 0, "prepareAhead must not be negative, got " + prepareAhead);
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelay.toNanos();
        this.maxStarted = maxInFlight + prepareAhead;
        this.runSlots = new Semaphore(maxInFlight, true);
        this.timer = Objects.requireNonNull(timer, "timer");
        this.worker = Objects.requireNonNull(worker, "worker");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.rejectionHandler = Objects.requireNonNull(rejectionHandler, "rejectionHandler");
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

    /** Batches started (handed to the worker) and not finished. */
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
        while (running < maxStarted) {
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
                worker.execute(() -> run(b));
            } catch (RejectedExecutionException e) {
                synchronized (lock) {
                    running--;
                }
                rejectionHandler.rejected(b.elements(), e);
            }
        }
    }

    private void run(Batch<T> b) {
        try {
            Runnable second = sink.prepare(b.elements(), b.reason());
            if (second != null) {
                runSlots.acquire();
                try {
                    second.run();
                } finally {
                    runSlots.release();
                }
            }
        } catch (InterruptedException e) {
            // only when the owner shuts the worker down while this batch waits for a run slot
            Thread.currentThread().interrupt();
            rejectionHandler.rejected(b.elements(), new RejectedExecutionException("interrupted while waiting for a run slot"));
        } finally {
            onBatchDone();
        }
    }

    private static void checkArgument(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
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
