package io.mlpstream.job.metrics;

import org.apache.flink.api.common.functions.AggregateFunction;

/** Collects the latency samples of a window into {@link LatencySamples}. */
public final class LatencyAggregate implements AggregateFunction<LatencySample, LatencySamples, LatencySamples> {
    private static final long serialVersionUID = 1L;

    @Override
    public LatencySamples createAccumulator() {
        return new LatencySamples();
    }

    @Override
    public LatencySamples add(LatencySample value, LatencySamples acc) {
        acc.add(value);
        return acc;
    }

    @Override
    public LatencySamples getResult(LatencySamples acc) {
        return acc;
    }

    @Override
    public LatencySamples merge(LatencySamples a, LatencySamples b) {
        return a.merge(b);
    }
}
