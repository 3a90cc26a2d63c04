package io.mlpstream.job.metrics;

import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.StagePercentiles;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the {@link LatencyReport} of one window from its samples. Pure. */
public final class LatencyReports {
    private LatencyReports() {}

    public static LatencyReport of(LatencySamples samples, long windowStartMs, long windowEndMs, String modelName) {
        List<StagePercentiles> stages = new ArrayList<>();
        for (int s = 0; s < LatencySamples.STAGES.length; s++) {
            Percentiles p = samples.stage(s);
            stages.add(new StagePercentiles(LatencySamples.STAGES[s], p.at(50), p.at(95), p.at(99), p.max()));
        }
        double seconds = Math.max(1, windowEndMs - windowStartMs) / 1000.0;
        return LatencyReport.newBuilder()
                .setWindowStart(Instant.ofEpochMilli(windowStartMs))
                .setWindowEnd(Instant.ofEpochMilli(windowEndMs))
                .setModelName(modelName)
                .setCount(samples.count)
                .setDeadLetters(samples.deadLetters)
                .setThroughputPerSecond(samples.count / seconds)
                .setMeanBatchSize(samples.count == 0 ? 0 : (double) samples.batchSizeSum / samples.count)
                .setStages(stages)
                .build();
    }
}
