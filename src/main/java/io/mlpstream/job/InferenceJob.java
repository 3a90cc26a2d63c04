package io.mlpstream.job;

import io.mlpstream.metrics.LatencyAggregate;
import io.mlpstream.metrics.LatencyReportFunction;
import io.mlpstream.metrics.LatencySamples;
import io.mlpstream.model.ModelSource;
import io.mlpstream.operator.BatchingInferenceFunction;
import io.mlpstream.operator.DeadLetter;
import io.mlpstream.operator.Outcome;
import io.mlpstream.operator.OutcomeRouter;
import io.mlpstream.operator.TaggedResult;
import io.mlpstream.serde.DeadLetterSerializer;
import io.mlpstream.serde.KafkaRecord;
import io.mlpstream.serde.KafkaRecordDeserializer;
import io.mlpstream.serde.LatencyReportSerializer;
import io.mlpstream.serde.TaggedImageSerializer;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Wires the tagging job: Kafka source → micro-batching async inference → results / dead-letter /
 * latency-metrics Kafka sinks. Every stateful operator has a stable uid so savepoints survive changes.
 */
public final class InferenceJob {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceJob.class);

    public static final String UID_SOURCE = "kafka-source";
    public static final String UID_INFERENCE = "batching-inference";
    public static final String UID_ROUTER = "outcome-router";
    public static final String UID_RESULTS_SINK = "results-sink";
    public static final String UID_DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String UID_OUTCOME_TIMESTAMPS = "outcome-timestamps";
    public static final String UID_METRICS_WINDOW = "latency-window";
    public static final String UID_METRICS_SINK = "metrics-sink";

    private InferenceJob() {}

    /** How records become outcomes; the default is the micro-batching async operator. */
    @FunctionalInterface
    public interface InferenceStage extends java.io.Serializable {
        SingleOutputStreamOperator<Outcome> apply(DataStream<KafkaRecord> records, InferenceJobSpec spec);
    }

    /** The production inference stage: {@link BatchingInferenceFunction} under Flink's async I/O operator. */
    public static final InferenceStage MICRO_BATCHED_ASYNC = (records, spec) -> {
        BatchingInferenceFunction function = new BatchingInferenceFunction(spec.inference());
        long timeoutMs = spec.asyncTimeout().toMillis();
        return spec.ordered()
                ? AsyncDataStream.orderedWait(records, function, timeoutMs, TimeUnit.MILLISECONDS, spec.asyncCapacity())
                : AsyncDataStream.unorderedWait(records, function, timeoutMs, TimeUnit.MILLISECONDS, spec.asyncCapacity());
    };

    /** Adds the job to {@code env}; checks the model on the client first so a bad model fails before submission. */
    public static void build(StreamExecutionEnvironment env, InferenceJobSpec spec) {
        build(env, spec, MICRO_BATCHED_ASYNC, UnaryOperator.identity(), UnaryOperator.identity());
    }

    /** The same job around another inference stage (benchmark baselines compare against the production one). */
    public static void build(StreamExecutionEnvironment env, InferenceJobSpec spec, InferenceStage stage) {
        build(env, spec, stage, UnaryOperator.identity(), UnaryOperator.identity());
    }

    /**
     * The job with taps around the inference operator, for tests only: {@code beforeInference} gets the
     * source's stream and {@code afterInference} the async operator's outcomes (both chained to it when
     * they add only maps), e.g. to count the records the async operator holds or to inject a failure.
     * Whatever they return feeds the next stage; production code uses the identity taps.
     */
    static void build(StreamExecutionEnvironment env, InferenceJobSpec spec,
                      UnaryOperator<DataStream<KafkaRecord>> beforeInference,
                      UnaryOperator<DataStream<Outcome>> afterInference) {
        build(env, spec, MICRO_BATCHED_ASYNC, beforeInference, afterInference);
    }

    private static void build(StreamExecutionEnvironment env, InferenceJobSpec spec, InferenceStage stage,
                              UnaryOperator<DataStream<KafkaRecord>> beforeInference,
                              UnaryOperator<DataStream<Outcome>> afterInference) {
        String modelName = ModelSource.load(spec.inference().model()).card().name();
        if (spec.parallelism() > 0) {
            env.setParallelism(spec.parallelism());
        }
        if (spec.checkpointInterval().toMillis() > 0) {
            env.enableCheckpointing(spec.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        if (!spec.checkpointDir().isEmpty()) {
            Configuration storage = new Configuration();
            storage.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            storage.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, spec.checkpointDir());
            env.configure(storage);
        }
        if (!spec.kafkaProperties().isEmpty()) {
            LOG.info("Kafka client properties passed through: {}", KafkaPropertiesLog.render(spec.kafkaProperties()));
        }

        DataStream<KafkaRecord> records = beforeInference.apply(
                env.fromSource(source(spec), WatermarkStrategy.noWatermarks(), "kafka: " + spec.inputTopic()).uid(UID_SOURCE));

        SingleOutputStreamOperator<Outcome> inferred = stage.apply(records, spec);
        inferred.uid(UID_INFERENCE).name("inference: " + modelName);
        DataStream<Outcome> outcomes = afterInference.apply(inferred);

        SingleOutputStreamOperator<TaggedResult> tagged = outcomes.process(new OutcomeRouter()).uid(UID_ROUTER).name("route outcomes");
        tagged.sinkTo(sink(spec, "results", new TaggedImageSerializer(spec.resultsTopic())))
                .uid(UID_RESULTS_SINK)
                .name("kafka: " + spec.resultsTopic());
        DataStream<DeadLetter> deadLetters = tagged.getSideOutput(OutcomeRouter.DEAD_LETTERS);
        deadLetters.sinkTo(sink(spec, "dead-letters", new DeadLetterSerializer(spec.deadLetterTopic())))
                .uid(UID_DEAD_LETTER_SINK)
                .name("kafka: " + spec.deadLetterTopic());

        // Windows on the time each outcome was decided: event time so the last window fires at end of input.
        outcomes.assignTimestampsAndWatermarks(WatermarkStrategy.<Outcome>forBoundedOutOfOrderness(Duration.ofSeconds(1))
                        .withTimestampAssigner((o, ts) -> o.decidedAtMs()))
                .uid(UID_OUTCOME_TIMESTAMPS)
                .windowAll(TumblingEventTimeWindows.of(spec.metricsWindow()))
                .aggregate(new LatencyAggregate(), new LatencyReportFunction(modelName),
                        TypeInformation.of(LatencySamples.class), TypeInformation.of(LatencySamples.class),
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                .uid(UID_METRICS_WINDOW)
                .name("latency percentiles")
                .sinkTo(sink(spec, "metrics", new LatencyReportSerializer(spec.metricsTopic(), modelName)))
                .uid(UID_METRICS_SINK)
                .name("kafka: " + spec.metricsTopic());
    }

    private static KafkaSource<KafkaRecord> source(InferenceJobSpec spec) {
        KafkaSourceBuilder<KafkaRecord> builder = KafkaSource.<KafkaRecord>builder()
                .setProperties(properties(spec))
                .setBootstrapServers(spec.bootstrapServers())
                .setTopics(spec.inputTopic())
                .setGroupId(spec.groupId())
                .setDeserializer(new KafkaRecordDeserializer())
                .setStartingOffsets(switch (spec.startingOffsets()) {
                    case "earliest" -> OffsetsInitializer.earliest();
                    case "latest" -> OffsetsInitializer.latest();
                    default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                })
                .setProperty("isolation.level", "read_committed");
        if (spec.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    private static <T> KafkaSink<T> sink(InferenceJobSpec spec, String name, KafkaRecordSerializationSchema<T> serializer) {
        return KafkaSink.<T>builder()
                .setKafkaProducerConfig(properties(spec))
                .setBootstrapServers(spec.bootstrapServers())
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(spec.deliveryGuarantee())
                .setTransactionalIdPrefix(spec.transactionalIdPrefix() + "-" + name)
                .setProperty("transaction.timeout.ms", Long.toString(spec.transactionTimeout().toMillis()))
                .build();
    }

    private static Properties properties(InferenceJobSpec spec) {
        Properties props = new Properties();
        props.putAll(spec.kafkaProperties());
        return props;
    }
}
