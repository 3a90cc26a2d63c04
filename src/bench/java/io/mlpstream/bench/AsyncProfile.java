package io.mlpstream.bench;

import one.profiler.AsyncProfiler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * async-profiler (the native library shipped in its Maven jar) sampling CPU time of every thread of this JVM, Java and
 * native frames alike (ONNX Runtime's kernels, zlib, the JVM's own GC and compiler threads), into a JFR file. The
 * {@code cpu} event (perf_events: one sample per {@code intervalNanos} of CPU a thread used) where the kernel allows it,
 * else {@code itimer} (the same on a process-wide CPU-time timer).
 */
final class AsyncProfile implements AutoCloseable {
    private final AsyncProfiler profiler;
    private final String event;
    private final long intervalNanos;

    AsyncProfile(Path jfr, long intervalNanos) throws IOException {
        this.profiler = AsyncProfiler.getInstance();
        this.intervalNanos = intervalNanos;
        String started = null;
        IllegalStateException refused = null;
        for (String candidate : new String[] {"cpu", "itimer"}) {
            try {
                profiler.execute("start,event=" + candidate + ",interval=" + intervalNanos + ",jfr,file=" + jfr.toAbsolutePath());
                started = candidate;
                break;
            } catch (IllegalStateException e) {
                refused = e; // e.g. perf_events not permitted in this container
            }
        }
        if (started == null) {
            throw new IllegalStateException("async-profiler " + profiler.getVersion() + " could not start (cpu, itimer): "
                    + refused.getMessage(), refused);
        }
        this.event = started;
    }

    /**
     * Starts and stops the profiler once, discarding what it recorded: its first start in a JVM sets the JIT compiling
     * again (a profiled run of the ceiling job right after warm-ups lost ~30 % of its throughput to the compiler threads),
     * so the harness does it before the warm-up runs, which then absorb that.
     */
    static void prime(Path scratchDir, long intervalNanos) throws IOException {
        Path scratch = Files.createTempFile(scratchDir, "async-profiler-prime", ".jfr");
        try (AsyncProfile p = new AsyncProfile(scratch, intervalNanos)) {
            BenchMain.log("async-profiler %s primed (event %s)", p.version(), p.event());
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    /** The sampling event in use, e.g. "cpu". */
    String event() {
        return event;
    }

    /** CPU time one sample stands for, in ns. */
    long intervalNanos() {
        return intervalNanos;
    }

    String version() {
        return profiler.getVersion();
    }

    @Override
    public void close() throws IOException {
        profiler.execute("stop");
    }
}
