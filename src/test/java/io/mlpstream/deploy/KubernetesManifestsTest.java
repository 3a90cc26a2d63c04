package io.mlpstream.deploy;

import io.mlpstream.testutils.FlinkConfigFile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FlinkDeployment manifests in deploy/kubernetes/ against the Flink Kubernetes Operator's CRD schema (test data
 * k8s/flinkdeployments.flink.apache.org-v1.yml, with its source and edits), checked as strictly as the API server's
 * strict field validation: a field the schema does not name is an error, not silently pruned. They carry the settings
 * every deployment shares (deploy/flink/config.yaml), the Prometheus port their PodMonitor scrapes, and the GPU variant
 * asks Kubernetes and Flink for the same GPUs.
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path DIR = Path.of("deploy", "kubernetes");
    private static final String CPU = "flink-deployment.yaml";
    private static final String GPU = "flink-deployment-gpu.yaml";
    private static final String MAIN_CONTAINER = "flink-main-container";

    private static JsonSchema schema;

    @BeforeAll
    static void loadTheCrdSchema() throws IOException {
        JsonNode crd;
        try (InputStream in = KubernetesManifestsTest.class.getResourceAsStream("/k8s/flinkdeployments.flink.apache.org-v1.yml")) {
            crd = YAML.readTree(in);
        }
        assertThat(crd.path("spec").path("names").path("kind").asText()).isEqualTo("FlinkDeployment");
        JsonNode v1beta1 = null;
        for (JsonNode version : crd.path("spec").path("versions")) {
            if ("v1beta1".equals(version.path("name").asText())) {
                v1beta1 = version;
            }
        }
        assertThat(v1beta1).as("the CRD's version v1beta1").isNotNull();
        ObjectNode openApi = ((ObjectNode) v1beta1.path("schema").path("openAPIV3Schema")).deepCopy();
        strict(openApi);
        // what the API server checks itself for every object, so the CRD schema leaves it out
        ObjectNode properties = (ObjectNode) openApi.path("properties");
        properties.putObject("apiVersion").put("type", "string").set("enum", YAML.createArrayNode().add("flink.apache.org/v1beta1"));
        properties.putObject("kind").put("type", "string").set("enum", YAML.createArrayNode().add("FlinkDeployment"));
        properties.putObject("metadata").put("type", "object");
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(openApi);
    }

    /**
     * A structural schema's object with properties takes no others, unless it keeps unknown fields on purpose. (JSON
     * Schema allows any other property by default.)
     */
    private static void strict(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (o.has("properties") && !o.has("additionalProperties") && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
                o.put("additionalProperties", false);
            }
            o.elements().forEachRemaining(KubernetesManifestsTest::strict);
        } else if (node instanceof ArrayNode a) {
            a.elements().forEachRemaining(KubernetesManifestsTest::strict);
        }
    }

    private static JsonNode manifest(String name) throws IOException {
        return YAML.readTree(DIR.resolve(name).toFile());
    }

    private static List<String> errors(JsonNode manifest) {
        return schema.validate(manifest).stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {CPU, GPU})
    void theManifestsFitTheOperatorsCrd(String name) throws IOException {
        JsonNode m = manifest(name);
        assertThat(errors(m)).as(name + " against the FlinkDeployment CRD").isEmpty();
        assertThat(m.path("spec").path("flinkVersion").asText()).isEqualTo("v2_2");
        assertThat(m.path("spec").path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(m.path("spec").path("flinkConfiguration").path("high-availability.type").asText()).isEqualTo("kubernetes");
    }

    @Test
    void theSchemaCatchesWhatTheApiServerWouldRefuse() throws IOException {
        ObjectNode m = (ObjectNode) manifest(CPU);
        ((ObjectNode) m.path("spec")).put("flinkVersion", "v3_0");
        ((ObjectNode) m.path("spec").path("flinkConfiguration")).put("parallelism.default", 2); // a number, not a string
        ((ObjectNode) m.path("spec").path("job")).put("upgradeMod", "savepoint"); // a typo
        ((ObjectNode) m.path("spec").path("taskManager").path("resource")).put("cpu", "two");
        List<String> errors = errors(m);
        assertThat(errors).hasSize(4);
        assertThat(String.join("\n", errors))
                .contains("flinkVersion").contains("parallelism.default").contains("upgradeMod").contains("cpu");
    }

    @ParameterizedTest
    @ValueSource(strings = {CPU, GPU})
    void theManifestsCarryTheSharedFlinkSettings(String name) throws IOException {
        JsonNode configuration = manifest(name).path("spec").path("flinkConfiguration");
        for (Map.Entry<String, String> e : FlinkConfigFile.shared().entrySet()) {
            assertThat(configuration.path(e.getKey()).asText(null)).as(name + ": " + e.getKey() + " as in " + FlinkConfigFile.PATH)
                    .isEqualTo(e.getValue());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {CPU, GPU})
    void everyPodServesThePrometheusPortThePodMonitorScrapes(String name) throws IOException {
        JsonNode m = manifest(name);
        JsonNode port = mainContainer(m.path("spec").path("podTemplate")).path("ports").get(0);
        assertThat(port.path("containerPort").asInt()).isEqualTo(Integer.parseInt(FlinkConfigFile.shared().get("metrics.reporter.prom.port")));
        for (String component : List.of("jobManager", "taskManager")) {
            JsonNode template = m.path("spec").path(component).path("podTemplate");
            if (!template.isMissingNode()) {
                // its containers replace the top-level template's unless the operator merges arrays by name
                assertThat(mainContainer(template).path("ports")).as(name + " " + component + " ports").contains(port);
            }
        }
        JsonNode monitor = YAML.readTree(DIR.resolve("pod-monitor.yaml").toFile());
        assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitor");
        assertThat(monitor.path("spec").path("podMetricsEndpoints").get(0).path("port").asText()).isEqualTo(port.path("name").asText());
        List<String> apps = new ArrayList<>();
        monitor.path("spec").path("selector").path("matchExpressions").get(0).path("values").forEach(v -> apps.add(v.asText()));
        assertThat(apps).as("deployments the PodMonitor selects").contains(m.path("metadata").path("name").asText());
    }

    @Test
    void theGpuVariantAsksKubernetesAndFlinkForTheSameGpus() throws IOException {
        JsonNode spec = manifest(GPU).path("spec");
        JsonNode conf = spec.path("flinkConfiguration");
        assertThat(conf.path("external-resources").asText()).isEqualTo("gpu");
        assertThat(conf.path("external-resource.gpu.driver-factory.class").asText())
                .isEqualTo("org.apache.flink.externalresource.gpu.GPUDriverFactory");
        assertThat(conf.path("external-resource.gpu.kubernetes.config-key").asText()).isEqualTo("nvidia.com/gpu");
        JsonNode limits = mainContainer(spec.path("taskManager").path("podTemplate")).path("resources").path("limits");
        assertThat(limits.path("nvidia.com/gpu").asText()).as("the TaskManager's GPU limit")
                .isEqualTo(conf.path("external-resource.gpu.amount").asText());
        assertThat(manifest(CPU).path("spec").path("flinkConfiguration").has("external-resources")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {CPU, GPU})
    void theJobIsTheJarsMainClassWithAConfigurationTheImageHas(String name) throws Exception {
        JsonNode job = manifest(name).path("spec").path("job");
        assertThat(Class.forName(job.path("entryClass").asText())).isNotNull();
        assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/mlpstream-job.jar");
        List<String> args = new ArrayList<>();
        job.path("args").forEach(a -> args.add(a.asText()));
        String config = args.get(args.indexOf("--config") + 1);
        assertThat(config).startsWith("/opt/mlpstream/jobs/");
        // the job images copy jobs/ to /opt/mlpstream/jobs/
        assertThat(Path.of("jobs").resolve(config.substring("/opt/mlpstream/jobs/".length()))).isRegularFile();
        for (String dockerfile : Set.of("job.Dockerfile", "job-gpu.Dockerfile")) {
            assertThat(Files.readString(Path.of("deploy", "docker", dockerfile)))
                    .contains("/opt/flink/usrlib/mlpstream-job.jar").contains("COPY --chown=flink:flink jobs/ /opt/mlpstream/jobs/");
        }
    }

    private static JsonNode mainContainer(JsonNode podTemplate) {
        Iterator<JsonNode> containers = podTemplate.path("spec").path("containers").elements();
        while (containers.hasNext()) {
            JsonNode c = containers.next();
            if (MAIN_CONTAINER.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no container " + MAIN_CONTAINER + " in the pod template " + podTemplate);
    }
}
