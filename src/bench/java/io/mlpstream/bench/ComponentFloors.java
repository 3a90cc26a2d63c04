package io.mlpstream.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link ComponentBenchmarks} with JMH: one forked JVM per benchmark (this JVM's flags, so Flink's --add-opens
 * hold), average time per record in µs, short runs: {@code seconds} one-second warm-up iterations (at least two: ImageIO
 * and Avro need them to be compiled), then as many measured ones.
 */
final class ComponentFloors {

    /** One benchmark's score: mean µs per record and JMH's 99.9 % error. */
    record Floor(String benchmark, double micros, double error) {
        String describe() {
            return Double.isNaN(error) ? String.format(Locale.ROOT, "%.2f", micros)
                    : String.format(Locale.ROOT, "%.2f ± %.2f", micros, error);
        }
    }

    private ComponentFloors() {}

    /** Benchmark method name → floor, in run order; {@code only} a regex of method names, or null for all. */
    static Map<String, Floor> measure(String modelDir, int seconds, String only) throws Exception {
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agent") && !a.startsWith("-javaagent"))
                .toList();
        Options options = new OptionsBuilder()
                .include(ComponentBenchmarks.class.getName() + "\\." + (only == null ? "" : "(" + only + ")$"))
                .param("modelDir", modelDir)
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.MICROSECONDS)
                .forks(1)
                .jvmArgs(jvmArgs.toArray(new String[0]))
                .warmupIterations(Math.max(2, seconds))
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(Math.max(1, seconds))
                .measurementTime(TimeValue.seconds(1))
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, Floor> floors = new LinkedHashMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            String method = label.substring(label.lastIndexOf('.') + 1);
            floors.put(method, new Floor(method, r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()));
        }
        return floors;
    }
}
