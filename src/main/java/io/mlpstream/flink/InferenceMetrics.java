package io.mlpstream.flink;

/**
 * The Flink metrics of the inference operator, registered per subtask under the group {@value #GROUP} and the
 * variables {@value #MODEL} and {@value #VERSION} (labels in Prometheus), so the names stay the same when the model
 * changes, e.g. {@code flink_taskmanager_job_task_operator_mlpstream_model_version_imagesTagged{model="mixer-digits",
 * version="1"}}. The per-stage failure counter sits one group further down, under the variable {@value #STAGE}:
 * {@code flink_taskmanager_job_task_operator_mlpstream_model_version_stage_failures{stage="decode"}}. Latencies are in
 * microseconds. docs/deploy.md lists every Prometheus series name.
 */
public final class InferenceMetrics {
    private InferenceMetrics() {}

    public static final String GROUP = "mlpstream";
    /** Variable holding the model card's name. */
    public static final String MODEL = "model";
    /** Variable holding the model card's version. */
    public static final String VERSION = "version";
    /** Variable holding the stage an element failed at ({@link io.mlpstream.core.inference.Stage}, or one named by the
     * {@code imageBytes} function), under which {@link #FAILURES} is counted per stage. */
    public static final String STAGE = "stage";

    /** Counter: batches that left because they reached batch.max-size. */
    public static final String BATCHES_FLUSHED_BY_SIZE = "batchesFlushedBySize";
    /** Counter: batches that left because batch.max-delay passed (or at the end of input). */
    public static final String BATCHES_FLUSHED_BY_TIMER = "batchesFlushedByTimer";
    /** Counter: elements with a prediction. */
    public static final String IMAGES_TAGGED = "imagesTagged";
    /**
     * Counter: elements with a failure, timeouts included. Registered twice: under the model's group (all stages) and
     * under each {@value #STAGE} (that stage's; the built-in stages from the start, a stage named by the
     * {@code imageBytes} function at its first failure).
     */
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

    /** Gauge: the operator's batch.max-size, to read batch sizes against. */
    public static final String BATCH_MAX_SIZE = "batchMaxSize";
    /** Gauge: the operator's batch.max-delay in microseconds, to read latencies against. */
    public static final String BATCH_MAX_DELAY_US = "batchMaxDelayUs";

    /** Every counter, histogram and gauge of the model's group, in the order of the reference. */
    public static final String[] ALL = {
        BATCHES_FLUSHED_BY_SIZE, BATCHES_FLUSHED_BY_TIMER, IMAGES_TAGGED, FAILURES, SKIPPED_AFTER_TIMEOUT,
        BATCH_SIZE, QUEUE_WAIT_US, PREPROCESS_US, INFERENCE_US, OPERATOR_LATENCY_US, BATCH_MAX_SIZE, BATCH_MAX_DELAY_US
    };
}
