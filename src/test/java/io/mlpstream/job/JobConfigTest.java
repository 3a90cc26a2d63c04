package io.mlpstream.job;

import io.mlpstream.core.model.Device;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path p = dir.resolve("job.yaml");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void nestedAndDottedYamlWithCommandLineOverrides() throws Exception {
        Path p = yaml("""
                kafka:
                  bootstrap-servers: broker:9092
                  input-topic: cams
                  properties:
                    security.protocol: SASL_SSL
                batch.max-size: 16
                batch:
                  max-delay: 25 ms
                model:
                  device: cpu
                """);
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(p, Map.of("batch.max-size", "64")));
        assertThat(spec.kafkaBootstrapServers()).isEqualTo("broker:9092");
        assertThat(spec.kafkaInputTopic()).isEqualTo("cams");
        assertThat(spec.inference().batchMaxSize()).isEqualTo(64);
        assertThat(spec.inference().batchMaxDelay()).isEqualTo(Duration.ofMillis(25));
        assertThat(spec.inference().modelDevice()).isEqualTo(Device.CPU);
        assertThat(spec.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(spec.inference().asyncCapacity()).isEqualTo(64 * 3);
        assertThat(spec.kafkaResultsTopic()).isEqualTo("tags");
    }

    @Test
    void theShippedJobConfigIsValid() {
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(Path.of("jobs/digits-tagging.yaml"), Map.of()));
        assertThat(spec.inference().modelName()).isEqualTo("mixer-digits");
    }

    @Test
    void aMistypedKeyNamesTheClosestOption() throws Exception {
        Path p = yaml("batch.max-sise: 8\n");
        assertThatThrownBy(() -> JobConfig.load(p, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Unknown option 'batch.max-sise'")
                .hasMessageContaining("Did you mean 'batch.max-size'?");
    }

    @Test
    void secretsComeFromTheEnvironmentOrAFile() throws Exception {
        Path secret = dir.resolve("password.txt");
        Files.writeString(secret, "s3cret\n");
        Map<String, String> overrides = Map.of(
                "kafka.properties.sasl.jaas.config", "user=\"${env:KAFKA_USER}\" pass=\"${file:" + secret + "}\"");
        JobConfig config = JobConfig.load(null, overrides, name -> name.equals("KAFKA_USER") ? "alice" : null);
        assertThat(config.kafkaProperties()).containsEntry("sasl.jaas.config", "user=\"alice\" pass=\"s3cret\"");
        assertThatThrownBy(() -> JobConfig.load(null, Map.of("kafka.properties.x", "${env:NOPE}"), n -> null))
                .hasMessageContaining("environment variable NOPE");
        assertThat(KafkaPropertiesLog.render(config.kafkaProperties())).doesNotContain("s3cret").contains("****");
        assertThat(InferenceJobSpec.from(config).toString()).doesNotContain("s3cret").doesNotContain("alice");
    }

    @Test
    void tooSmallCapacityIsRefusedWithTheRightValue() {
        assertThatThrownBy(() -> spec(Map.of("batch.max-size", "32", "batch.max-in-flight", "2", "async.capacity", "40")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("async.capacity=40 is too small")
                .hasMessageContaining("Use at least 96");
    }

    @Test
    void preprocessAheadHoldsOneMoreBatchPerSubtask() {
        InferenceJobSpec ahead = spec(Map.of("batch.max-size", "8", "batch.max-in-flight", "1", "batch.preprocess-ahead", "true"));
        assertThat(ahead.inference().batchPreprocessAhead()).isTrue();
        assertThat(ahead.inference().batchesPreparedAhead()).isEqualTo(1);
        assertThat(ahead.inference().asyncCapacity()).as("two batches in the worker pool and one forming").isEqualTo(24);
        assertThat(spec(Map.of("batch.max-size", "8", "batch.max-in-flight", "1")).inference().asyncCapacity()).isEqualTo(16);
        assertThatThrownBy(() -> spec(Map.of("batch.max-size", "8", "batch.max-in-flight", "1",
                "batch.preprocess-ahead", "true", "async.capacity", "16")))
                .hasMessageContaining("Use at least 24");
    }

    @Test
    void timeoutMustExceedTheBatchDelay() {
        assertThatThrownBy(() -> spec(Map.of("batch.max-delay", "5 s", "async.timeout", "2 s")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("async.timeout=PT2S must exceed batch.max-delay=PT5S");
    }

    @Test
    void badValuesAreOneClearLine() {
        assertThatThrownBy(() -> spec(Map.of("batch.max-size", "0"))).hasMessageContaining("batch.max-size=0 is out of range");
        assertThatThrownBy(() -> spec(Map.of("batch.max-size", "lots"))).hasMessageContaining("Option 'batch.max-size'");
        assertThatThrownBy(() -> spec(Map.of("model.device", "tpu"))).hasMessageContaining("use auto, cpu, or cuda:N");
        assertThatThrownBy(() -> spec(Map.of("image.jpeg-decoder", "libjpeg")))
                .hasMessage("image.jpeg-decoder: 'libjpeg' is not a JPEG decoder: use auto, turbojpeg or imageio");
        assertThatThrownBy(() -> spec(Map.of("kafka.delivery-guarantee", "twice"))).hasMessageContaining("exactly-once, at-least-once or none");
        assertThatThrownBy(() -> spec(Map.of("kafka.results-topic", "images"))).hasMessageContaining("read its own output");
        assertThatThrownBy(() -> spec(Map.of("kafka.transaction-timeout", "5 s", "job.checkpoint-interval", "5 s")))
                .hasMessageContaining("kafka.transaction-timeout=PT5S must be well above");
        assertThatThrownBy(() -> JobConfig.load(Path.of("no/such.yaml"), Map.of())).hasMessageContaining("does not exist");
    }

    @Test
    void aCheckpointDirectorySwitchesTheJobToFilesystemCheckpointStorageInADirectoryOfItsOwnRetainedOnCancel() {
        // 48 in-flight 120 KB JPEGs are 5.7 MB of async-operator state: above the in-memory storage's 5 MB per task
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec(Map.of("job.checkpoint-dir", "file:///tmp/mlpstream-ckpt-test",
                "kafka.transactional-id-prefix", "tagger-7", "job.resume-from", "none")));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINT_STORAGE)).isEqualTo("filesystem");
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))
                .isEqualTo("file:///tmp/mlpstream-ckpt-test/tagger-7");
        assertThat(env.getConfiguration().get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .isEqualTo(org.apache.flink.configuration.ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);

        StreamExecutionEnvironment plain = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(plain, spec(Map.of()));
        assertThat(plain.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEmpty();
    }

    private static InferenceJobSpec spec(Map<String, String> overrides) {
        return InferenceJobSpec.from(JobConfig.load(null, overrides));
    }
}
