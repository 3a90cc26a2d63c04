package io.mlpstream.job.metrics;

import java.util.Arrays;

/**
 * Every stage latency of one window, kept exactly (a window holds thousands, not millions, of
 * results). The window aggregate's accumulator. Flink POJO.
 */
public class LatencySamples {
    public static final String[] STAGES = {"kafkaToIngest", "queueWait", "preprocess", "inference", "endToEnd"};

    public long[][] values = new long[STAGES.length][16];
    public int count;
    public long deadLetters;
    public long batchSizeSum;

    public LatencySamples() {}

    public void add(LatencySample r) {
        if (r.failed) {
            deadLetters++;
            return;
        }
        if (count == values[0].length) {
            for (int s = 0; s < STAGES.length; s++) {
                values[s] = Arrays.copyOf(values[s], count * 2);
            }
        }
        values[0][count] = r.kafkaToIngestUs;
        values[1][count] = r.queueWaitUs;
        values[2][count] = r.preprocessUs;
        values[3][count] = r.inferenceUs;
        values[4][count] = r.endToEndUs;
        count++;
        batchSizeSum += r.batchSize;
    }

    public LatencySamples merge(LatencySamples other) {
        LatencySamples m = new LatencySamples();
        m.values = new long[STAGES.length][];
        for (int s = 0; s < STAGES.length; s++) {
            long[] v = Arrays.copyOf(values[s], Math.max(1, count + other.count));
            System.arraycopy(other.values[s], 0, v, count, other.count);
            m.values[s] = v;
        }
        m.count = count + other.count;
        m.deadLetters = deadLetters + other.deadLetters;
        m.batchSizeSum = batchSizeSum + other.batchSizeSum;
        return m;
    }

    public Percentiles stage(int s) {
        return new Percentiles(values[s], count);
    }
}
