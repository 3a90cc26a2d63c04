package io.mlpstream.sql;

import io.mlpstream.flink.InferenceOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.api.config.MLPredictRuntimeConfigOptions;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The options of {@code CREATE MODEL ... WITH ('provider' = 'mlpstream', ...)}: the operator's own {@link
 * InferenceOptions} (the same keys as the DataStream API and the Kafka job), and {@link #ON_ERROR}, which only SQL has
 * (the DataStream API has a failure side output, the Kafka job a dead-letter topic).
 */
public final class ModelOptions {
    private ModelOptions() {}

    public static final ConfigOption<OnError> ON_ERROR = ConfigOptions.key("on-error")
            .enumType(OnError.class)
            .defaultValue(OnError.FAIL)
            .withDescription("What a row whose image cannot be tagged (bad bytes, too many pixels, ...) becomes: 'fail' "
                    + "fails the job; 'null' keeps the row with NULL predictions and the reason in an optional OUTPUT "
                    + "column 'error STRING'.");

    /** Required: which model. */
    public static List<ConfigOption<?>> required() {
        return List.of(InferenceOptions.MODEL_NAME);
    }

    /** Optional: the operator's options that SQL does not set per query, and {@link #ON_ERROR}. */
    public static List<ConfigOption<?>> optional() {
        return List.of(
                InferenceOptions.MODEL_DEVICE, InferenceOptions.MODEL_INTRA_OP_THREADS,
                InferenceOptions.BATCH_MAX_SIZE, InferenceOptions.BATCH_MAX_DELAY, InferenceOptions.BATCH_MAX_IN_FLIGHT,
                InferenceOptions.BATCH_PREPROCESS_AHEAD,
                InferenceOptions.OUTPUT_TOP_K, InferenceOptions.IMAGE_MAX_PIXELS, InferenceOptions.IMAGE_JPEG_DECODER,
                ON_ERROR);
    }

    /**
     * The operator's options that belong to Flink's async operator, which in SQL the planner configures per query: each
     * with the ML_PREDICT config key and the job-wide option that set the same thing.
     */
    static final Map<ConfigOption<?>, PerQuery> PER_QUERY = Map.of(
            InferenceOptions.ASYNC_CAPACITY, new PerQuery(MLPredictRuntimeConfigOptions.ASYNC_MAX_CONCURRENT_OPERATIONS,
                    ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_MAX_CONCURRENT_OPERATIONS,
                    capacity -> capacity.strip().equals("0") ? "<batch.max-size x (batch.max-in-flight + 1)>" : capacity),
            InferenceOptions.ASYNC_TIMEOUT, new PerQuery(MLPredictRuntimeConfigOptions.ASYNC_TIMEOUT,
                    ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_TIMEOUT, UnaryOperator.identity()),
            InferenceOptions.ASYNC_ORDERED, new PerQuery(MLPredictRuntimeConfigOptions.ASYNC_OUTPUT_MODE,
                    ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_OUTPUT_MODE,
                    ordered -> Boolean.parseBoolean(ordered.strip()) ? "ORDERED" : "ALLOW_UNORDERED"));

    /**
     * Where SQL sets an async operator option: ML_PREDICT's config map, or the job-wide default; {@code value} turns
     * the operator option's value into theirs.
     */
    record PerQuery(ConfigOption<?> mapKey, ConfigOption<?> tableOption, UnaryOperator<String> value) {
        /** How to say {@code operatorValue} in SQL, per query or job-wide. */
        String hint(String operatorValue) {
            String v = value.apply(operatorValue);
            return "ML_PREDICT(..., MAP['" + mapKey.key() + "', '" + v + "']) or SET '" + tableOption.key() + "' = '" + v + "'";
        }
    }
}
