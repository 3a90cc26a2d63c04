package io.mlpstream.testutils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} on a clock that moves only when the test calls {@link #advance}: a task scheduled
 * with delay {@code d} runs on the test's thread during the {@code advance} that brings the clock {@code d} past the
 * moment it was scheduled. Tasks run in the order of their due times, then in the order they were scheduled. So a test
 * states how much time passes and asserts what happened, and never depends on how fast the machine is.
 *
 * <p>For one-shot timers ({@link #schedule(Runnable, long, TimeUnit)}); {@link #execute} runs its task at the next
 * {@code advance}, even {@code advance(Duration.ZERO)}. Periodic scheduling is not supported. (Flink's
 * {@code ManuallyTriggeredScheduledExecutorService} has no clock: it keeps delays but runs tasks in the order they were
 * scheduled, whatever their delay, and 2.2.1 converts delays given in units other than milliseconds wrongly.)
 */
public final class ManualTimer extends AbstractExecutorService implements ScheduledExecutorService {
    private static final Comparator<Task> DUE_ORDER = Comparator.<Task>comparingLong(t -> t.dueNanos).thenComparingLong(t -> t.sequence);

    private final List<Task> tasks = new ArrayList<>();
    private long nowNanos;
    private long sequence;
    private boolean shutdown;

    /** Time passed on this clock since it was made. */
    public synchronized Duration now() {
        return Duration.ofNanos(nowNanos);
    }

    /** Moves the clock forward by {@code by}, running every task that falls due, each at its due time. */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a clock only moves forward, got " + by);
        }
        long target;
        synchronized (this) {
            target = nowNanos + by.toNanos();
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream()
                        .filter(t -> t.state == State.PENDING && t.dueNanos <= target)
                        .min(DUE_ORDER)
                        .orElse(null);
                if (next == null) {
                    nowNanos = target;
                    return;
                }
                nowNanos = Math.max(nowNanos, next.dueNanos);
                next.state = State.DONE;
            }
            next.command.run();
        }
    }

    /** Tasks scheduled and neither run nor cancelled, in due order. */
    public synchronized List<Task> pending() {
        return tasks.stream().filter(t -> t.state == State.PENDING).sorted(DUE_ORDER).toList();
    }

    /** Every task ever scheduled, whatever became of it, in the order they were scheduled. */
    public synchronized List<Task> scheduled() {
        return List.copyOf(tasks);
    }

    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        Objects.requireNonNull(command, "command");
        if (shutdown) {
            throw new RejectedExecutionException("ManualTimer is shut down");
        }
        Task task = new Task(command, nowNanos + Math.max(0, unit.toNanos(delay)), sequence++);
        tasks.add(task);
        return task;
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("ManualTimer schedules Runnables only");
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("ManualTimer has no periodic tasks");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("ManualTimer has no periodic tasks");
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
    }

    @Override
    public synchronized List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> never = new ArrayList<>();
        for (Task t : tasks) {
            if (t.state == State.PENDING) {
                t.state = State.CANCELLED;
                never.add(t.command);
            }
        }
        return never;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    private enum State { PENDING, DONE, CANCELLED }

    /** One scheduled task. */
    public final class Task implements ScheduledFuture<Object> {
        private final Runnable command;
        private final long dueNanos;
        private final long sequence;
        private State state = State.PENDING;

        private Task(Runnable command, long dueNanos, long sequence) {
            this.command = command;
            this.dueNanos = dueNanos;
            this.sequence = sequence;
        }

        /** The time on this clock at which it is due. */
        public Duration dueAt() {
            return Duration.ofNanos(dueNanos);
        }

        /**
         * Runs the command now, even if it was cancelled: what happens when a real timer thread had already begun to
         * run it when {@code cancel} came, which cancel cannot undo.
         */
        public void runAnyway() {
            command.run();
        }

        @Override
        public long getDelay(TimeUnit unit) {
            synchronized (ManualTimer.this) {
                return unit.convert(dueNanos - nowNanos, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            synchronized (ManualTimer.this) {
                if (state != State.PENDING) {
                    return false;
                }
                state = State.CANCELLED;
                return true;
            }
        }

        @Override
        public boolean isCancelled() {
            synchronized (ManualTimer.this) {
                return state == State.CANCELLED;
            }
        }

        @Override
        public boolean isDone() {
            synchronized (ManualTimer.this) {
                return state != State.PENDING;
            }
        }

        @Override
        public Object get() {
            synchronized (ManualTimer.this) {
                if (state == State.CANCELLED) {
                    throw new CancellationException();
                }
                if (state == State.PENDING) {
                    throw new IllegalStateException("not run yet: it runs when ManualTimer.advance reaches " + dueAt());
                }
                return null;
            }
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return get();
        }
    }
}
