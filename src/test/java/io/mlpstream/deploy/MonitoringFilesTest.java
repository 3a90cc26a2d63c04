package io.mlpstream.deploy;

import io.mlpstream.testutils.FlinkConfigFile;
import io.mlpstream.testutils.GrafanaDashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shared Flink settings read the same by Flink and by the image's entrypoint; the compose stack's Prometheus
 * configuration passes promtool; Grafana's provisioning points at the dashboard and the data source its panels use.
 * (FlinkClusterITCase checks the dashboard's queries against a real Prometheus.)
 */
class MonitoringFilesTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void flinkReadsTheSharedSettingsAsTheImagesEntrypointDoes() throws IOException {
        Map<String, String> flat = FlinkConfigFile.shared();
        Configuration flink = GlobalConfiguration.loadConfiguration(Path.of(FlinkConfigFile.PATH).getParent().toString());
        assertThat(flink.toMap()).as("Flink's own reading of " + FlinkConfigFile.PATH).containsAllEntriesOf(flat);
        for (String line : Files.readAllLines(Path.of(FlinkConfigFile.PATH), StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                // the entrypoint splits at the first colon and keeps quotes: flat keys, plain values
                assertThat(line).as("a flat 'key: value' line").matches("[a-z][A-Za-z0-9.-]*: [^\"'#]+");
            }
        }
        assertThat(flat).containsEntry("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    }

    @Test
    void promtoolAcceptsTheComposeStacksPrometheusConfiguration() throws Exception {
        Optional<Path> promtool = DockerComposeTest.onPath("promtool");
        assumeTrue(promtool.isPresent(), "promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it)");
        Process p = new ProcessBuilder(promtool.get().toString(), "check", "config", "deploy/prometheus/prometheus.yml")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool says:\n" + output).isZero();
        String config = Files.readString(Path.of("deploy", "prometheus", "prometheus.yml"));
        assertThat(config).contains("port: " + FlinkConfigFile.shared().get("metrics.reporter.prom.port"));
    }

    @Test
    void grafanaIsProvisionedWithTheDashboardAndTheDataSourceItsPanelsUse() throws IOException {
        JsonNode datasource = YAML.readTree(Path.of("deploy/grafana/provisioning/datasources/prometheus.yaml").toFile())
                .path("datasources").get(0);
        assertThat(datasource.path("type").asText()).isEqualTo("prometheus");
        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
        JsonNode provider = YAML.readTree(Path.of("deploy/grafana/provisioning/dashboards/mlpstream.yaml").toFile())
                .path("providers").get(0);
        assertThat(provider.path("options").path("path").asText()).as("where docker-compose.yml mounts the dashboards")
                .isEqualTo("/etc/mlpstream/dashboards");

        GrafanaDashboard dashboard = GrafanaDashboard.load();
        JsonNode variable = dashboard.json().path("templating").path("list").get(0);
        assertThat(variable.path("type").asText()).isEqualTo("datasource");
        assertThat(variable.path("query").asText()).isEqualTo(datasource.path("type").asText());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.panels()) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique: " + panel.path("id")).isTrue();
            assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title") + " data source").isEqualTo("${datasource}");
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            }
        }
        List<String> titles = dashboard.panels().stream().map(p -> p.path("title").asText()).toList();
        assertThat(titles).contains("Throughput", "End-to-end latency against batch.max-delay", "Batch size",
                "Flush reasons", "Dead letters by stage", "Restarts and failed checkpoints", "Checkpoint duration");
    }
}
