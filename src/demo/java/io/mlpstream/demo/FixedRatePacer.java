package io.mlpstream.demo;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Hands out permits on a fixed schedule: permit k is due {@code k / rate} seconds after
 * {@link #start()}. Due times come from the schedule, not from the previous permit, so time spent
 * between permits (sending, GC, a slow wake-up) does not add up to drift. A pacer that falls behind
 * catches up in a burst of at most {@link #MAX_BACKLOG} worth of permits, then the schedule slides.
 * Not thread-safe: one caller.
 */
final class FixedRatePacer {

    static final long MAX_BACKLOG_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final String MAX_BACKLOG = "1 s";

    private final double permitsPerSecond;
    private final LongSupplier nanoClock;
    private long scheduleStartNanos;
    private long permitsTaken;

    /** @param permitsPerSecond positive, or 0 for no limit */
    FixedRatePacer(double permitsPerSecond, LongSupplier nanoClock) {
        if (!(permitsPerSecond >= 0) || Double.isInfinite(permitsPerSecond)) {
            throw new IllegalArgumentException("rate must be a finite number >= 0 (0 = unlimited), got " + permitsPerSecond);
        }
        this.permitsPerSecond = permitsPerSecond;
        this.nanoClock = nanoClock;
    }

    void start() {
        scheduleStartNanos = nanoClock.getAsLong();
        permitsTaken = 0;
    }

    /** Nanoseconds until the next permit is due; 0 or less if it is due now. */
    long nanosUntilNextPermit() {
        if (permitsPerSecond == 0) {
            return 0;
        }
        return dueNanos(permitsTaken) - nanoClock.getAsLong();
    }

    /** Takes the next permit (call when {@link #nanosUntilNextPermit()} is 0 or less). */
    void take() {
        if (permitsPerSecond > 0) {
            long behind = nanoClock.getAsLong() - dueNanos(permitsTaken);
            if (behind > MAX_BACKLOG_NANOS) {
                scheduleStartNanos += behind - MAX_BACKLOG_NANOS;
            }
        }
        permitsTaken++;
    }

    private long dueNanos(long permit) {
        return scheduleStartNanos + (long) (permit * 1e9 / permitsPerSecond);
    }
}
