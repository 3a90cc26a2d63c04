package io.mlpstream.job.metrics;

import org.apache.flink.api.common.functions.AggregateFunction;

/** Merges the encoded {@link LatencySummary} partials of a window, from every subtask, into one (encoded). */
public final class LatencyMerge implements AggregateFunction<byte[], byte[], byte[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] createAccumulator() {
        return new LatencySummary().encode();
    }

    @Override
    public byte[] add(byte[] partial, byte[] acc) {
        return merge(acc, partial);
    }

    @Override
    public byte[] getResult(byte[] acc) {
        return acc;
    }

    @Override
    public byte[] merge(byte[] a, byte[] b) {
        LatencySummary merged = LatencySummary.decode(a);
        merged.merge(LatencySummary.decode(b));
        return merged.encode();
    }
}
