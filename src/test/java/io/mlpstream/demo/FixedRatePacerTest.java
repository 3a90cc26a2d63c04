package io.mlpstream.demo;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FixedRatePacerTest {

    private long now = 1_000_000L;

    @Test
    void permitsFollowTheScheduleWithoutDrift() {
        FixedRatePacer pacer = new FixedRatePacer(3, () -> now);
        pacer.start();
        assertThat(pacer.nanosUntilNextPermit()).isZero();
        pacer.take();
        assertThat(pacer.nanosUntilNextPermit()).isEqualTo(333_333_333L);
        now += 400_000_000L; // woke up late: the next due time does not move
        pacer.take();
        assertThat(pacer.nanosUntilNextPermit()).isEqualTo(666_666_666L - 400_000_000L);
        now += 266_666_666L;
        pacer.take();
        // permit 300 is due exactly 100 s after the start, whatever the rounding of 1/3 s
        for (int k = 3; k < 300; k++) {
            now += pacer.nanosUntilNextPermit();
            pacer.take();
        }
        assertThat(pacer.nanosUntilNextPermit()).isEqualTo(1_000_000L + TimeUnit.SECONDS.toNanos(100) - now);
    }

    @Test
    void catchUpBurstIsBounded() {
        FixedRatePacer pacer = new FixedRatePacer(1000, () -> now);
        pacer.start();
        now += TimeUnit.SECONDS.toNanos(5); // stalled for 5 s
        int burst = 0;
        while (pacer.nanosUntilNextPermit() <= 0) {
            pacer.take();
            burst++;
        }
        assertThat(burst).isBetween(1000, 1002);
    }

    @Test
    void zeroMeansUnlimitedAndNegativeIsRejected() {
        FixedRatePacer pacer = new FixedRatePacer(0, () -> now);
        pacer.start();
        for (int i = 0; i < 1000; i++) {
            assertThat(pacer.nanosUntilNextPermit()).isLessThanOrEqualTo(0);
            pacer.take();
        }
        assertThatThrownBy(() -> new FixedRatePacer(-1, () -> now)).hasMessageContaining("-1");
        assertThatThrownBy(() -> new FixedRatePacer(Double.NaN, () -> now)).hasMessageContaining("NaN");
    }
}
