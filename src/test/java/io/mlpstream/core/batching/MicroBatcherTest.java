package io.mlpstream.core.batching;

import org.junit.jupiter.api.AfterEach;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MicroBatcherTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService worker = Executors.newFixedThreadPool(2);
    private final BlockingQueue<Flushed> flushed = new LinkedBlockingQueue<>();
    private final List<Integer> rejected = Collections.synchronizedList(new ArrayList<>());

    private record Flushed(List<Integer> batch, FlushReason reason, long atNanos, String thread) {}

    @AfterEach
    void shutdown() {
        timer.shutdownNow();
        worker.shutdownNow();
    }

    private MicroBatcher<Integer> batcher(int maxSize, Duration maxDelay) {
        return batcher(maxSize, maxDelay, 2, batch -> {});
    }

    /** A batcher whose sink first calls {@code running} (e.g. to hold the batch on a latch), then records the batch. */
    private MicroBatcher<Integer> batcher(int maxSize, Duration maxDelay, int maxInFlight, Running running) {
        return new MicroBatcher<>(maxSize, maxDelay, maxInFlight, 0, timer, worker,
                (batch, reason) -> () -> {
                    try {
                        running.accept(batch);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    flushed.add(new Flushed(batch, reason, System.nanoTime(), Thread.currentThread().getName()));
                },
                (batch, cause) -> rejected.addAll(batch));
    }

    @FunctionalInterface
    private interface Running {
        void accept(List<Integer> batch) throws InterruptedException;
    }

    @Test
    void fullBatchLeavesBySizeOnAWorkerThread() throws Exception {
        MicroBatcher<Integer> b = batcher(3, Duration.ofHours(1));
        b.add(1);
        b.add(2);
        assertThat(flushed.poll(100, TimeUnit.MILLISECONDS)).isNull();
        b.add(3);
        Flushed f = flushed.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.batch()).containsExactly(1, 2, 3);
        assertThat(f.reason()).isEqualTo(FlushReason.SIZE);
        assertThat(f.thread()).isNotEqualTo(Thread.currentThread().getName());
        assertThat(b.buffered()).isZero();
    }

    @Test
    void timerCountsFromTheFirstElementNotTheLast() throws Exception {
        Duration delay = Duration.ofMillis(300);
        MicroBatcher<Integer> b = batcher(100, delay);
        long first = System.nanoTime();
        b.add(1);
        // keep adding until after the deadline of the first element: a timer reset per element would never fire
        while (System.nanoTime() - first < TimeUnit.MILLISECONDS.toNanos(250)) {
            b.add(2);
            Thread.sleep(20);
        }
        Flushed f = flushed.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.reason()).isEqualTo(FlushReason.TIMER);
        assertThat(f.batch().get(0)).isEqualTo(1);
        long waited = f.atNanos() - first;
        assertThat(waited).isGreaterThanOrEqualTo(delay.toNanos());
        // flushed by the first element's timer, long before a timer restarted by the last add would have fired
        assertThat(waited).isLessThan(delay.toNanos() + TimeUnit.MILLISECONDS.toNanos(240));
    }

    @Test
    void aBatchThatLeftBySizeIsNotFlushedAgainByItsStaleTimer() throws Exception {
        MicroBatcher<Integer> b = batcher(2, Duration.ofMillis(100));
        b.add(1);
        b.add(2);
        assertThat(flushed.poll(5, TimeUnit.SECONDS).batch()).containsExactly(1, 2);
        Thread.sleep(250);
        assertThat(flushed).isEmpty();
        b.add(3);
        Flushed f = flushed.poll(5, TimeUnit.SECONDS);
        assertThat(f.batch()).containsExactly(3);
        assertThat(f.reason()).isEqualTo(FlushReason.TIMER);
    }

    @Test
    void noElementIsLostOrDuplicatedUnderConcurrentProducers() throws Exception {
        MicroBatcher<Integer> b = batcher(7, Duration.ofMillis(2));
        int threads = 4;
        int perThread = 5_000;
        ExecutorService producers = Executors.newFixedThreadPool(threads);
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
        assertThat(producers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        List<Integer> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.size() < threads * perThread && System.nanoTime() < deadline) {
            Flushed f = flushed.poll(1, TimeUnit.SECONDS);
            if (f != null) {
                assertThat(f.batch()).hasSizeBetween(1, 7);
                seen.addAll(f.batch());
            }
        }
        assertThat(seen).hasSize(threads * perThread).doesNotHaveDuplicates();
    }

    @Test
    void explicitFlushAndCloseAccountForEveryElement() throws Exception {
        MicroBatcher<Integer> b = batcher(10, Duration.ofHours(1));
        b.add(1);
        b.flush();
        Flushed f = flushed.poll(5, TimeUnit.SECONDS);
        assertThat(f.batch()).containsExactly(1);
        assertThat(f.reason()).isEqualTo(FlushReason.EXPLICIT);
        b.add(2);
        b.add(3);
        b.close();
        assertThat(rejected).containsExactly(2, 3);
        assertThatThrownBy(() -> b.add(4)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void whileEverySlotIsBusyADueBatchKeepsGrowingInsteadOfLeavingSmall() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        MicroBatcher<Integer> b = batcher(10, Duration.ofMillis(20), 1, batch -> {
            if (batch.contains(1)) {
                release.await();
            }
        });
        b.add(1); // due after 20 ms, starts, and holds the only slot
        awaitRunning(b, 1);
        for (int i = 2; i <= 6; i++) {
            b.add(i);
            Thread.sleep(15); // several 20 ms delays pass while the slot is busy
        }
        assertThat(b.buffered()).isEqualTo(5);
        release.countDown();
        assertThat(flushed.poll(5, TimeUnit.SECONDS).batch()).containsExactly(1);
        Flushed f = flushed.poll(5, TimeUnit.SECONDS);
        // one batch of five that was due long ago, not five timer-sized fragments queued behind the first
        assertThat(f.batch()).containsExactly(2, 3, 4, 5, 6);
        assertThat(f.reason()).isEqualTo(FlushReason.TIMER);
        assertThat(flushed.poll(100, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void aDueBatchThatFillsWhileWaitingLeavesBySizeAndTheRestStartsANewBatch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        MicroBatcher<Integer> b = batcher(3, Duration.ofMillis(10), 1, batch -> {
            if (batch.contains(0)) {
                release.await();
            }
        });
        b.add(0);
        awaitRunning(b, 1);
        for (int i = 1; i <= 7; i++) {
            b.add(i);
        }
        Thread.sleep(50);
        release.countDown();
        assertThat(flushed.poll(5, TimeUnit.SECONDS).batch()).containsExactly(0);
        Flushed first = flushed.poll(5, TimeUnit.SECONDS);
        Flushed second = flushed.poll(5, TimeUnit.SECONDS);
        Flushed third = flushed.poll(5, TimeUnit.SECONDS);
        assertThat(first.batch()).containsExactly(1, 2, 3);
        assertThat(first.reason()).isEqualTo(FlushReason.SIZE);
        assertThat(second.batch()).containsExactly(4, 5, 6);
        assertThat(third.batch()).containsExactly(7);
        assertThat(third.reason()).isEqualTo(FlushReason.TIMER);
    }

    @Test
    void neverRunsMoreThanMaxInFlightBatchesAtOnce() throws Exception {
        java.util.concurrent.atomic.AtomicInteger now = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger peak = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService wide = Executors.newFixedThreadPool(8);
        try {
            MicroBatcher<Integer> b = new MicroBatcher<>(4, Duration.ofMillis(1), 2, 0, timer, wide,
                    (batch, reason) -> () -> {
                        peak.accumulateAndGet(now.incrementAndGet(), Math::max);
                        try {
                            Thread.sleep(2);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        now.decrementAndGet();
                        flushed.add(new Flushed(batch, reason, System.nanoTime(), Thread.currentThread().getName()));
                    },
                    (batch, cause) -> rejected.addAll(batch));
            for (int i = 0; i < 400; i++) {
                b.add(i);
            }
            List<Integer> seen = new ArrayList<>();
            while (seen.size() < 400) {
                Flushed f = flushed.poll(5, TimeUnit.SECONDS);
                assertThat(f).as("only %s of 400 elements came out", seen.size()).isNotNull();
                seen.addAll(f.batch());
            }
            assertThat(seen).doesNotHaveDuplicates();
            // an 8-thread executor would run more at once if the batcher did not hold back
            assertThat(peak.get()).isEqualTo(2);
        } finally {
            wide.shutdownNow();
        }
    }

    @Test
    void closeRejectsWaitingBatchesAndLetsTheRunningOneFinish() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        MicroBatcher<Integer> b = batcher(2, Duration.ofHours(1), 1, batch -> {
            if (batch.contains(1)) {
                release.await();
            }
        });
        b.add(1);
        b.add(2); // full: runs and holds the slot
        awaitRunning(b, 1);
        b.add(3);
        b.add(4); // full, waiting for the slot
        b.add(5); // buffered
        b.close();
        assertThat(rejected).containsExactly(3, 4, 5);
        release.countDown();
        assertThat(flushed.poll(5, TimeUnit.SECONDS).batch()).containsExactly(1, 2);
        assertThat(flushed.poll(200, TimeUnit.MILLISECONDS)).isNull();
        assertThat(b.running()).isZero();
    }

    private static void awaitRunning(MicroBatcher<Integer> b, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (b.running() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(b.running()).isEqualTo(n);
    }

    @Test
    void aShutDownWorkerRejectsInsteadOfLosing() {
        worker.shutdownNow();
        MicroBatcher<Integer> b = batcher(1, Duration.ofMillis(5));
        b.add(42);
        assertThat(rejected).containsExactly(42);
    }

    @Test
    void rejectsNonsenseSizes() {
        assertThatThrownBy(() -> batcher(0, Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchSize must be at least 1, got 0");
        assertThatThrownBy(() -> batcher(1, Duration.ofMillis(1), 0, batch -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxInFlight must be at least 1, got 0");
    }
}
