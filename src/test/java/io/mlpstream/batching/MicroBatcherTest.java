package io.mlpstream.batching;

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
        return new MicroBatcher<>(maxSize, maxDelay, timer, worker,
                (batch, reason) -> flushed.add(new Flushed(batch, reason, System.nanoTime(), Thread.currentThread().getName())),
                (batch, cause) -> rejected.addAll(batch));
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
    }
}
