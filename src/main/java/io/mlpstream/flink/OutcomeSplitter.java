package io.mlpstream.flink;


import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Predictions on the main output, failures on the side output. */
final class OutcomeSplitter<T> extends ProcessFunction<Outcome<T>, Prediction<T>> {
    private static final long serialVersionUID = 1L;

    private final OutputTag<InferenceFailure<T>> failures;

    public OutcomeSplitter(OutputTag<InferenceFailure<T>> failures) {
        this.failures = failures;
    }

    @Override
    public void processElement(Outcome<T> outcome, Context ctx, Collector<Prediction<T>> out) {
        if (outcome.prediction != null) {
            out.collect(outcome.prediction);
        } else {
            ctx.output(failures, outcome.failure);
        }
    }
}
