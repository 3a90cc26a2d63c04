package io.mlpstream.testutils;

import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.BatchItem;
import io.mlpstream.core.inference.Classification;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs one batch through a {@link BatchInference} on the calling thread and collects each element's outcome, in order. */
public final class BatchOutcomes {
    private BatchOutcomes() {}

    /** One element's outcome: a classification with its timings, or a failure with its stage. */
    public record Outcome(Classification classification, BatchInference.Timings timings, String stage, Throwable error) {
        public boolean classified() {
            return classification != null;
        }

        @Override
        public String toString() {
            return classified() ? "classified " + Arrays.toString(classification.labels()) : "failed at " + stage + ": " + error;
        }
    }

    public static <T> List<Outcome> run(BatchInference<T> inference, List<T> elements) {
        List<BatchItem<T>> items = new ArrayList<>();
        for (T e : elements) {
            items.add(new BatchItem<>(e, System.nanoTime(), BatchInference.nowEpochMicros()));
        }
        Outcome[] out = new Outcome[items.size()];
        inference.infer(inference.prepare(items), new BatchInference.Outcomes() {
            @Override
            public void classified(int index, Classification classification, BatchInference.Timings timings) {
                out[index] = new Outcome(classification, timings, null, null);
            }

            @Override
            public void failed(int index, String stage, Throwable error) {
                out[index] = new Outcome(null, null, stage, error);
            }
        });
        return Arrays.asList(out);
    }
}
