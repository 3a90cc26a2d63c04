package io.mlpstream.flink;

/**
 * The Flink metrics of the inference operator, registered per subtask under the group {@value #GROUP} and the
 * variables {@value #MODEL} and {@value #VERSION} (labels in Prometheus), so the names stay the same when the model
 * changes, e.g. {@code flink_taskmanager_job_task_operator_mlpstream_model_version_imagesTagged{model="mixer-digits",
 * version="1"}}. Latencies are in microseconds.
 */
public final class InferenceMetrics {
    private InferenceMetrics() {}

    public static final String GROUP = "mlpstream";
    /** Variable holding the model card's name. */
    public static final String MODEL = "model";
    /** Variable holding the model card's version. */
    public static final String VERSION = "version";

    /** Counter: batches that left because they reached batch.max-size. */
    public static final String BATCHES_FLUSHED_BY_SIZE = "batchesFlushedBySize";
    /** Counter: batches that left because batch.max-delay passed (or at the end of input). */
    public static final String BATCHES_FLUSHED_BY_TIMER = "batchesFlushedByTimer";
    /** Counter: elements with a prediction. */
    public static final String IMAGES_TAGGED = "imagesTagged";
    /** Counter: elements with a failure, timeouts included. */
    public static final String FAILURES = "failures";
    /** Counter: elements whose async.timeout fired before their batch started, so they were never inferred. */
    public static final String SKIPPED_AFTER_TIMEOUT = "skippedAfterTimeout";
    /** Histogram: images per model run. */
    public static final String BATCH_SIZE = "batchSize";
    /** Histogram: an element's wait in the batcher and for a model slot. */
    public static final String QUEUE_WAIT_US = "queueWaitUs";
    /** Histogram: decoding and preprocessing of a batch. */
    public static final String PREPROCESS_US = "preprocessUs";
    /** Histogram: one model run. */
    public static final String INFERENCE_US = "inferenceUs";
    /** Histogram: from reaching the operator to the result being ready. */
    public static final String OPERATOR_LATENCY_US = "operatorLatencyUs";

    /** Every counter and histogram, in the order of the reference. */
    public static final String[] ALL = {
        BATCHES_FLUSHED_BY_SIZE, BATCHES_FLUSHED_BY_TIMER, IMAGES_TAGGED, FAILURES, SKIPPED_AFTER_TIMEOUT,
        BATCH_SIZE, QUEUE_WAIT_US, PREPROCESS_US, INFERENCE_US, OPERATOR_LATENCY_US
    };
}
