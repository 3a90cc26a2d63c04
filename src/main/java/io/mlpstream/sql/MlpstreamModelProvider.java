package io.mlpstream.sql;

import io.mlpstream.flink.InferenceOptions;
import io.mlpstream.flink.InferenceSettings;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.api.config.MLPredictRuntimeConfigOptions;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;

/**
 * The mlpstream model as the planner sees it: asynchronous only (rows are batched across calls, which a synchronous
 * per-row call cannot do). Before it hands out the predict function it checks the query's async settings against the
 * batch settings, since in SQL the planner, not the model, sizes Flink's async operator.
 */
final class MlpstreamModelProvider implements AsyncPredictRuntimeProvider {
    private final String model;
    private final InferenceSettings settings;
    private final OutputRow outputRow;
    private final boolean hasOrigin;
    private final OnError onError;
    /** table.exec.async-ml-predict.max-concurrent-operations of the session. */
    private final int sessionCapacity;
    /** table.exec.async-ml-predict.timeout of the session. */
    private final Duration sessionTimeout;

    MlpstreamModelProvider(String model, InferenceSettings settings, OutputRow outputRow, boolean hasOrigin, OnError onError,
            int sessionCapacity, Duration sessionTimeout) {
        this.model = model;
        this.settings = settings;
        this.outputRow = outputRow;
        this.hasOrigin = hasOrigin;
        this.onError = onError;
        this.sessionCapacity = sessionCapacity;
        this.sessionTimeout = sessionTimeout;
    }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(Context context) {
        ReadableConfig query = context.runtimeConfig();
        int capacity = query.getOptional(MLPredictRuntimeConfigOptions.ASYNC_MAX_CONCURRENT_OPERATIONS).orElse(sessionCapacity);
        int least = InferenceSettings.minAsyncCapacity(settings.batchMaxSize(), settings.batchMaxInFlight(),
                settings.batchPreprocessAhead());
        ModelOptions.PerQuery capacityKeys = ModelOptions.PER_QUERY.get(InferenceOptions.ASYNC_CAPACITY);
        if (capacity < least) {
            throw ModelSchema.invalid(model, "ML_PREDICT may hold %d rows in flight per subtask, too few for %s=%d with "
                            + "%s=%d: batches could never fill and each would wait for %s. Allow at least %d (batch.max-size "
                            + "x (batch.max-in-flight + 1, + 1 more with batch.preprocess-ahead)): %s.",
                    capacity, InferenceOptions.BATCH_MAX_SIZE.key(), settings.batchMaxSize(),
                    InferenceOptions.BATCH_MAX_IN_FLIGHT.key(), settings.batchMaxInFlight(),
                    InferenceOptions.BATCH_MAX_DELAY.key(), least, capacityKeys.hint(Integer.toString(least)));
        }
        Duration timeout = query.getOptional(MLPredictRuntimeConfigOptions.ASYNC_TIMEOUT).orElse(sessionTimeout);
        if (timeout.compareTo(settings.batchMaxDelay()) <= 0) {
            throw ModelSchema.invalid(model, "ML_PREDICT's timeout of %s must exceed %s=%s plus the time of %d batches in "
                            + "the model; otherwise rows time out (and fail the job) while they wait to be batched: %s.",
                    TimeUtils.formatWithHighestUnit(timeout), InferenceOptions.BATCH_MAX_DELAY.key(),
                    TimeUtils.formatWithHighestUnit(settings.batchMaxDelay()), settings.batchMaxInFlight(),
                    ModelOptions.PER_QUERY.get(InferenceOptions.ASYNC_TIMEOUT).hint(
                            TimeUtils.formatWithHighestUnit(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_TIMEOUT.defaultValue())));
        }
        return new BatchingPredictFunction(settings, outputRow, hasOrigin, onError);
    }

    @Override
    public ModelProvider copy() {
        return new MlpstreamModelProvider(model, settings, outputRow, hasOrigin, onError, sessionCapacity, sessionTimeout);
    }
}
