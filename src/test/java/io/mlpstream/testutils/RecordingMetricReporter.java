package io.mlpstream.testutils;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Flink metric reporter that records every metric registered in this JVM (a MiniCluster's), with its identifier,
 * logical scope and variables, as reporters such as Prometheus's see them. Registered as a service in test resources.
 */
public final class RecordingMetricReporter implements MetricReporter {
    /** One registered metric: what a reporter names it and labels it with. */
    public record Registered(String name, String identifier, String logicalScope, Map<String, String> variables, Metric metric) {}

    private static final List<Registered> REGISTERED = new CopyOnWriteArrayList<>();
    private static final CharacterFilter NO_FILTER = s -> s;

    /** Adds this reporter to a (MiniCluster) configuration. */
    public static Configuration install(Configuration config) {
        config.setString("metrics.reporter.recording.factory.class", Factory.class.getName());
        return config;
    }

    public static List<Registered> registered() {
        return List.copyOf(REGISTERED);
    }

    public static void clear() {
        REGISTERED.clear();
    }

    /** Referenced by class name from the configuration and listed in META-INF/services. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new RecordingMetricReporter();
        }
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        REGISTERED.add(new Registered(name, group.getMetricIdentifier(name),
                LogicalScopeProvider.castFrom(group).getLogicalScope(NO_FILTER),
                group.getAllVariables(), metric));
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // keep them: the test reads them after the job ended
    }
}
