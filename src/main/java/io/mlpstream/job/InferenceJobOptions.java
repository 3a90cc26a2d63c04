package io.mlpstream.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;
import java.util.List;

/**
 * Every option of the tagging job, with its default and what it means, in one place. Set them in a
 * YAML file under {@code jobs/} and override any on the command line with {@code --set key=value}.
 * Raw Kafka client properties pass through as {@code kafka.properties.<name>}.
 */
public final class InferenceJobOptions {
    private InferenceJobOptions() {}

    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("kafka.bootstrap-servers")
            .stringType()
            .defaultValue("localhost:9092")
            .withDescription("Kafka bootstrap servers, host:port[,host:port].");
    public static final ConfigOption<String> INPUT_TOPIC = ConfigOptions.key("kafka.input-topic")
            .stringType()
            .defaultValue("images")
            .withDescription("Topic of Avro ImageEvent records to tag.");
    public static final ConfigOption<String> RESULTS_TOPIC = ConfigOptions.key("kafka.results-topic")
            .stringType()
            .defaultValue("tags")
            .withDescription("Topic for Avro TaggedImage results (key: event id).");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key("kafka.dead-letter-topic")
            .stringType()
            .defaultValue("dead-letter")
            .withDescription("Topic for events that could not be tagged: original bytes + mlpstream.errors.* headers.");
    public static final ConfigOption<String> METRICS_TOPIC = ConfigOptions.key("kafka.metrics-topic")
            .stringType()
            .defaultValue("inference-metrics")
            .withDescription("Topic for windowed Avro LatencyReport records.");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("kafka.group-id")
            .stringType()
            .defaultValue("mlpstream")
            .withDescription("Consumer group id of the source (offsets are committed on checkpoints).");
    public static final ConfigOption<String> STARTING_OFFSETS = ConfigOptions.key("kafka.starting-offsets")
            .stringType()
            .defaultValue("committed")
            .withDescription("Where a fresh job starts reading: committed (the group's offsets, else earliest), earliest or latest.");
    public static final ConfigOption<Boolean> BOUNDED = ConfigOptions.key("kafka.bounded")
            .booleanType()
            .defaultValue(false)
            .withDescription("Stop at the input's latest offsets as of job start (batch-style runs and tests).");
    public static final ConfigOption<String> DELIVERY_GUARANTEE = ConfigOptions.key("kafka.delivery-guarantee")
            .stringType()
            .defaultValue("exactly-once")
            .withDescription("exactly-once (transactional sinks; read results with isolation.level=read_committed), "
                    + "at-least-once or none.");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("kafka.transactional-id-prefix")
            .stringType()
            .defaultValue("mlpstream")
            .withDescription("Prefix of the sinks' transactional ids; must be unique per job on a cluster.");
    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("kafka.transaction-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDescription("Producer transaction.timeout.ms: at most the brokers' transaction.max.timeout.ms (15 min by default; "
                    + "checked before submission with kafka.check-topics), well above checkpoint interval + restart time.");
    public static final ConfigOption<Boolean> CHECK_TOPICS = ConfigOptions.key("kafka.check-topics")
            .booleanType()
            .defaultValue(true)
            .withDescription("Before submitting, check that the four topics exist and that the brokers accept kafka.transaction-timeout "
                    + "(exactly-once), and fail with one clear line if not.");

    public static final ConfigOption<String> MODEL = ConfigOptions.key("model.name")
            .stringType()
            .defaultValue("mixer-digits")
            .withDescription("A bundled model name, or a directory holding model.json + its ONNX file (on every TaskManager).");
    public static final ConfigOption<String> DEVICE = ConfigOptions.key("model.device")
            .stringType()
            .defaultValue("auto")
            .withDescription("auto (CUDA when the gpu build finds a GPU, else CPU), cpu, or cuda:N.");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = ConfigOptions.key("model.intra-op-threads")
            .intType()
            .defaultValue(1)
            .withDescription("ONNX Runtime intra-op threads per model run; 0 = one per core. Every subtask runs up to "
                    + "batch.max-in-flight batches at once on the shared session, so keep parallelism x max-in-flight x threads "
                    + "near the core count.");

    public static final ConfigOption<Integer> MAX_BATCH_SIZE = ConfigOptions.key("batch.max-size")
            .intType()
            .defaultValue(32)
            .withDescription("A batch is due as soon as it holds this many images.");
    public static final ConfigOption<Duration> MAX_BATCH_DELAY = ConfigOptions.key("batch.max-delay")
            .durationType()
            .defaultValue(Duration.ofMillis(10))
            .withDescription("...or this long after its first image arrived, whichever comes first. A due batch starts when "
                    + "one of the batch.max-in-flight slots is free; while all are busy it keeps growing up to batch.max-size "
                    + "(dynamic batching: batches grow with the load instead of queueing up).");
    public static final ConfigOption<Integer> MAX_IN_FLIGHT_BATCHES = ConfigOptions.key("batch.max-in-flight")
            .intType()
            .defaultValue(2)
            .withDescription("Batches processed at once per subtask (preprocessing and result handling of one overlap inference "
                    + "of another). 2 suits small models, whose batches are cheap next to the Kafka and Flink work around them; "
                    + "for compute-bound models use 1 when parallelism x max-in-flight exceeds the cores "
                    + "(mixer-s16 on 2 cores, 1,000-event runs: pipeline 0.93-0.94 of raw ORT with 1, 0.65-0.85 with 2; "
                    + "BENCHMARKS.md).");

    public static final ConfigOption<Boolean> PREPROCESS_AHEAD = ConfigOptions.key("batch.preprocess-ahead")
            .booleanType()
            .defaultValue(false)
            .withDescription("Decode and preprocess the next batch while batch.max-in-flight batches are in the model (one more "
                    + "batch per subtask, which leaves as soon as it is due instead of growing while the model is busy). For "
                    + "inference that leaves CPU cores free (a GPU). Where ONNX Runtime already fills every core it gains nothing: "
                    + "the extra thread time-slices inference (mixer-s16 on 2 cores, bracketed runs: 0.78-0.91 of raw ORT with it, "
                    + "0.79-0.94 without; BENCHMARKS.md).");

    public static final ConfigOption<Integer> ASYNC_CAPACITY = ConfigOptions.key("async.capacity")
            .intType()
            .defaultValue(0)
            .withDescription("Records in flight in the async operator per subtask; 0 = batch.max-size x (batch.max-in-flight + 1), "
                    + "+ batch.max-size more with batch.preprocess-ahead.");
    public static final ConfigOption<Duration> ASYNC_TIMEOUT = ConfigOptions.key("async.timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("A record without a result after this long is dead-lettered with stage=timeout.");
    public static final ConfigOption<Boolean> ASYNC_ORDERED = ConfigOptions.key("async.ordered")
            .booleanType()
            .defaultValue(false)
            .withDescription("Emit results in input order (ordered) or as soon as ready (unordered, lower latency).");

    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("output.top-k")
            .intType()
            .defaultValue(3)
            .withDescription("Labels per result, best first.");
    public static final ConfigOption<Duration> METRICS_WINDOW = ConfigOptions.key("metrics.window")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Length of the windows whose latency percentiles go to the metrics topic.");
    public static final ConfigOption<Long> MAX_IMAGE_PIXELS = ConfigOptions.key("image.max-pixels")
            .longType()
            .defaultValue(89_478_485L)
            .withDescription("Images declaring more pixels are dead-lettered from the header, before decoding (Pillow's limit).");
    public static final ConfigOption<String> JPEG_DECODER = ConfigOptions.key("image.jpeg-decoder")
            .stringType()
            .defaultValue("auto")
            .withDescription("auto (TurboJPEG when the TaskManager has libturbojpeg.so.0, package libturbojpeg0: the same pixels "
                    + "as ImageIO, 16 % less preprocessing CPU per JPEG; else ImageIO), turbojpeg (fail without it), or imageio.");

    public static final ConfigOption<String> JOB_NAME = ConfigOptions.key("job.name")
            .stringType()
            .defaultValue("mlpstream image tagging")
            .withDescription("Flink job name.");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("job.parallelism")
            .intType()
            .defaultValue(0)
            .withDescription("Parallelism of the job; 0 = the environment's default.");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("job.checkpoint-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("Checkpoint interval; results become visible to read_committed readers at each checkpoint.");

    public static final ConfigOption<String> CHECKPOINT_DIR = ConfigOptions.key("job.checkpoint-dir")
            .stringType()
            .defaultValue("")
            .withDescription("Checkpoint directory (file:///..., s3://...); empty = the cluster's execution.checkpointing.dir. "
                    + "In-flight records (async.capacity x compressed image size per subtask) are in every checkpoint: "
                    + "Flink's in-memory default refuses more than 5 MB per task, e.g. 48 in-flight 120 KB JPEGs. "
                    + "Local runs (demo, standalone run) default to a temporary directory.");

    /** All options, in the order of the configuration reference. */
    public static List<ConfigOption<?>> all() {
        return List.of(
                BOOTSTRAP_SERVERS, INPUT_TOPIC, RESULTS_TOPIC, DEAD_LETTER_TOPIC, METRICS_TOPIC, GROUP_ID,
                STARTING_OFFSETS, BOUNDED, DELIVERY_GUARANTEE, TRANSACTIONAL_ID_PREFIX, TRANSACTION_TIMEOUT, CHECK_TOPICS,
                MODEL, DEVICE, INTRA_OP_THREADS,
                MAX_BATCH_SIZE, MAX_BATCH_DELAY, MAX_IN_FLIGHT_BATCHES, PREPROCESS_AHEAD,
                ASYNC_CAPACITY, ASYNC_TIMEOUT, ASYNC_ORDERED,
                TOP_K, METRICS_WINDOW, MAX_IMAGE_PIXELS, JPEG_DECODER,
                JOB_NAME, PARALLELISM, CHECKPOINT_INTERVAL, CHECKPOINT_DIR);
    }
}
