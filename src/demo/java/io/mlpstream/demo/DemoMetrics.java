package io.mlpstream.demo;

import io.mlpstream.flink.InferenceMetrics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Flink metric reporter for the demo: it collects the inference operator's metrics (the same ones
 * a cluster shows in its UI or sends to Prometheus) in this JVM, so the demo can print them.
 */
public final class DemoMetrics implements MetricReporter {
    /** Metric identifier → metric, for every subtask of the inference operator. */
    private static final Map<String, Metric> METRICS = new ConcurrentHashMap<>();

    /** Registers this reporter on a local (MiniCluster) configuration; forgets the metrics of an earlier demo. */
    public static void install(Configuration config) {
        METRICS.clear();
        config.setString("metrics.reporter.mlpstream-demo.factory.class", Factory.class.getName());
        config.setString("metrics.reporter.mlpstream-demo.interval", "1 h"); // not scheduled: read at the end
    }

    /** Creates the reporter; referenced by class name from the Flink configuration. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new DemoMetrics();
        }
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        String id = group.getMetricIdentifier(name);
        // the model's group only: its per-stage failure counters would double the failures line
        if (id.contains("." + InferenceMetrics.GROUP + ".") && !group.getAllVariables().containsKey("<" + InferenceMetrics.STAGE + ">")) {
            METRICS.put(id, metric);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // keep the last values: the demo prints them after the job is cancelled
    }

    /** The inference operator's metrics collected so far, every subtask's, by metric identifier (the tests read them). */
    public static Map<String, Metric> collected() {
        return Map.copyOf(METRICS);
    }

    /** Forgets the metrics collected so far (a test's run starts from none). */
    public static void clear() {
        METRICS.clear();
    }

    /** Prints the operator's Flink metrics, one line per metric, subtasks side by side. */
    static void print(PrintStream out) {
        Map<String, Map<String, Metric>> byName = new TreeMap<>();
        METRICS.forEach((id, metric) -> {
            String name = id.substring(id.lastIndexOf('.') + 1);
            byName.computeIfAbsent(name, k -> new TreeMap<>()).put(id, metric);
        });
        if (byName.isEmpty()) {
            return;
        }
        out.println("Flink metrics of the inference operator (group '" + InferenceMetrics.GROUP + "', per subtask):");
        for (String name : List.of(InferenceMetrics.ALL)) {
            Map<String, Metric> subtasks = byName.get(name);
            if (subtasks == null) {
                continue;
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-22s", name));
            for (Metric m : subtasks.values()) {
                line.append("  ").append(render(name, m));
            }
            out.println(line);
        }
    }

    private static String render(String name, Metric m) {
        if (m instanceof Counter c) {
            return String.format(Locale.ROOT, "%-28s", c.getCount());
        }
        if (m instanceof Histogram h) {
            if (h.getCount() == 0) {
                return String.format(Locale.ROOT, "%-28s", "no samples");
            }
            HistogramStatistics s = h.getStatistics();
            boolean micros = name.endsWith("Us");
            double scale = micros ? 1000.0 : 1.0;
            String unit = micros ? " ms" : "";
            return String.format(Locale.ROOT, "%-28s", String.format(Locale.ROOT, "p50 %.1f%s p99 %.1f%s", s.getQuantile(0.5) / scale,
                    unit, s.getQuantile(0.99) / scale, unit));
        }
        if (m instanceof Gauge<?> g) {
            return String.format(Locale.ROOT, "%-28s", g.getValue());
        }
        return String.valueOf(m);
    }
}
