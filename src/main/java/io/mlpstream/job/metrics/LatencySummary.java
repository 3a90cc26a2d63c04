package io.mlpstream.job.metrics;

import java.nio.ByteBuffer;

/**
 * What a window's report needs of its outcomes: per stage a {@link StageHistogram}, the count of results, of dead
 * letters, and the sum of batch sizes. Mergeable, so each subtask summarises its own outcomes and only the summaries
 * meet in one task ({@link LatencyPartials}, {@link LatencyMerge}); encoded as bytes for Flink's network and state.
 * Pure; not thread-safe.
 */
public final class LatencySummary {
    public static final String[] STAGES = {"kafkaToIngest", "queueWait", "preprocess", "inference", "endToEnd"};

    private final StageHistogram[] stages;
    private long count;
    private long deadLetters;
    private long batchSizeSum;

    public LatencySummary() {
        stages = new StageHistogram[STAGES.length];
        for (int s = 0; s < stages.length; s++) {
            stages[s] = new StageHistogram();
        }
    }

    private LatencySummary(StageHistogram[] stages, long count, long deadLetters, long batchSizeSum) {
        this.stages = stages;
        this.count = count;
        this.deadLetters = deadLetters;
        this.batchSizeSum = batchSizeSum;
    }

    public void add(LatencySample r) {
        if (r.failed) {
            deadLetters++;
            return;
        }
        stages[0].add(r.kafkaToIngestUs);
        stages[1].add(r.queueWaitUs);
        stages[2].add(r.preprocessUs);
        stages[3].add(r.inferenceUs);
        stages[4].add(r.endToEndUs);
        count++;
        batchSizeSum += r.batchSize;
    }

    /** Adds {@code other}'s outcomes to this summary. */
    public void merge(LatencySummary other) {
        for (int s = 0; s < stages.length; s++) {
            stages[s].merge(other.stages[s]);
        }
        count += other.count;
        deadLetters += other.deadLetters;
        batchSizeSum += other.batchSizeSum;
    }

    /** Results (not dead letters) summarised. */
    public long count() {
        return count;
    }

    public long deadLetters() {
        return deadLetters;
    }

    public long batchSizeSum() {
        return batchSizeSum;
    }

    /** Stage {@code s} of {@link #STAGES}. */
    public StageHistogram stage(int s) {
        return stages[s];
    }

    public byte[] encode() {
        byte[][] encoded = new byte[stages.length][];
        int size = 3 * 8;
        for (int s = 0; s < stages.length; s++) {
            encoded[s] = stages[s].encode();
            size += 4 + encoded[s].length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).putLong(count).putLong(deadLetters).putLong(batchSizeSum);
        for (byte[] e : encoded) {
            out.putInt(e.length).put(e);
        }
        return out.array();
    }

    /** The inverse of {@link #encode()}. */
    public static LatencySummary decode(byte[] encoded) {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        long count = in.getLong();
        long deadLetters = in.getLong();
        long batchSizeSum = in.getLong();
        StageHistogram[] stages = new StageHistogram[STAGES.length];
        for (int s = 0; s < stages.length; s++) {
            byte[] e = new byte[in.getInt()];
            in.get(e);
            stages[s] = StageHistogram.decode(e);
        }
        return new LatencySummary(stages, count, deadLetters, batchSizeSum);
    }
}
