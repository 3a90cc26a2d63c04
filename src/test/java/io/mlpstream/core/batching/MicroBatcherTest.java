package io.mlpstream.core.batching;

import io.mlpstream.testutils.ManualTimer;

import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.flink.core.testutils.ManuallyTriggeredScheduledExecutorService;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Most tests drive the batcher's clock and worker by hand: its timer is a {@link ManualTimer} whose clock moves only
 * when the test advances it, and its worker a {@link ManuallyTriggeredScheduledExecutorService} in which a started
 * batch waits, holding its slot, until the test runs it. So they assert the order and the {@link FlushReason} of the
 * batches, never elapsed time, and hold on any machine. The tests of concurrency use real threads and wait on latches
 * or conditions only.
 */
class MicroBatcherTest {
    private static final Duration DELAY = Duration.ofMillis(300);
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    /** The batcher's timers, on a clock that moves when the test says so. */
    private final ManualTimer timer = new ManualTimer();
    /** Runs started batches when the test says so, on the test thread; a queued task is a started batch. */
    private final ManuallyTriggeredScheduledExecutorService worker = new ManuallyTriggeredScheduledExecutorService();
    private final BlockingQueue<Flushed> flushed = new LinkedBlockingQueue<>();
    private final List<Integer> rejected = Collections.synchronizedList(new ArrayList<>());

    private record Flushed(List<Integer> batch, FlushReason reason, String thread) {
        Flushed(List<Integer> batch, FlushReason reason) {
            this(batch, reason, null);
        }

        /** Without the thread, for comparing with expected batches. */
        Flushed batchAndReason() {
            return new Flushed(batch, reason);
        }
    }

    /** A batcher on the manual timer and worker whose sink records each batch. */
    private MicroBatcher<Integer> batcher(int maxSize, Duration maxDelay, int maxInFlight) {
        return batcher(maxSize, maxDelay, maxInFlight, 0, timer, worker);
    }

    private MicroBatcher<Integer> batcher(
            int maxSize, Duration maxDelay, int maxInFlight, int prepareAhead, ScheduledExecutorService timer, ExecutorService worker) {
        return new MicroBatcher<>(maxSize, maxDelay, maxInFlight, prepareAhead, timer, worker,
                (batch, reason) -> () -> flushed.add(new Flushed(List.copyOf(batch), reason, Thread.currentThread().getName())),
                (batch, cause) -> rejected.addAll(batch));
    }

    /** The batches the sink received since the last call, oldest first. */
    private List<Flushed> drainFlushed() {
        List<Flushed> out = new ArrayList<>();
        flushed.drainTo(out);
        return out.stream().map(Flushed::batchAndReason).toList();
    }

    private static Flushed batch(FlushReason reason, Integer... elements) {
        return new Flushed(List.of(elements), reason);
    }

    @Test
    void aFullBatchLeavesBySizeThroughTheWorkerNeverOnTheCallersThread() {
        MicroBatcher<Integer> b = batcher(3, HOUR, 2);
        b.add(1);
        b.add(2);
        assertThat(worker.numQueuedRunnables()).as("batches handed to the worker").isZero();
        assertThat(b.buffered()).isEqualTo(2);
        b.add(3);
        assertThat(flushed).as("batches run on the thread that added").isEmpty();
        assertThat(worker.numQueuedRunnables()).as("batches handed to the worker").isEqualTo(1);
        assertThat(b.buffered()).isZero();
        assertThat(b.running()).isEqualTo(1);
        worker.trigger();
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.SIZE, 1, 2, 3));
        assertThat(b.running()).isZero();
        assertThat(timer.pending()).as("the batch's timer, once it left by size").isEmpty();
    }

    @Test
    void theTimerCountsFromTheFirstElementNotTheLast() {
        MicroBatcher<Integer> b = batcher(100, DELAY, 2);
        b.add(1);
        for (int i = 2; i <= 4; i++) { // elements keep coming until just before the first element's deadline
            timer.advance(DELAY.dividedBy(4));
            b.add(i);
        }
        timer.advance(DELAY.dividedBy(4).minusMillis(1));
        assertThat(worker.numQueuedRunnables()).as("batches started before the first element's delay passed").isZero();
        timer.advance(Duration.ofMillis(1));
        assertThat(timer.now()).isEqualTo(DELAY);
        // a timer restarted by every element would be due a delay after the last one, not now
        assertThat(timer.scheduled()).as("timers ever scheduled: the first element's alone").singleElement()
                .satisfies(t -> assertThat(t.dueAt()).isEqualTo(DELAY));
        assertThat(worker.numQueuedRunnables()).isEqualTo(1);
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.TIMER, 1, 2, 3, 4));
    }

    @Test
    void aStaleTimerOfABatchThatLeftBySizeDoesNotFlushTheNextBatch() {
        MicroBatcher<Integer> b = batcher(2, DELAY, 2);
        b.add(1);
        ManualTimer.Task stale = timer.scheduled().get(0);
        b.add(2);
        assertThat(stale.isCancelled()).as("the timer of the batch that left by size is cancelled").isTrue();
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.SIZE, 1, 2));

        b.add(3);
        // a timer that was already firing when it was cancelled still runs: it must leave the new batch alone
        stale.runAnyway();
        assertThat(worker.numQueuedRunnables()).as("batches started by the stale timer").isZero();
        assertThat(b.buffered()).isEqualTo(1);
        timer.advance(DELAY); // the new batch's own timer
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.TIMER, 3));
    }

    @Test
    void noElementIsLostOrDuplicatedUnderConcurrentProducers() throws Exception {
        ScheduledExecutorService realTimer = Executors.newSingleThreadScheduledExecutor();
        ExecutorService realWorker = Executors.newFixedThreadPool(2, named("batch-worker-"));
        int threads = 4;
        int perThread = 5_000;
        ExecutorService producers = Executors.newFixedThreadPool(threads, named("producer-"));
        try {
            MicroBatcher<Integer> b = batcher(7, Duration.ofMillis(2), 2, 0, realTimer, realWorker);
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int base = t * perThread;
                producers.execute(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        b.add(base + i);
                    }
                });
            }
            start.countDown();
            producers.shutdown();
            assertThat(producers.awaitTermination(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("producers finished within %s", DEADLINE).isTrue();
            List<Integer> seen = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (seen.size() < threads * perThread) {
                Flushed f = flushed.poll(1, TimeUnit.SECONDS);
                if (f != null) {
                    assertThat(f.batch()).hasSizeBetween(1, 7);
                    assertThat(f.thread()).as("the thread a batch ran on").startsWith("batch-worker-");
                    seen.addAll(f.batch());
                }
                assertThat(System.nanoTime() < deadline)
                        .as("only %s of %s elements came out within %s", seen.size(), threads * perThread, DEADLINE).isTrue();
            }
            assertThat(seen).hasSize(threads * perThread).doesNotHaveDuplicates();
            assertThat(rejected).isEmpty();
        } finally {
            producers.shutdownNow();
            realTimer.shutdownNow();
            realWorker.shutdownNow();
        }
    }

    @Test
    void explicitFlushAndCloseAccountForEveryElement() {
        MicroBatcher<Integer> b = batcher(10, HOUR, 2);
        b.add(1);
        b.flush();
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.EXPLICIT, 1));
        b.add(2);
        b.add(3);
        b.close();
        assertThat(rejected).containsExactly(2, 3);
        assertThat(timer.pending()).as("timers left after close").isEmpty();
        assertThat(worker.numQueuedRunnables()).isZero();
        assertThatThrownBy(() -> b.add(4)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void whileEverySlotIsBusyADueBatchKeepsGrowingInsteadOfLeavingSmall() {
        MicroBatcher<Integer> b = batcher(10, DELAY, 1);
        b.add(1);
        timer.advance(DELAY); // due: starts, and holds the only slot
        assertThat(worker.numQueuedRunnables()).isEqualTo(1);
        for (int i = 2; i <= 6; i++) {
            b.add(i);
            timer.advance(DELAY); // the delay passes again and again while the slot is busy
        }
        assertThat(b.buffered()).isEqualTo(5);
        assertThat(worker.numQueuedRunnables()).as("batches started").isEqualTo(1);

        worker.trigger(); // the first batch finishes; its slot goes to the batch that has been due all along
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.TIMER, 1));
        assertThat(worker.numQueuedRunnables()).isEqualTo(1);
        worker.trigger();
        // one batch of five, not five timer-sized fragments queued behind the first
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.TIMER, 2, 3, 4, 5, 6));
        assertThat(worker.numQueuedRunnables()).isZero();
        assertThat(b.buffered()).isZero();
        assertThat(b.running()).isZero();
    }

    @Test
    void aDueBatchThatFillsWhileWaitingLeavesBySizeAndTheRestStartsANewBatch() {
        MicroBatcher<Integer> b = batcher(3, DELAY, 1);
        b.add(0);
        timer.advance(DELAY); // {0} is due, starts and holds the only slot
        b.add(1);
        timer.advance(DELAY); // {1} is due and waits for the slot
        b.add(2);
        b.add(3); // ... and fills up while it waits
        for (int i = 4; i <= 7; i++) {
            b.add(i);
        }
        timer.advance(DELAY); // {7}'s delay passes
        assertThat(worker.numQueuedRunnables()).as("batches started").isEqualTo(1);
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(
                batch(FlushReason.TIMER, 0),
                batch(FlushReason.SIZE, 1, 2, 3),
                batch(FlushReason.SIZE, 4, 5, 6),
                batch(FlushReason.TIMER, 7));
    }

    @Test
    void neverStartsMoreThanMaxInFlightBatchesAtOnce() {
        MicroBatcher<Integer> b = batcher(4, HOUR, 2);
        for (int i = 0; i < 400; i++) {
            b.add(i);
        }
        int peak = 0;
        while (worker.numQueuedRunnables() > 0) {
            peak = Math.max(peak, worker.numQueuedRunnables());
            assertThat(b.running()).isEqualTo(worker.numQueuedRunnables());
            worker.trigger();
        }
        // the manual worker would take any number of batches: the batcher holds them back
        assertThat(peak).as("batches started and not finished at once").isEqualTo(2);
        List<Integer> seen = drainFlushed().stream().flatMap(f -> f.batch().stream()).toList();
        assertThat(seen).as("every element once, in order").containsExactlyElementsOf(IntStream.range(0, 400).boxed().toList());
    }

    @Test
    void prepareAheadStartsThatManyMoreBatches() {
        MicroBatcher<Integer> b = batcher(2, HOUR, 1, 1, timer, worker);
        for (int i = 0; i < 6; i++) {
            b.add(i);
        }
        assertThat(worker.numQueuedRunnables()).as("batches started: 1 in flight + 1 ahead").isEqualTo(2);
        assertThat(b.running()).isEqualTo(2);
        assertThat(b.buffered()).isEqualTo(2);
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(
                batch(FlushReason.SIZE, 0, 1), batch(FlushReason.SIZE, 2, 3), batch(FlushReason.SIZE, 4, 5));
    }

    @Test
    void withPrepareAheadTheNextBatchPreparesWhileOneRunsAndWaitsForTheRunSlot() throws Exception {
        ExecutorService realWorker = Executors.newFixedThreadPool(2, named("batch-worker-"));
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch secondPrepared = new CountDownLatch(1);
        AtomicReference<Thread> secondThread = new AtomicReference<>();
        AtomicInteger done = new AtomicInteger();
        try {
            MicroBatcher<Integer> b = new MicroBatcher<>(1, HOUR, 1, 1, timer, realWorker,
                    (batch, reason) -> {
                        int n = batch.get(0);
                        events.add("prepared " + n);
                        if (n == 2) {
                            secondThread.set(Thread.currentThread());
                            secondPrepared.countDown();
                        }
                        return () -> {
                            if (n == 1) {
                                firstRunning.countDown();
                                await(releaseFirst);
                            }
                            events.add("ran " + n);
                            done.incrementAndGet();
                        };
                    },
                    (batch, cause) -> rejected.addAll(batch));
            b.add(1);
            assertThat(firstRunning.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("the first batch holds the only run slot").isTrue();
            b.add(2);
            assertThat(secondPrepared.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("the second batch prepared while the first holds the run slot").isTrue();
            // the second batch's thread parks only once it waits for the slot (or, were there no slot limit, once it
            // ran and went back to the pool): either way, what it did is recorded by then
            CommonTestUtils.waitUtil(() -> secondThread.get().getState() == Thread.State.WAITING, DEADLINE, Duration.ofMillis(10),
                    "the second batch's worker thread did not park within " + DEADLINE);
            assertThat(events).as("while the first batch holds the run slot").containsExactly("prepared 1", "prepared 2");
            releaseFirst.countDown();
            CommonTestUtils.waitUtil(() -> done.get() == 2, DEADLINE, Duration.ofMillis(10),
                    "both batches did not finish within " + DEADLINE + ": " + events);
            assertThat(events).containsExactly("prepared 1", "prepared 2", "ran 1", "ran 2");
            assertThat(rejected).isEmpty();
        } finally {
            releaseFirst.countDown();
            realWorker.shutdownNow();
        }
    }

    @Test
    void closeRejectsWaitingBatchesAndLetsTheRunningOneFinish() {
        MicroBatcher<Integer> b = batcher(2, HOUR, 1);
        b.add(1);
        b.add(2); // full: starts and holds the only slot
        assertThat(worker.numQueuedRunnables()).isEqualTo(1);
        b.add(3);
        b.add(4); // full, waits for the slot
        b.add(5); // buffered
        b.close();
        assertThat(rejected).containsExactly(3, 4, 5);
        worker.triggerAll();
        assertThat(drainFlushed()).containsExactly(batch(FlushReason.SIZE, 1, 2));
        assertThat(worker.numQueuedRunnables()).as("batches started after close").isZero();
        assertThat(b.running()).isZero();
    }

    @Test
    void aShutDownWorkerRejectsInsteadOfLosing() {
        ExecutorService shutDown = Executors.newSingleThreadExecutor();
        shutDown.shutdownNow();
        MicroBatcher<Integer> b = batcher(1, HOUR, 2, 0, timer, shutDown);
        b.add(42);
        assertThat(rejected).containsExactly(42);
        assertThat(b.running()).isZero();
    }

    @Test
    void rejectsNonsenseSizes() {
        assertThatThrownBy(() -> batcher(0, Duration.ofMillis(1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchSize must be at least 1, got 0");
        assertThatThrownBy(() -> batcher(1, Duration.ofMillis(1), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxInFlight must be at least 1, got 0");
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("not released within " + DEADLINE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> new Thread(r, prefix + n.incrementAndGet());
    }
}
