package io.mlpstream;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each of the three jars `mvn package` builds holds: the library (what users depend on) and the job jar (for `flink
 * run`) have neither the demo nor the embedded Kafka broker nor the demo's data; the standalone jar has all of it plus
 * Flink (Flink SQL's planner included, so it runs SQL scripts). The library leaves Flink, Kafka and ONNX Runtime to its
 * dependencies; the job jar bundles all but Flink, and lists the SQL model provider and format as table factories.
 */
class JarContentsITCase {
    private static final Path TARGET = Path.of("target");

    @Test
    void theLibraryJarHoldsOurClassesAndModelsButNoDemoBrokerOrDependencies() throws IOException {
        List<String> entries = entries(jar(name -> name.matches("mlpstream-[0-9.]+(-SNAPSHOT)?\\.jar")));
        assertThat(entries).contains("io/mlpstream/flink/ImageInference.class", "io/mlpstream/core/inference/BatchInference.class",
                "io/mlpstream/job/InferenceJob.class", "mlpstream/models/mixer-digits/model.onnx");
        assertThat(entries).noneMatch(e -> e.startsWith("io/mlpstream/demo/"))
                .noneMatch(e -> e.startsWith("mlpstream/data/"))
                .noneMatch(e -> e.startsWith("kafka/server/")) // the broker (kafka-clients has kafka/kafka-version.properties)
                .noneMatch(e -> e.startsWith("org/apache/flink/"))
                .noneMatch(e -> e.startsWith("ai/onnxruntime/"));
    }

    @Test
    void theJobJarBundlesTheConnectorAndOnnxRuntimeButNeitherFlinkNorTheDemo() throws IOException {
        List<String> entries = entries(jar(name -> name.endsWith("-job.jar")));
        assertThat(entries).contains("io/mlpstream/job/FlinkJobMain.class", "ai/onnxruntime/OrtSession.class",
                "org/apache/flink/connector/kafka/sink/KafkaSink.class", "mlpstream/models/mixer-digits/model.json",
                "org/HdrHistogram/Histogram.class");
        assertThat(entries).noneMatch(e -> e.startsWith("io/mlpstream/demo/"))
                .noneMatch(e -> e.startsWith("mlpstream/data/"))
                .noneMatch(e -> e.startsWith("kafka/server/")) // the broker (kafka-clients has kafka/kafka-version.properties)
                .noneMatch(e -> e.startsWith("org/apache/kafka/metadata/")) // the broker's, not the clients'
                .noneMatch(e -> e.startsWith("org/apache/flink/streaming/api/"))
                .noneMatch(e -> e.startsWith("org/apache/flink/table/api/")) // Flink SQL is the cluster's (lib/)
                .noneMatch(e -> e.equals("flink-table-planner.jar"))
                .noneMatch(e -> e.equals("META-INF/services/org.apache.flink.metrics.reporter.MetricReporterFactory"));
        // SQL: the model provider, the format and the Kafka connector's table factories (the jar brings the connector)
        assertThat(tableFactories(jar(name -> name.endsWith("-job.jar")))).contains(
                "io.mlpstream.sql.MlpstreamModelProviderFactory", "io.mlpstream.job.format.MlpstreamAvroFormatFactory",
                "org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory");
    }

    @Test
    void theStandaloneJarHasTheDemoTheBrokerAndFlink() throws IOException {
        Path standalone = jar(name -> name.equals("mlpstream-standalone.jar"));
        List<String> entries = entries(standalone);
        assertThat(entries).contains("io/mlpstream/demo/StandaloneCli.class", "io/mlpstream/demo/EmbeddedKafkaBroker.class",
                "mlpstream/data/digits-heldout.bin.gz", "kafka/server/KafkaRaftServer.class",
                "org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class");
        try (JarFile jar = new JarFile(standalone.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.mlpstream.demo.StandaloneCli");
            ZipEntry services = jar.getEntry("META-INF/services/org.apache.flink.metrics.reporter.MetricReporterFactory");
            assertThat(new String(jar.getInputStream(services).readAllBytes())).contains("io.mlpstream.demo.DemoMetrics$Factory");
        }
        // it runs SQL scripts: the planner (behind its loader), the table runtime and every factory, services merged
        assertThat(entries).contains("flink-table-planner.jar", "org/apache/flink/table/planner/loader/PlannerModule.class",
                "org/apache/flink/table/runtime/operators/ml/AsyncMLPredictRunner.class");
        assertThat(tableFactories(standalone)).contains(
                "io.mlpstream.sql.MlpstreamModelProviderFactory", "io.mlpstream.job.format.MlpstreamAvroFormatFactory",
                "org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory",
                "org.apache.flink.formats.raw.RawFormatFactory", "org.apache.flink.table.planner.loader.DelegatePlannerFactory");
    }

    /** The classes META-INF/services/org.apache.flink.table.factories.Factory of a jar lists. */
    private static List<String> tableFactories(Path jarPath) throws IOException {
        try (JarFile jar = new JarFile(jarPath.toFile())) {
            ZipEntry services = jar.getEntry("META-INF/services/org.apache.flink.table.factories.Factory");
            assertThat(services).as("table factory services of %s", jarPath).isNotNull();
            return new String(jar.getInputStream(services).readAllBytes()).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
    }

    private static Path jar(java.util.function.Predicate<String> name) throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            List<Path> found = files.filter(p -> name.test(p.getFileName().toString())).toList();
            assertThat(found).as("jar in target/ (run after mvn package)").hasSize(1);
            return found.get(0);
        }
    }

    private static List<String> entries(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(ZipEntry::getName).toList();
        }
    }
}
