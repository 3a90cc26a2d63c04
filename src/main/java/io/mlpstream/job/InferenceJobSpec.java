package io.mlpstream.job;

import io.mlpstream.flink.ImageInference;
import io.mlpstream.flink.InferenceOptions;
import io.mlpstream.flink.InferenceSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import static io.mlpstream.job.InferenceJobOptions.*;

/**
 * The job's options, typed and validated together: {@link #from} rejects combinations that would misbehave at run time
 * with a sentence naming the values and what would be right. One field per option, of the same name in camel case; the
 * operator's options are in {@link #inference()}, validated by the operator's own builder.
 */
public record InferenceJobSpec(
        String kafkaBootstrapServers,
        String kafkaInputTopic,
        String kafkaWriterSchemasDir,
        String kafkaResultsTopic,
        String kafkaDeadLetterTopic,
        String kafkaMetricsTopic,
        String kafkaGroupId,
        String kafkaStartingOffsets,
        boolean kafkaBounded,
        DeliveryGuarantee kafkaDeliveryGuarantee,
        String kafkaTransactionalIdPrefix,
        Duration kafkaTransactionTimeout,
        boolean kafkaCheckTopics,
        Map<String, String> kafkaProperties,
        InferenceSettings inference,
        Duration metricsWindow,
        String jobName,
        int jobParallelism,
        int jobMaxParallelism,
        Duration jobCheckpointInterval,
        String jobCheckpointDir,
        String jobResumeFrom)
        implements Serializable {

    /** Reads and validates every option of a loaded config. */
    public static InferenceJobSpec from(JobConfig config) {
        Configuration c = config.toConfiguration();
        InferenceSettings inference;
        try {
            inference = ImageInference.builder().configure(c).settings();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        Duration checkpoint = get(c, JOB_CHECKPOINT_INTERVAL);
        Duration txTimeout = get(c, KAFKA_TRANSACTION_TIMEOUT);
        int parallelism = get(c, JOB_PARALLELISM);
        check(parallelism >= 0, "job.parallelism=%d must be 0 (environment default) or positive.", parallelism);
        int maxParallelism = get(c, JOB_MAX_PARALLELISM);
        check(maxParallelism >= 1 && maxParallelism <= 32768,
                "job.max-parallelism=%d is out of range: use 1 to 32768 (keep the value a job was first started with).",
                maxParallelism);
        check(parallelism <= maxParallelism, "job.parallelism=%d exceeds job.max-parallelism=%d: lower job.parallelism (or, "
                + "for a job without savepoints to keep, raise job.max-parallelism).", parallelism, maxParallelism);
        Duration window = get(c, METRICS_WINDOW);
        check(window.toMillis() >= 100, "metrics.window=%s is too short: use at least 100 ms.", window);

        DeliveryGuarantee guarantee = guarantee(get(c, KAFKA_DELIVERY_GUARANTEE));
        String prefix = get(c, KAFKA_TRANSACTIONAL_ID_PREFIX);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            check(prefix != null && !prefix.isBlank(),
                    "kafka.delivery-guarantee=exactly-once requires kafka.transactional-id-prefix (unique per job).");
            check(checkpoint.toMillis() > 0,
                    "kafka.delivery-guarantee=exactly-once commits on checkpoints: set job.checkpoint-interval above 0.");
            check(txTimeout.compareTo(checkpoint.multipliedBy(2)) > 0,
                    "kafka.transaction-timeout=%s must be well above job.checkpoint-interval=%s (at least twice, plus restart time), "
                            + "or open transactions are aborted before they commit.", txTimeout, checkpoint);
        }
        String offsets = get(c, KAFKA_STARTING_OFFSETS).toLowerCase(Locale.ROOT);
        check(offsets.equals("committed") || offsets.equals("earliest") || offsets.equals("latest"),
                "kafka.starting-offsets=%s is unknown: use committed, earliest or latest.", offsets);
        String input = get(c, KAFKA_INPUT_TOPIC);
        String results = get(c, KAFKA_RESULTS_TOPIC);
        String dead = get(c, KAFKA_DEAD_LETTER_TOPIC);
        String metrics = get(c, KAFKA_METRICS_TOPIC);
        check(!input.equals(results) && !input.equals(dead) && !input.equals(metrics),
                "kafka.input-topic=%s must differ from the results, dead-letter and metrics topics, or the job would read its own output.", input);
        String resumeFrom = get(c, JOB_RESUME_FROM).strip();
        check(!resumeFrom.isEmpty(), "job.resume-from is empty: use latest, none, or the path of a checkpoint or savepoint.");
        return new InferenceJobSpec(
                get(c, KAFKA_BOOTSTRAP_SERVERS), input, get(c, KAFKA_WRITER_SCHEMAS_DIR).strip(), results, dead, metrics,
                get(c, KAFKA_GROUP_ID), offsets, get(c, KAFKA_BOUNDED),
                guarantee, prefix, txTimeout, get(c, KAFKA_CHECK_TOPICS), Map.copyOf(config.kafkaProperties()), inference,
                window, get(c, JOB_NAME), parallelism, maxParallelism, checkpoint, get(c, JOB_CHECKPOINT_DIR).strip(), resumeFrom);
    }

    /** job.resume-from=latest: resume from the newest checkpoint an earlier run left. */
    public static final String RESUME_LATEST = "latest";
    /** job.resume-from=none: always start from kafka.starting-offsets. */
    public static final String RESUME_NONE = "none";

    /** Like the record's own, but Kafka properties that hold secrets are masked. */
    @Override
    public String toString() {
        return "InferenceJobSpec[kafkaBootstrapServers=" + kafkaBootstrapServers + ", kafkaInputTopic=" + kafkaInputTopic
                + ", kafkaWriterSchemasDir=" + kafkaWriterSchemasDir
                + ", kafkaResultsTopic=" + kafkaResultsTopic + ", kafkaDeadLetterTopic=" + kafkaDeadLetterTopic
                + ", kafkaMetricsTopic=" + kafkaMetricsTopic + ", kafkaGroupId=" + kafkaGroupId
                + ", kafkaDeliveryGuarantee=" + kafkaDeliveryGuarantee + ", kafkaProperties=" + KafkaPropertiesLog.render(kafkaProperties)
                + ", inference=" + inference + ", jobParallelism=" + jobParallelism + ", jobMaxParallelism=" + jobMaxParallelism
                + ", jobCheckpointInterval=" + jobCheckpointInterval + ", jobCheckpointDir=" + jobCheckpointDir
                + ", jobResumeFrom=" + jobResumeFrom + "]";
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
            throw new ConfigException(InferenceOptions.unparsable(option, e));
        }
    }

    private static void check(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new ConfigException(String.format(Locale.ROOT, format, args));
        }
    }
}
