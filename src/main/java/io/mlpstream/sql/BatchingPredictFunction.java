package io.mlpstream.sql;

import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.inference.RejectedInputException;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.flink.InferenceEngine;
import io.mlpstream.flink.InferenceSettings;
import io.mlpstream.flink.Outcome;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * ML_PREDICT's predict function for mlpstream models: each call hands its row to the subtask's {@link InferenceEngine}
 * (the DataStream API's micro-batcher, shared session and metrics) and returns a future that a batch worker completes
 * with the model's OUTPUT row. Public because the planner's generated code refers to it by name.
 *
 * <p>The planner runs it under Flink's async operator (AsyncWaitOperator), which keeps every row whose future is not
 * complete in its checkpointed state and calls this function again for them on restore: rows in a batch at a failure
 * are predicted again, never lost, and a transactional sink keeps the first attempt's results out.
 */
public final class BatchingPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;

    private final InferenceSettings settings;
    private final OutputRow outputRow;
    private final boolean hasOrigin;
    private final OnError onError;

    private transient InferenceEngine<RowData, CompletableFuture<Collection<RowData>>> engine;

    BatchingPredictFunction(InferenceSettings settings, OutputRow outputRow, boolean hasOrigin, OnError onError) {
        this.settings = settings;
        this.outputRow = outputRow;
        this.hasOrigin = hasOrigin;
        this.onError = onError;
    }

    /** The encoded image: the first argument of the call (the model's first INPUT column). */
    private static final ImageBytes<RowData> IMAGE = row -> {
        if (row.isNullAt(0)) {
            throw new RejectedInputException(Stage.INPUT, "the image is NULL");
        }
        return row.getBinary(0);
    };

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        engine = InferenceEngine.open(settings, IMAGE, context.getMetricGroup(),
                context.getTaskInfo().getIndexOfThisSubtask(), context.getExternalResourceInfos(InferenceEngine.GPU_RESOURCE),
                this::complete);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData inputRow) {
        CompletableFuture<Collection<RowData>> future = new CompletableFuture<>();
        engine.add(inputRow, future);
        return future;
    }

    /**
     * As {@link AsyncPredictFunction#eval}, but a failure goes out as it is: Flink's version wraps it in a message that
     * prints the input row, which here is the whole encoded image as a list of numbers.
     */
    @Override
    public void eval(CompletableFuture<Collection<RowData>> future, Object... args) {
        asyncPredict(GenericRowData.of(args)).whenComplete((rows, error) -> {
            if (error != null) {
                future.completeExceptionally(error);
            } else {
                future.complete(rows);
            }
        });
    }

    private void complete(CompletableFuture<Collection<RowData>> future, Outcome<RowData> outcome) {
        if (outcome.prediction != null) {
            RowData input = outcome.prediction.getElement();
            Long origin = hasOrigin && !input.isNullAt(1) ? OutputRow.epochMicros(input.getTimestamp(1, 9)) : null;
            future.complete(List.of(outputRow.of(outcome.prediction, origin)));
        } else if (onError == OnError.NULL) {
            future.complete(List.of(outputRow.of(outcome.failure)));
        } else {
            future.completeExceptionally(new ImageNotTaggedException(outcome.failure.getStage(), outcome.failure.getMessage()));
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (engine != null) {
                engine.close();
                engine = null;
            }
        } finally {
            super.close();
        }
    }

    /** A row whose image could not be tagged, under 'on-error' = 'fail'. */
    static final class ImageNotTaggedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ImageNotTaggedException(String stage, String reason) {
            super("An image could not be tagged (stage " + stage + "): " + reason + ". With 'on-error' = 'null' such rows "
                    + "come out with NULL predictions (and the reason in an 'error' OUTPUT column) instead of failing the job.");
        }
    }
}
