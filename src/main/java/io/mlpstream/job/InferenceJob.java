package io.mlpstream.job;

import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.flink.ImageInference;
import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.metrics.LatencyMerge;
import io.mlpstream.job.metrics.LatencyPartials;
import io.mlpstream.job.metrics.LatencyReportFunction;
import io.mlpstream.job.metrics.LatencySample;
import io.mlpstream.job.metrics.ResultLatencies;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.ImageEventCodec;
import io.mlpstream.job.serde.ImageEventImages;
import io.mlpstream.job.serde.ImageEventSchemas;
import io.mlpstream.job.serde.KafkaRecord;
import io.mlpstream.job.serde.KafkaRecordDeserializer;
import io.mlpstream.job.serde.LatencyReportSerializer;
import io.mlpstream.job.serde.TaggedImageSerializer;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Wires the Kafka tagging job on the public operator API: Kafka source → {@link ImageInference} → results, dead-letter
 * and latency-metrics Kafka sinks. Every operator has a stable uid so savepoints survive changes.
 */
public final class InferenceJob {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceJob.class);

    public static final String UID_SOURCE = "kafka-source";
    public static final String UID_INFERENCE = "batching-inference";
    public static final String UID_RESULTS_SINK = "results-sink";
    public static final String UID_DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String UID_RESULT_LATENCIES = "result-latencies";
    public static final String UID_FAILURE_LATENCIES = "failure-latencies";
    public static final String UID_OUTCOME_TIMESTAMPS = "outcome-timestamps";
    public static final String UID_LATENCY_PARTIALS = "latency-partials";
    public static final String UID_METRICS_WINDOW = "latency-window-merge";
    public static final String UID_METRICS_SINK = "metrics-sink";

    private InferenceJob() {}

    /** What the inference stage gives the sinks: predictions and failures of the input records. */
    public record Inferred(DataStream<Prediction<KafkaRecord>> predictions, DataStream<InferenceFailure<KafkaRecord>> failures) {}

    /**
     * How records become predictions and failures; the default is the micro-batching operator. {@code images} gets the
     * image of each record: it decodes the ImageEvent and validates it for the served model and the results topic.
     */
    @FunctionalInterface
    public interface InferenceStage extends Serializable {
        Inferred apply(DataStream<KafkaRecord> records, InferenceJobSpec spec, ImageEventImages images);
    }

    /** The production inference stage: {@link ImageInference} over the records' Avro ImageEvents. */
    public static final InferenceStage MICRO_BATCHED = (records, spec, images) -> {
        ImageInference<KafkaRecord> inference = ImageInference.<KafkaRecord>builder(spec.inference())
                .imageBytes(images)
                .uid(UID_INFERENCE)
                .build();
        SingleOutputStreamOperator<Prediction<KafkaRecord>> predictions = inference.apply(records);
        return new Inferred(predictions, predictions.getSideOutput(inference.failures()));
    };

    /**
     * Adds the job to {@code env}, its sinks keeping every record within {@code limits} (from {@link TopicPreflight});
     * checks the model and the writer schemas on the client first, so either fails before submission.
     */
    public static void build(StreamExecutionEnvironment env, InferenceJobSpec spec, RecordSizeLimits limits) {
        build(env, spec, limits, MICRO_BATCHED, UnaryOperator.identity(), UnaryOperator.identity());
    }

    /** The job for topics with Kafka's default record size limit (no {@link TopicPreflight}: demo, tests). */
    public static void build(StreamExecutionEnvironment env, InferenceJobSpec spec) {
        build(env, spec, assumedLimits(spec), MICRO_BATCHED, UnaryOperator.identity(), UnaryOperator.identity());
    }

    /** The same job around another inference stage (benchmark baselines compare against the production one). */
    public static void build(StreamExecutionEnvironment env, InferenceJobSpec spec, InferenceStage stage) {
        build(env, spec, assumedLimits(spec), stage, UnaryOperator.identity(), UnaryOperator.identity());
    }

    /**
     * The job with taps around the inference operator, for tests only: {@code beforeInference} gets the source's stream
     * and {@code afterInference} the predictions (both chained to the operator when they add only maps), e.g. to count
     * the records the operator holds or to inject a failure. Production code uses the identity taps.
     */
    static void build(StreamExecutionEnvironment env, InferenceJobSpec spec,
                      UnaryOperator<DataStream<KafkaRecord>> beforeInference,
                      UnaryOperator<DataStream<Prediction<KafkaRecord>>> afterInference) {
        build(env, spec, assumedLimits(spec), MICRO_BATCHED, beforeInference, afterInference);
    }

    /** Limits with Kafka's default {@code max.message.bytes} and the producer's settings of {@code spec}. */
    static RecordSizeLimits assumedLimits(InferenceJobSpec spec) {
        return RecordSizeLimits.assumed(spec.kafkaProperties(), "not read from the topics");
    }

    /**
     * Our ImageEvent schemas plus those in {@code kafka.writer-schemas-dir}.
     *
     * @throws ConfigException naming the directory or file if one is unreadable or incompatible
     */
    static ImageEventSchemas writerSchemas(InferenceJobSpec spec) {
        ImageEventSchemas ours = ImageEventSchemas.ours();
        if (spec.kafkaWriterSchemasDir().isEmpty()) {
            return ours;
        }
        try {
            return ours.withDirectory(Path.of(spec.kafkaWriterSchemasDir()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(InferenceJobOptions.KAFKA_WRITER_SCHEMAS_DIR.key() + "=" + spec.kafkaWriterSchemasDir()
                    + ": " + e.getMessage());
        }
    }

    private static void build(StreamExecutionEnvironment env, InferenceJobSpec spec, RecordSizeLimits limits,
                              InferenceStage stage, UnaryOperator<DataStream<KafkaRecord>> beforeInference,
                              UnaryOperator<DataStream<Prediction<KafkaRecord>>> afterInference) {
        ModelCard card = ModelSource.load(spec.inference().modelName()).card();
        String modelName = card.name();
        ImageEventSchemas schemas = writerSchemas(spec);
        LOG.info("Reading ImageEvents written with these schemas (fingerprint as on the wire): {}",
                String.join(", ", schemas.describe()));
        LOG.info("Sinks' {}", limits.describe());
        ImageEventCodec codec = new ImageEventCodec(schemas);
        if (spec.jobParallelism() > 0) {
            env.setParallelism(spec.jobParallelism());
        }
        env.setMaxParallelism(spec.jobMaxParallelism());
        // No operator of this job changes or keeps a record it has emitted or received (the async operator copies its
        // inputs itself when objects are reused), so chained operators may pass records on without a copy.
        env.getConfig().enableObjectReuse();
        if (spec.jobCheckpointInterval().toMillis() > 0) {
            env.enableCheckpointing(spec.jobCheckpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        JobCheckpoints.configure(env, spec);
        if (!spec.kafkaProperties().isEmpty()) {
            LOG.info("Kafka client properties passed through: {}", KafkaPropertiesLog.render(spec.kafkaProperties()));
        }
        if (spec.kafkaDeliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
            Properties sinks = sinkProperties(spec);
            Map<String, String> batching = new TreeMap<>();
            EXACTLY_ONCE_PRODUCER_DEFAULTS.keySet().forEach(k -> batching.put(k, sinks.getProperty(k)));
            LOG.info("Sinks' producers under exactly-once: {} (kafka.properties.* sets them otherwise)", batching);
        }

        DataStream<KafkaRecord> records = beforeInference.apply(env.fromSource(
                source(spec), WatermarkStrategy.noWatermarks(), "kafka: " + spec.kafkaInputTopic()).uid(UID_SOURCE));
        Inferred inferred = stage.apply(records, spec, new ImageEventImages(modelName, codec, limits.results()));
        DataStream<Prediction<KafkaRecord>> predictions = afterInference.apply(inferred.predictions());

        predictions.sinkTo(sink(spec, "results", new TaggedImageSerializer(spec.kafkaResultsTopic(), codec, limits.results())))
                .uid(UID_RESULTS_SINK)
                .name("kafka: " + spec.kafkaResultsTopic());
        inferred.failures()
                .sinkTo(sink(spec, "dead-letters", new DeadLetterSerializer(spec.kafkaDeadLetterTopic(), limits.deadLetters())))
                .uid(UID_DEAD_LETTER_SINK)
                .name("kafka: " + spec.kafkaDeadLetterTopic());

        // Windows on the time each outcome was decided: event time so the last window fires at end of input.
        DataStream<LatencySample> results = predictions.map(new ResultLatencies(modelName, card.versionOrDefault()))
                .uid(UID_RESULT_LATENCIES).name("result latencies");
        DataStream<LatencySample> failures = inferred.failures().map(f -> LatencySample.failure(f.getFailedAtMs()))
                .uid(UID_FAILURE_LATENCIES).name("failure latencies");
        results.union(failures)
                .assignTimestampsAndWatermarks(WatermarkStrategy.<LatencySample>forBoundedOutOfOrderness(Duration.ofSeconds(1))
                        .withTimestampAssigner((s, ts) -> s.decidedAtMs))
                .uid(UID_OUTCOME_TIMESTAMPS)
                // each subtask summarises its own outcomes per window; only the summaries meet in the one window task
                .transform("latency summaries", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO,
                        new LatencyPartials(spec.metricsWindow()))
                .uid(UID_LATENCY_PARTIALS)
                .windowAll(TumblingEventTimeWindows.of(spec.metricsWindow()))
                .aggregate(new LatencyMerge(), new LatencyReportFunction(modelName),
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO,
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                .uid(UID_METRICS_WINDOW)
                .name("latency percentiles")
                .sinkTo(sink(spec, "metrics", new LatencyReportSerializer(spec.kafkaMetricsTopic(), modelName, limits.metrics())))
                // one writer, chained to the one window at every job.parallelism: its state then keeps the same max
                // parallelism (1) whatever the parallelism, so savepoints and retained checkpoints restore at any
                .setParallelism(1)
                .uid(UID_METRICS_SINK)
                .name("kafka: " + spec.kafkaMetricsTopic());
    }

    private static KafkaSource<KafkaRecord> source(InferenceJobSpec spec) {
        KafkaSourceBuilder<KafkaRecord> builder = KafkaSource.<KafkaRecord>builder()
                .setProperties(properties(spec))
                .setBootstrapServers(spec.kafkaBootstrapServers())
                .setTopics(spec.kafkaInputTopic())
                .setGroupId(spec.kafkaGroupId())
                .setDeserializer(new KafkaRecordDeserializer())
                .setStartingOffsets(switch (spec.kafkaStartingOffsets()) {
                    case "earliest" -> OffsetsInitializer.earliest();
                    case "latest" -> OffsetsInitializer.latest();
                    default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                })
                .setProperty("isolation.level", "read_committed");
        if (spec.kafkaBounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /**
     * Producer settings of the sinks under exactly-once unless {@code kafka.properties.*} sets them. Records then become
     * visible at the checkpoint's commit, which flushes whatever lingers, so waiting longer to send fewer, larger
     * batches costs no visible latency; under the other guarantees every record is visible once sent, and Kafka's
     * defaults stay.
     */
    static final Map<String, String> EXACTLY_ONCE_PRODUCER_DEFAULTS = Map.of("linger.ms", "50", "batch.size", "262144");

    /** The sinks' producer properties: {@code kafka.properties.*} over {@link #EXACTLY_ONCE_PRODUCER_DEFAULTS} when they apply. */
    static Properties sinkProperties(InferenceJobSpec spec) {
        Properties props = new Properties();
        if (spec.kafkaDeliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
            props.putAll(EXACTLY_ONCE_PRODUCER_DEFAULTS);
        }
        props.putAll(spec.kafkaProperties());
        return props;
    }

    private static <T> KafkaSink<T> sink(InferenceJobSpec spec, String name, KafkaRecordSerializationSchema<T> serializer) {
        return KafkaSink.<T>builder()
                .setKafkaProducerConfig(sinkProperties(spec))
                .setBootstrapServers(spec.kafkaBootstrapServers())
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(spec.kafkaDeliveryGuarantee())
                .setTransactionalIdPrefix(spec.kafkaTransactionalIdPrefix() + "-" + name)
                .setProperty("transaction.timeout.ms", Long.toString(spec.kafkaTransactionTimeout().toMillis()))
                .build();
    }

    private static Properties properties(InferenceJobSpec spec) {
        Properties props = new Properties();
        props.putAll(spec.kafkaProperties());
        return props;
    }
}
