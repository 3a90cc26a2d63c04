package io.mlpstream.operator;

import javax.annotation.Nullable;

/** What became of one input event: exactly one of {@link #tagged} and {@link #deadLetter}. Flink POJO. */
public class Outcome {
    @Nullable public TaggedResult tagged;
    @Nullable public DeadLetter deadLetter;

    public Outcome() {}

    public static Outcome tagged(TaggedResult result) {
        Outcome o = new Outcome();
        o.tagged = result;
        return o;
    }

    public static Outcome deadLetter(DeadLetter deadLetter) {
        Outcome o = new Outcome();
        o.deadLetter = deadLetter;
        return o;
    }

    public boolean isTagged() {
        return tagged != null;
    }

    /** Wall-clock time the outcome was decided, epoch ms. */
    public long decidedAtMs() {
        return tagged != null ? tagged.processedAtMs : deadLetter.failedAtMs;
    }

    @Override
    public String toString() {
        return tagged != null ? "Tagged{" + tagged.eventId + " -> " + tagged.topLabel() + "}" : String.valueOf(deadLetter);
    }
}
