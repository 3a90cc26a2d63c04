package io.mlpstream.job.metrics;

import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.StagePercentiles;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the {@link LatencyReport} of one window from its summary. Pure. */
public final class LatencyReports {
    private LatencyReports() {}

    public static LatencyReport of(LatencySummary summary, long windowStartMs, long windowEndMs, String modelName) {
        List<StagePercentiles> stages = new ArrayList<>();
        for (int s = 0; s < LatencySummary.STAGES.length; s++) {
            StageHistogram h = summary.stage(s);
            stages.add(new StagePercentiles(LatencySummary.STAGES[s], h.at(50), h.at(95), h.at(99), h.max()));
        }
        double seconds = Math.max(1, windowEndMs - windowStartMs) / 1000.0;
        return LatencyReport.newBuilder()
                .setWindowStart(Instant.ofEpochMilli(windowStartMs))
                .setWindowEnd(Instant.ofEpochMilli(windowEndMs))
                .setModelName(modelName)
                .setCount(summary.count())
                .setDeadLetters(summary.deadLetters())
                .setThroughputPerSecond(summary.count() / seconds)
                .setMeanBatchSize(summary.count() == 0 ? 0 : (double) summary.batchSizeSum() / summary.count())
                .setStages(stages)
                .build();
    }
}
