package io.mlpstream.operator;

import io.mlpstream.serde.KafkaRecord;

/**
 * A record waiting in (or leaving) the micro-batcher.
 *
 * @param enqueuedNanos {@link System#nanoTime()} when it entered the batcher
 * @param ingestEpochMicros wall clock (epoch µs) when it reached the operator
 */
public record BatchItem(KafkaRecord record, long enqueuedNanos, long ingestEpochMicros) {}
