package io.mlpstream.deploy;

import io.mlpstream.testutils.FlinkConfigFile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * docker-compose.yml as a user runs it: Debian's docker-compose 1.29 accepts it with and without the gpu profile (no
 * Docker engine needed for {@code config}); long-running services restart and have a healthcheck that uses a tool
 * their image has, one-shot services do not restart; every Flink container gets the shared settings
 * (deploy/flink/config.yaml) and the checkpoint/savepoint volume; what it mounts from the repository exists.
 */
class DockerComposeTest {
    private static final Path COMPOSE = Path.of("docker-compose.yml");
    private static final Set<String> ONE_SHOT = Set.of("topics", "flink-data", "submit-job", "produce-digits");
    private static final Set<String> FLINK = Set.of("jobmanager", "taskmanager", "taskmanager-gpu");
    /** What each image's healthcheck may run: tools checked in the images' Dockerfiles (docs/deploy.md). */
    private static final Map<String, String> HEALTH_TOOL = Map.of(
            "apache/kafka", "/opt/kafka/bin/kafka-broker-api-versions.sh",
            "flink", "curl", "mlpstream/flink-gpu", "curl", "prom/prometheus", "wget", "grafana/grafana", "curl");

    private static JsonNode compose;

    /** With SnakeYAML, which resolves the file's merge keys ({@code <<: *flink}) as docker-compose does. */
    @BeforeAll
    static void read() throws IOException {
        try (Reader in = Files.newBufferedReader(COMPOSE, StandardCharsets.UTF_8)) {
            compose = new ObjectMapper().valueToTree(new Yaml().load(in));
        }
    }

    @Test
    void debiansDockerComposeAcceptsItWithAndWithoutTheGpuProfile() throws Exception {
        Optional<Path> dockerCompose = onPath("docker-compose");
        assumeTrue(dockerCompose.isPresent(), "docker-compose is not installed (Debian: apt-get install docker-compose; "
                + ".ci/run installs it): the check with docker-compose itself is skipped");
        for (List<String> profile : List.of(List.<String>of(), List.of("--profile", "gpu"))) {
            List<String> command = new ArrayList<>(List.of(dockerCompose.get().toString(), "-f", COMPOSE.toString()));
            command.addAll(profile);
            command.addAll(List.of("config", "-q"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("docker-compose config finished").isTrue();
            assertThat(p.exitValue()).as(String.join(" ", command) + " says:\n" + output).isZero();
        }
    }

    @Test
    void noComposeSpecOnlyTopLevelKeysThatDockerCompose129Refuses() {
        List<String> keys = new ArrayList<>();
        compose.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).as("top-level keys").doesNotContain("name", "version").contains("services", "volumes");
    }

    @Test
    void longRunningServicesRestartAndReportTheirHealthOneShotsDoNot() {
        compose.path("services").fields().forEachRemaining(e -> {
            String name = e.getKey();
            JsonNode service = e.getValue();
            if (ONE_SHOT.contains(name)) {
                assertThat(service.path("restart").asText()).as(name + " restart").isEqualTo("no");
                return;
            }
            assertThat(service.path("restart").asText()).as(name + " restart").isEqualTo("unless-stopped");
            String image = service.path("image").asText().replaceAll(":[^:/]+$", "");
            String test = String.join(" ", texts(service.path("healthcheck").path("test")));
            assertThat(HEALTH_TOOL).as("a known image for " + name).containsKey(image);
            assertThat(test).as(name + " healthcheck").startsWith("CMD-SHELL " + HEALTH_TOOL.get(image));
        });
    }

    @Test
    void topicCreationStopsAtTheFirstError() {
        String script = String.join("\n", texts(compose.path("services").path("topics").path("command")));
        assertThat(script).startsWith("set -euo pipefail").contains("--create").contains("--describe");
        assertThat(compose.path("services").path("submit-job").path("depends_on").path("topics").path("condition").asText())
                .isEqualTo("service_completed_successfully");
    }

    @Test
    void everyFlinkContainerGetsTheSharedSettingsAndTheStateVolume() {
        for (String name : FLINK) {
            JsonNode service = compose.path("services").path(name);
            assertThat(texts(service.path("entrypoint"))).as(name + " entrypoint")
                    .containsExactly("bash", "/opt/mlpstream/flink/with-shared-config.sh");
            assertThat(texts(service.path("volumes"))).as(name + " volumes")
                    .contains("./deploy/flink:/opt/mlpstream/flink:ro", "flink-data:/flink-data");
            String properties = service.path("environment").path("FLINK_PROPERTIES").asText();
            assertThat(properties).as(name + " FLINK_PROPERTIES")
                    .contains("execution.checkpointing.dir: file:///flink-data/checkpoints")
                    .contains("execution.checkpointing.savepoint-dir: file:///flink-data/savepoints");
            for (String key : FlinkConfigFile.shared().keySet()) {
                assertThat(properties).as(name + " must not override the shared " + key).doesNotContain(key + ":");
            }
        }
        assertThat(Path.of("deploy", "flink", "with-shared-config.sh")).isRegularFile();
    }

    @Test
    void theGpuTaskManagerReservesAnNvidiaGpuAndConfiguresFlinksGpuDriver() {
        JsonNode gpu = compose.path("services").path("taskmanager-gpu");
        assertThat(texts(gpu.path("profiles"))).containsExactly("gpu");
        JsonNode device = gpu.path("deploy").path("resources").path("reservations").path("devices").get(0);
        assertThat(device.path("driver").asText()).isEqualTo("nvidia");
        assertThat(texts(device.path("capabilities"))).contains("gpu");
        assertThat(gpu.path("environment").path("FLINK_PROPERTIES").asText())
                .contains("external-resources: gpu")
                .contains("external-resource.gpu.driver-factory.class: org.apache.flink.externalresource.gpu.GPUDriverFactory")
                .contains("external-resource.gpu.amount: " + device.path("count").asText());
        assertThat(Path.of(gpu.path("build").path("context").asText()).resolve(gpu.path("build").path("dockerfile").asText()))
                .isRegularFile();
    }

    @Test
    void whatItMountsFromTheRepositoryExists() {
        compose.path("services").fields().forEachRemaining(e -> {
            for (String volume : texts(e.getValue().path("volumes"))) {
                String source = volume.split(":")[0];
                if (source.startsWith("./") && !source.startsWith("./target/")) {
                    assertThat(Path.of(source)).as(e.getKey() + " mounts " + source).exists();
                }
            }
        });
        assertThat(texts(compose.path("services").path("grafana").path("volumes")))
                .contains("./deploy/grafana/dashboards:/etc/mlpstream/dashboards:ro");
    }

    private static List<String> texts(JsonNode node) {
        List<String> texts = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> texts.add(n.asText()));
        } else if (!node.isMissingNode()) {
            texts.add(node.asText());
        }
        return texts;
    }

    static Optional<Path> onPath(String binary) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, binary))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
