package io.mlpstream;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layers, from the bottom: core (model, image, batching, inference: no Flink, Kafka or Avro), flink (the public
 * DataStream API and its glue), sql (the Flink SQL model provider: no Kafka or Avro either) and job (the Kafka job, its
 * serde, the SQL format of its topics, options and CLI), and the demo (standalone jar only). Dependencies point down only, and no two packages depend on each other. Checked on the compiled classes of
 * src/main and src/demo, tests excluded.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("/bench/"))
                .importPaths(Path.of("target/classes"), Path.of("target/demo-classes"));
        assertThat(classes).as("classes imported from target/classes and target/demo-classes").hasSizeGreaterThan(50);
    }

    @Test
    void layersDependOnlyOnLayersBelow() {
        ArchRule rule = layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("core").definedBy("io.mlpstream.core..")
                .layer("flink").definedBy("io.mlpstream.flink..")
                .layer("sql").definedBy("io.mlpstream.sql..")
                .layer("job").definedBy("io.mlpstream.job..", "io.mlpstream.avro..")
                .layer("demo").definedBy("io.mlpstream.demo..")
                .whereLayer("demo").mayNotBeAccessedByAnyLayer()
                .whereLayer("job").mayOnlyBeAccessedByLayers("demo")
                .whereLayer("sql").mayOnlyBeAccessedByLayers("job", "demo")
                .whereLayer("flink").mayOnlyBeAccessedByLayers("sql", "job", "demo")
                .whereLayer("core").mayOnlyBeAccessedByLayers("flink", "sql", "job", "demo")
                .withOptionalLayers(true);
        rule.check(classes);
    }

    @Test
    void theCoreKnowsNoFlinkKafkaOrAvro() {
        noClasses().that().resideInAPackage("io.mlpstream.core..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.flink..", "org.apache.kafka..", "org.apache.avro..", "io.mlpstream.avro..", "kafka..")
                .check(classes);
    }

    @Test
    void theOperatorKnowsNoKafkaOrAvro() {
        noClasses().that().resideInAPackage("io.mlpstream.flink..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.kafka..", "org.apache.avro..", "io.mlpstream.avro..", "org.apache.flink.connector.kafka..")
                .check(classes);
    }

    @Test
    void theSqlModelProviderKnowsNoKafkaOrAvro() {
        noClasses().that().resideInAPackage("io.mlpstream.sql..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.kafka..", "org.apache.avro..", "io.mlpstream.avro..", "org.apache.flink.connector.kafka..",
                        "org.apache.flink.streaming.connectors.kafka..")
                .check(classes);
    }

    @Test
    void onlyTheDemoUsesTheKafkaBroker() {
        noClasses().that().resideOutsideOfPackage("io.mlpstream.demo..")
                .should().dependOnClassesThat().resideInAnyPackage("kafka..", "org.apache.kafka.server..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.mlpstream.(**)").should().beFreeOfCycles().check(classes);
    }
}
