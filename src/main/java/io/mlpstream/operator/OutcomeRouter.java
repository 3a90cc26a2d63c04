package io.mlpstream.operator;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Splits outcomes: tagged results on the main output, dead letters on {@link #DEAD_LETTERS}. */
public final class OutcomeRouter extends ProcessFunction<Outcome, TaggedResult> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    @Override
    public void processElement(Outcome outcome, Context ctx, Collector<TaggedResult> out) {
        if (outcome.isTagged()) {
            out.collect(outcome.tagged);
        } else {
            ctx.output(DEAD_LETTERS, outcome.deadLetter);
        }
    }
}
