package io.mlpstream.job;

import io.mlpstream.image.JpegDecoding;
import io.mlpstream.model.Device;
import io.mlpstream.operator.InferenceSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import static io.mlpstream.job.InferenceJobOptions.*;

/**
 * The job's options, typed and validated together: {@link #from} rejects combinations that would
 * misbehave at run time with a sentence naming the values and what would be right.
 */
public record InferenceJobSpec(
        String bootstrapServers,
        String inputTopic,
        String resultsTopic,
        String deadLetterTopic,
        String metricsTopic,
        String groupId,
        String startingOffsets,
        boolean bounded,
        DeliveryGuarantee deliveryGuarantee,
        String transactionalIdPrefix,
        Duration transactionTimeout,
        boolean checkTopics,
        Map<String, String> kafkaProperties,
        InferenceSettings inference,
        int asyncCapacity,
        Duration asyncTimeout,
        boolean ordered,
        Duration metricsWindow,
        String jobName,
        int parallelism,
        Duration checkpointInterval,
        String checkpointDir)
        implements Serializable {

    /** Reads and validates every option of a loaded config. */
    public static InferenceJobSpec from(JobConfig config) {
        Configuration c = config.toConfiguration();
        int maxBatch = get(c, MAX_BATCH_SIZE);
        int inFlight = get(c, MAX_IN_FLIGHT_BATCHES);
        Duration maxDelay = get(c, MAX_BATCH_DELAY);
        Duration timeout = get(c, ASYNC_TIMEOUT);
        Duration checkpoint = get(c, CHECKPOINT_INTERVAL);
        Duration txTimeout = get(c, TRANSACTION_TIMEOUT);
        check(maxBatch >= 1 && maxBatch <= 4096, "batch.max-size=%d is out of range: use 1 to 4096 (32 is a good start).", maxBatch);
        check(inFlight >= 1 && inFlight <= 64, "batch.max-in-flight=%d is out of range: use 1 to 64 (2 overlaps preprocessing with inference).", inFlight);
        check(!maxDelay.isNegative(), "batch.max-delay=%s must not be negative.", maxDelay);
        boolean ahead = get(c, PREPROCESS_AHEAD);
        int minCapacity = maxBatch * (inFlight + (ahead ? 2 : 1));
        int capacity = get(c, ASYNC_CAPACITY);
        check(capacity == 0 || capacity >= minCapacity,
                "async.capacity=%d is too small for batch.max-size=%d with batch.max-in-flight=%d: a batch could never fill and "
                        + "every flush would wait for batch.max-delay. Use at least %d (max-size x (max-in-flight + 1, + 1 more with "
                        + "batch.preprocess-ahead)), or 0 for automatic.",
                capacity, maxBatch, inFlight, minCapacity);
        check(timeout.compareTo(maxDelay) > 0,
                "async.timeout=%s must exceed batch.max-delay=%s plus the time of %d in-flight batches (their p99 inference time); "
                        + "otherwise records time out while still waiting in the batcher. Raise async.timeout (e.g. 30 s).",
                timeout, maxDelay, inFlight);
        int topK = get(c, TOP_K);
        check(topK >= 1, "output.top-k=%d must be at least 1.", topK);
        long maxPixels = get(c, MAX_IMAGE_PIXELS);
        check(maxPixels >= 1, "image.max-pixels=%d must be positive.", maxPixels);
        int threads = get(c, INTRA_OP_THREADS);
        check(threads >= 0, "model.intra-op-threads=%d must be 0 (automatic) or positive.", threads);
        int parallelism = get(c, PARALLELISM);
        check(parallelism >= 0, "job.parallelism=%d must be 0 (environment default) or positive.", parallelism);
        Duration window = get(c, METRICS_WINDOW);
        check(window.toMillis() >= 100, "metrics.window=%s is too short: use at least 100 ms.", window);

        DeliveryGuarantee guarantee = guarantee(get(c, DELIVERY_GUARANTEE));
        String prefix = get(c, TRANSACTIONAL_ID_PREFIX);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            check(prefix != null && !prefix.isBlank(),
                    "kafka.delivery-guarantee=exactly-once requires kafka.transactional-id-prefix (unique per job).");
            check(checkpoint.toMillis() > 0,
                    "kafka.delivery-guarantee=exactly-once commits on checkpoints: set job.checkpoint-interval above 0.");
            check(txTimeout.compareTo(checkpoint.multipliedBy(2)) > 0,
                    "kafka.transaction-timeout=%s must be well above job.checkpoint-interval=%s (at least twice, plus restart time), "
                            + "or open transactions are aborted before they commit.", txTimeout, checkpoint);
        }
        String offsets = get(c, STARTING_OFFSETS).toLowerCase(Locale.ROOT);
        check(offsets.equals("committed") || offsets.equals("earliest") || offsets.equals("latest"),
                "kafka.starting-offsets=%s is unknown: use committed, earliest or latest.", offsets);
        String input = get(c, INPUT_TOPIC);
        String results = get(c, RESULTS_TOPIC);
        String dead = get(c, DEAD_LETTER_TOPIC);
        String metrics = get(c, METRICS_TOPIC);
        check(!input.equals(results) && !input.equals(dead) && !input.equals(metrics),
                "kafka.input-topic=%s must differ from the results, dead-letter and metrics topics, or the job would read its own output.", input);
        Device device;
        try {
            device = Device.parse(get(c, DEVICE));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model.device: " + e.getMessage());
        }
        JpegDecoding jpeg;
        try {
            jpeg = JpegDecoding.parse(get(c, JPEG_DECODER));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("image.jpeg-decoder: " + e.getMessage());
        }
        InferenceSettings settings = new InferenceSettings(
                get(c, MODEL), device, threads, maxBatch, maxDelay, inFlight, ahead, topK, maxPixels, jpeg);
        return new InferenceJobSpec(
                get(c, BOOTSTRAP_SERVERS), input, results, dead, metrics, get(c, GROUP_ID), offsets, get(c, BOUNDED),
                guarantee, prefix, txTimeout, get(c, CHECK_TOPICS), Map.copyOf(config.kafkaProperties()), settings,
                capacity == 0 ? minCapacity : capacity, timeout, get(c, ASYNC_ORDERED), window, get(c, JOB_NAME),
                parallelism, checkpoint, get(c, CHECKPOINT_DIR).strip());
    }

    /** Like the record's own, but Kafka properties that hold secrets are masked. */
    @Override
    public String toString() {
        return "InferenceJobSpec[bootstrapServers=" + bootstrapServers + ", inputTopic=" + inputTopic + ", resultsTopic="
                + resultsTopic + ", deadLetterTopic=" + deadLetterTopic + ", metricsTopic=" + metricsTopic + ", groupId=" + groupId
                + ", deliveryGuarantee=" + deliveryGuarantee + ", kafkaProperties=" + KafkaPropertiesLog.render(kafkaProperties)
                + ", inference=" + inference + ", asyncCapacity=" + asyncCapacity + ", asyncTimeout=" + asyncTimeout
                + ", parallelism=" + parallelism + ", checkpointInterval=" + checkpointInterval + ", checkpointDir=" + checkpointDir + "]";
    }

    private static DeliveryGuarantee guarantee(String text) {
        return switch (text.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
            case "at-least-once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            case "none" -> DeliveryGuarantee.NONE;
            default -> throw new ConfigException(
                    "kafka.delivery-guarantee=" + text + " is unknown: use exactly-once, at-least-once or none.");
        };
    }

    private static <T> T get(Configuration c, ConfigOption<T> option) {
        try {
            return c.get(option);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Option '" + option.key() + "' has a value that is not a valid "
                    + option.getClass().getSimpleName().replace("ConfigOption", "value") + ": " + rootMessage(e)
                    + " (e.g. " + option.key() + ": " + option.defaultValue() + ").");
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static void check(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new ConfigException(String.format(Locale.ROOT, format, args));
        }
    }
}
