package io.mlpstream.job.metrics;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The latencies of one stage in one window, in µs, as mergeable HdrHistograms with {@value #SIGNIFICANT_DIGITS}
 * significant digits: values below 2,048 are kept exactly, larger ones to within 0.1 %. Latencies measured across
 * two clocks (the producer's record timestamp against the TaskManager's) can be negative; they are counted by their
 * magnitude in a second histogram. The maximum is kept exactly. Mergeable in any order to the
 * same result as adding every value to one; encoded for Flink state and the network with HdrHistogram's own compact
 * encoding. Pure; not thread-safe.
 */
public final class StageHistogram {

    static final int SIGNIFICANT_DIGITS = 3;
    /** Magnitudes above this (2^50 µs, about 35 years: only a record timestamp far off) count as this in percentiles. */
    static final long HIGHEST_COUNTED = 1L << 50;

    private final Histogram nonNegative;
    private final Histogram negated;
    private long max = Long.MIN_VALUE;

    public StageHistogram() {
        this(newHistogram(), newHistogram(), Long.MIN_VALUE);
    }

    private StageHistogram(Histogram nonNegative, Histogram negated, long max) {
        this.nonNegative = nonNegative;
        this.negated = negated;
        this.max = max;
    }

    private static Histogram newHistogram() {
        Histogram h = new Histogram(SIGNIFICANT_DIGITS);
        h.setAutoResize(true);
        return h;
    }

    public void add(long value) {
        if (value >= 0) {
            nonNegative.recordValue(Math.min(value, HIGHEST_COUNTED));
        } else {
            negated.recordValue(value < -HIGHEST_COUNTED ? HIGHEST_COUNTED : -value);
        }
        max = Math.max(max, value);
    }

    public void merge(StageHistogram other) {
        nonNegative.add(other.nonNegative);
        negated.add(other.negated);
        max = Math.max(max, other.max);
    }

    public long count() {
        return nonNegative.getTotalCount() + negated.getTotalCount();
    }

    /** The largest value added, exactly; 0 when empty. */
    public long max() {
        return count() == 0 ? 0 : max;
    }

    /**
     * The nearest-rank percentile, as {@link Percentiles#at} computes it on the same values, to within the
     * histogram's precision (the highest value of the bucket it falls in); 0 when empty.
     */
    public long at(double p) {
        long n = count();
        if (n == 0) {
            return 0;
        }
        long rank = Math.min(n, Math.max(1, (long) Math.ceil(p / 100.0 * n)));
        long negatives = negated.getTotalCount();
        if (rank <= negatives) {
            // the rank-th smallest value is the (negatives - rank + 1)-th smallest magnitude, negated
            return Math.min(max, -negated.lowestEquivalentValue(valueAtRank(negated, negatives - rank + 1)));
        }
        return Math.min(max, nonNegative.highestEquivalentValue(valueAtRank(nonNegative, rank - negatives)));
    }

    private static long valueAtRank(Histogram h, long rank) {
        long seen = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
            seen += v.getCountAtValueIteratedTo();
            if (seen >= rank) {
                return v.getValueIteratedTo();
            }
        }
        throw new IllegalStateException("rank " + rank + " above the histogram's count " + h.getTotalCount());
    }

    /** The histogram in HdrHistogram's compressed encoding, with the exact maximum. */
    public byte[] encode() {
        ByteBuffer a = ByteBuffer.allocate(nonNegative.getNeededByteBufferCapacity());
        int aLength = nonNegative.encodeIntoCompressedByteBuffer(a);
        ByteBuffer b = ByteBuffer.allocate(negated.getNeededByteBufferCapacity());
        int bLength = negated.encodeIntoCompressedByteBuffer(b);
        ByteBuffer out = ByteBuffer.allocate(8 + 4 + aLength + bLength);
        out.putLong(max).putInt(aLength).put(a.array(), 0, aLength).put(b.array(), 0, bLength);
        return out.array();
    }

    /** The inverse of {@link #encode()}. */
    public static StageHistogram decode(byte[] encoded) {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        long max = in.getLong();
        int aLength = in.getInt();
        if (aLength < 0 || aLength > encoded.length - 12) {
            throw new IllegalArgumentException("not an encoded StageHistogram (" + encoded.length + " bytes)");
        }
        try {
            // HdrHistogram reads a heap buffer's backing array from its start: give each its own
            Histogram a = Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Arrays.copyOfRange(encoded, 12, 12 + aLength)), 0);
            Histogram b = Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Arrays.copyOfRange(encoded, 12 + aLength, encoded.length)), 0);
            a.setAutoResize(true);
            b.setAutoResize(true);
            return new StageHistogram(a, b, max);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("not an encoded StageHistogram (" + encoded.length + " bytes)", e);
        }
    }
}
