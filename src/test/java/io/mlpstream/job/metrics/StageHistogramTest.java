package io.mlpstream.job.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StageHistogramTest {

    private static final double[] PERCENTILES = {0, 1, 25, 50, 90, 95, 99, 99.9, 100};

    @Test
    void valuesBelow2048AreExactNearestRankPercentilesNegativesIncluded() {
        Random random = new Random(1);
        long[] values = new long[997];
        StageHistogram h = new StageHistogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(4000) - 1950; // -1950 .. 2049: the top two are past exact range
            if (values[i] > 2047) {
                values[i] = 2047;
            }
            h.add(values[i]);
        }
        Percentiles exact = new Percentiles(values, values.length);
        for (double p : PERCENTILES) {
            assertThat(h.at(p)).as("p%s", p).isEqualTo(exact.at(p));
        }
        assertThat(h.max()).isEqualTo(exact.max());
        assertThat(h.count()).isEqualTo(values.length);
    }

    @Test
    void largerValuesAreWithinATenthOfAPercentAndTheMaximumIsExact() {
        Random random = new Random(2);
        long[] values = new long[5000];
        StageHistogram h = new StageHistogram();
        for (int i = 0; i < values.length; i++) { // µs to minutes, a tenth of them negative (clocks apart)
            long magnitude = (long) Math.exp(random.nextDouble() * Math.log(600_000_000.0));
            values[i] = i % 10 == 0 ? -magnitude : magnitude;
            h.add(values[i]);
        }
        Percentiles exact = new Percentiles(values, values.length);
        for (double p : PERCENTILES) {
            long e = exact.at(p);
            assertThat((double) h.at(p)).as("p%s of %s", p, e).isCloseTo(e, within(Math.abs(e) / 1000.0 + 1));
        }
        assertThat(h.max()).isEqualTo(exact.max());
    }

    @Test
    void mergedInAnyOrderEqualsOneSinglePassAndSurvivesEncoding() {
        Random random = new Random(3);
        StageHistogram single = new StageHistogram();
        List<StageHistogram> parts = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            parts.add(new StageHistogram());
        }
        for (int i = 0; i < 20_000; i++) {
            long v = random.nextInt(10) == 0 ? -random.nextInt(50_000) : (long) (random.nextGaussian() * 20_000 + 90_000);
            single.add(v);
            parts.get(random.nextInt(parts.size())).add(v);
        }
        Collections.shuffle(parts, random);
        StageHistogram merged = new StageHistogram();
        for (StageHistogram part : parts) {
            merged.merge(StageHistogram.decode(part.encode()));
        }
        StageHistogram decoded = StageHistogram.decode(merged.encode());
        assertThat(decoded.count()).isEqualTo(single.count());
        assertThat(decoded.max()).isEqualTo(single.max());
        for (double p : PERCENTILES) {
            assertThat(decoded.at(p)).as("p%s", p).isEqualTo(single.at(p));
        }
    }

    @Test
    void emptyIsZeroAndAbsurdValuesNeitherThrowNorLoseTheExactMaximum() {
        StageHistogram h = new StageHistogram();
        assertThat(h.at(99)).isZero();
        assertThat(h.max()).isZero();
        h.add(Long.MIN_VALUE);
        h.add(Long.MAX_VALUE);
        h.add(5);
        assertThat(h.count()).isEqualTo(3);
        assertThat(h.max()).isEqualTo(Long.MAX_VALUE);
        assertThat(h.at(50)).isEqualTo(5);
        assertThat(h.at(1)).isLessThanOrEqualTo(-StageHistogram.HIGHEST_COUNTED);
        assertThat(StageHistogram.decode(h.encode()).at(100)).isEqualTo(h.at(100));
    }
}
