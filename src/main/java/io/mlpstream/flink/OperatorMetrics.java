package io.mlpstream.flink;

import io.mlpstream.core.batching.FlushReason;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.core.model.ModelCard;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's {@link InferenceMetrics}, registered under the {@code mlpstream} group with the model's name and version
 * as variables, and failures once more per {@code stage}. Thread-safe: the batch workers and the task thread (timeouts)
 * all count.
 */
final class OperatorMetrics {
    private static final int HISTOGRAM_WINDOW = 4096;
    /** The stages whose failure counters exist from the start (at 0), so a dashboard's rate() has a series at once. */
    static final List<String> BUILT_IN_STAGES = List.of(Stage.INPUT, Stage.DECODE, Stage.PREPROCESS, Stage.INFERENCE,
            Stage.TIMEOUT);

    private final MetricGroup group;
    private final Map<String, Counter> failuresByStage = new ConcurrentHashMap<>();
    private final Counter sizeFlushes;
    private final Counter timerFlushes;
    private final Counter tagged;
    private final Counter failures;
    private final Counter skippedAfterTimeout;
    private final Histogram batchSize;
    private final Histogram queueWait;
    private final Histogram preprocess;
    private final Histogram inference;
    private final Histogram operatorLatency;

    OperatorMetrics(MetricGroup operator, ModelCard card, InferenceSettings settings) {
        group = operator.addGroup(InferenceMetrics.GROUP)
                .addGroup(InferenceMetrics.MODEL, card.name())
                .addGroup(InferenceMetrics.VERSION, card.versionOrDefault());
        sizeFlushes = group.counter(InferenceMetrics.BATCHES_FLUSHED_BY_SIZE, new ThreadSafeSimpleCounter());
        timerFlushes = group.counter(InferenceMetrics.BATCHES_FLUSHED_BY_TIMER, new ThreadSafeSimpleCounter());
        tagged = group.counter(InferenceMetrics.IMAGES_TAGGED, new ThreadSafeSimpleCounter());
        failures = group.counter(InferenceMetrics.FAILURES, new ThreadSafeSimpleCounter());
        skippedAfterTimeout = group.counter(InferenceMetrics.SKIPPED_AFTER_TIMEOUT, new ThreadSafeSimpleCounter());
        batchSize = group.histogram(InferenceMetrics.BATCH_SIZE, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        queueWait = group.histogram(InferenceMetrics.QUEUE_WAIT_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        preprocess = group.histogram(InferenceMetrics.PREPROCESS_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inference = group.histogram(InferenceMetrics.INFERENCE_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        operatorLatency = group.histogram(InferenceMetrics.OPERATOR_LATENCY_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        int maxSize = settings.batchMaxSize();
        long maxDelayUs = settings.batchMaxDelay().toNanos() / 1_000;
        group.gauge(InferenceMetrics.BATCH_MAX_SIZE, (Gauge<Integer>) () -> maxSize);
        group.gauge(InferenceMetrics.BATCH_MAX_DELAY_US, (Gauge<Long>) () -> maxDelayUs);
        BUILT_IN_STAGES.forEach(this::stageCounter);
    }

    void flushed(FlushReason reason) {
        (reason == FlushReason.SIZE ? sizeFlushes : timerFlushes).inc();
    }

    /** A batch that reaches the model: its size and (once per batch) its stage times. */
    void batch(int size, long preprocessUs, long inferenceUs) {
        batchSize.update(size);
        preprocess.update(preprocessUs);
        inference.update(inferenceUs);
    }

    void tagged(long queueWaitUs, long operatorLatencyUs) {
        tagged.inc();
        queueWait.update(queueWaitUs);
        operatorLatency.update(operatorLatencyUs);
    }

    /** An element that failed at {@code stage} (a {@link Stage} or one named by the imageBytes function). */
    void failed(String stage) {
        failures.inc();
        stageCounter(stage).inc();
    }

    private Counter stageCounter(String stage) {
        return failuresByStage.computeIfAbsent(stage, s -> group.addGroup(InferenceMetrics.STAGE, s)
                .counter(InferenceMetrics.FAILURES, new ThreadSafeSimpleCounter()));
    }

    void skippedAfterTimeout() {
        skippedAfterTimeout.inc();
    }
}
