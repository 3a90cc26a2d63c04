package io.mlpstream.core.inference;

/**
 * An element waiting in (or leaving) the micro-batcher.
 *
 * @param enqueuedNanos {@link System#nanoTime()} when it entered the batcher
 * @param ingestedAtMicros wall clock (epoch µs) when it reached the operator
 */
public record BatchItem<T>(T element, long enqueuedNanos, long ingestedAtMicros) {}
