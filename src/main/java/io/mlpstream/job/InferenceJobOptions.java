package io.mlpstream.job;

import io.mlpstream.flink.InferenceOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every option of the Kafka tagging job that is not the operator's ({@link InferenceOptions}), with its default and what
 * it means, in one place; {@link #all()} lists both. Set them in a YAML file under {@code jobs/} and override any on the
 * command line with {@code --set key=value}. Raw Kafka client properties pass through as {@code kafka.properties.<name>}.
 */
public final class InferenceJobOptions {
    private InferenceJobOptions() {}

    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS = ConfigOptions.key("kafka.bootstrap-servers")
            .stringType()
            .defaultValue("localhost:9092")
            .withDescription("Kafka bootstrap servers, host:port[,host:port].");
    public static final ConfigOption<String> KAFKA_INPUT_TOPIC = ConfigOptions.key("kafka.input-topic")
            .stringType()
            .defaultValue("images")
            .withDescription("Topic of Avro ImageEvent records to tag.");
    public static final ConfigOption<String> KAFKA_WRITER_SCHEMAS_DIR = ConfigOptions.key("kafka.writer-schemas-dir")
            .stringType()
            .defaultValue("")
            .withDescription("Directory of further ImageEvent writer schemas (*.avsc) the input topic's producers use, besides "
                    + "the job's own (schemas/ImageEvent.avsc and its history). Each must be readable as the job's ImageEvent "
                    + "under Avro's schema resolution rules (checked before submission); a record in a schema the job does not "
                    + "know is dead-lettered with its fingerprint. Empty = the job's own schemas only.");
    public static final ConfigOption<String> KAFKA_RESULTS_TOPIC = ConfigOptions.key("kafka.results-topic")
            .stringType()
            .defaultValue("tags")
            .withDescription("Topic for Avro TaggedImage results (key: event id).");
    public static final ConfigOption<String> KAFKA_DEAD_LETTER_TOPIC = ConfigOptions.key("kafka.dead-letter-topic")
            .stringType()
            .defaultValue("dead-letter")
            .withDescription("Topic for events that could not be tagged: original bytes + mlpstream.errors.* headers.");
    public static final ConfigOption<String> KAFKA_METRICS_TOPIC = ConfigOptions.key("kafka.metrics-topic")
            .stringType()
            .defaultValue("inference-metrics")
            .withDescription("Topic for windowed Avro LatencyReport records.");
    public static final ConfigOption<String> KAFKA_GROUP_ID = ConfigOptions.key("kafka.group-id")
            .stringType()
            .defaultValue("mlpstream")
            .withDescription("Consumer group id of the source (offsets are committed on checkpoints).");
    public static final ConfigOption<String> KAFKA_STARTING_OFFSETS = ConfigOptions.key("kafka.starting-offsets")
            .stringType()
            .defaultValue("committed")
            .withDescription("Where a fresh job starts reading: committed (the group's offsets, else earliest), earliest or latest.");
    public static final ConfigOption<Boolean> KAFKA_BOUNDED = ConfigOptions.key("kafka.bounded")
            .booleanType()
            .defaultValue(false)
            .withDescription("Stop at the input's latest offsets as of job start (batch-style runs and tests).");
    public static final ConfigOption<String> KAFKA_DELIVERY_GUARANTEE = ConfigOptions.key("kafka.delivery-guarantee")
            .stringType()
            .defaultValue("exactly-once")
            .withDescription("exactly-once (transactional sinks; read results with isolation.level=read_committed), "
                    + "at-least-once or none.");
    public static final ConfigOption<String> KAFKA_TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("kafka.transactional-id-prefix")
            .stringType()
            .defaultValue("mlpstream")
            .withDescription("Prefix of the sinks' transactional ids; must be unique per job on a cluster.");
    public static final ConfigOption<Duration> KAFKA_TRANSACTION_TIMEOUT = ConfigOptions.key("kafka.transaction-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDescription("Producer transaction.timeout.ms: at most the brokers' transaction.max.timeout.ms (15 min by default; "
                    + "checked before submission with kafka.check-topics), well above checkpoint interval + restart time.");
    public static final ConfigOption<Boolean> KAFKA_CHECK_TOPICS = ConfigOptions.key("kafka.check-topics")
            .booleanType()
            .defaultValue(true)
            .withDescription("Before submitting, check that the four topics exist and that the brokers accept kafka.transaction-timeout "
                    + "(exactly-once), and fail with one clear line if not; read the output topics' max.message.bytes, so that "
                    + "no dead letter or result exceeds what its topic accepts (unchecked: Kafka's default 1 MB is assumed).");

    public static final ConfigOption<Duration> METRICS_WINDOW = ConfigOptions.key("metrics.window")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Length of the windows whose latency percentiles go to the metrics topic.");

    public static final ConfigOption<String> JOB_NAME = ConfigOptions.key("job.name")
            .stringType()
            .defaultValue("mlpstream image tagging")
            .withDescription("Flink job name.");
    public static final ConfigOption<Integer> JOB_PARALLELISM = ConfigOptions.key("job.parallelism")
            .intType()
            .defaultValue(0)
            .withDescription("Parallelism of the job; 0 = the environment's default.");
    public static final ConfigOption<Integer> JOB_MAX_PARALLELISM = ConfigOptions.key("job.max-parallelism")
            .intType()
            .defaultValue(128)
            .withDescription("The most subtasks any operator can ever be rescaled to; fixed for the job's lifetime, since "
                    + "savepoints and retained checkpoints only restore into the same value. Resume at any parallelism "
                    + "from 1 up to it.");
    public static final ConfigOption<Duration> JOB_CHECKPOINT_INTERVAL = ConfigOptions.key("job.checkpoint-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("Checkpoint interval; results become visible to read_committed readers at each checkpoint.");

    public static final ConfigOption<String> JOB_CHECKPOINT_DIR = ConfigOptions.key("job.checkpoint-dir")
            .stringType()
            .defaultValue("")
            .withDescription("Base directory of the job's checkpoints (file:///..., s3://...); the job writes into "
                    + "<job.checkpoint-dir>/<kafka.transactional-id-prefix>/ and keeps its last checkpoint when it is "
                    + "cancelled or crashes, for job.resume-from. Empty = the cluster's execution.checkpointing.dir, or, "
                    + "for the standalone jar's run, ~/.mlpstream/checkpoints. In-flight records (async.capacity "
                    + "compressed images per subtask) are in every checkpoint, so use a file system, not Flink's "
                    + "in-memory storage (5 MB per task).");
    public static final ConfigOption<String> JOB_RESUME_FROM = ConfigOptions.key("job.resume-from")
            .stringType()
            .defaultValue("latest")
            .withDescription("Where a submitted job starts: latest (the newest checkpoint its earlier runs left in its "
                    + "checkpoint directory, so records they held in flight are neither lost nor duplicated; a first "
                    + "run starts from kafka.starting-offsets), none (always from kafka.starting-offsets; records an "
                    + "earlier run held in flight are lost), or the path of a checkpoint or savepoint. Flink's own "
                    + "'flink run -s PATH' takes precedence.");

    /** All options, the operator's included, in the order of the configuration reference. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> all = new ArrayList<>(List.of(
                KAFKA_BOOTSTRAP_SERVERS, KAFKA_INPUT_TOPIC, KAFKA_WRITER_SCHEMAS_DIR, KAFKA_RESULTS_TOPIC, KAFKA_DEAD_LETTER_TOPIC,
                KAFKA_METRICS_TOPIC,
                KAFKA_GROUP_ID, KAFKA_STARTING_OFFSETS, KAFKA_BOUNDED, KAFKA_DELIVERY_GUARANTEE, KAFKA_TRANSACTIONAL_ID_PREFIX,
                KAFKA_TRANSACTION_TIMEOUT, KAFKA_CHECK_TOPICS));
        all.addAll(InferenceOptions.all());
        all.addAll(List.of(METRICS_WINDOW, JOB_NAME, JOB_PARALLELISM, JOB_MAX_PARALLELISM, JOB_CHECKPOINT_INTERVAL,
                JOB_CHECKPOINT_DIR, JOB_RESUME_FROM));
        return List.copyOf(all);
    }
}
