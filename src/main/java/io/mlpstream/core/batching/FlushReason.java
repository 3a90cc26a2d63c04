package io.mlpstream.core.batching;

/** Why a batch left the {@link MicroBatcher}. */
public enum FlushReason {
    /** It reached {@code maxBatchSize}. */
    SIZE,
    /** {@code maxDelay} passed since its first element. */
    TIMER,
    /** Flushed on request (end of input, close). */
    EXPLICIT
}
