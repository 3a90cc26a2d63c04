package io.mlpstream.job;

import io.mlpstream.testutils.CapturedLogs;
import io.mlpstream.testutils.ImageEventWriters;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the job checks on the client about its input's writer schemas ({@code kafka.writer-schemas-dir}) and its outputs'
 * record size limits ({@code kafka.properties.max.request.size}): bad values fail the build, before submission, in one
 * line naming the option and the file or value.
 */
class JobInputOutputContractTest {
    @TempDir
    Path dir;

    @Test
    void anIncompatibleWriterSchemaFailsTheBuildInOneLineNamingTheOptionAndTheFile() throws Exception {
        Path file = dir.resolve("v0.avsc");
        Files.writeString(file, ImageEventWriters.withoutEventId().toString(true));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        assertThatThrownBy(() -> InferenceJob.build(env, spec(Map.of("kafka.writer-schemas-dir", dir.toString()))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("kafka.writer-schemas-dir=" + dir + ": Writer schema " + file)
                .hasMessageContaining("cannot be read as io.mlpstream.avro.ImageEvent")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> InferenceJob.build(env, spec(Map.of("kafka.writer-schemas-dir", dir.resolve("nope").toString()))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not a directory");
    }

    @Test
    void compatibleWriterSchemasJoinOurs() throws Exception {
        Files.writeString(dir.resolve("with-device-id.avsc"), ImageEventWriters.withDeviceId().toString(true));
        assertThat(InferenceJob.writerSchemas(spec(Map.of("kafka.writer-schemas-dir", dir.toString()))).describe())
                .hasSize(InferenceJob.writerSchemas(spec(Map.of())).describe().size() + 1)
                .anyMatch(d -> d.endsWith("with-device-id.avsc)"));
    }

    @Test
    void recordSizeLimitsAreTheLeastOfTopicAndProducer() {
        RecordSizeLimits assumed = RecordSizeLimits.assumed(Map.of(), "test");
        assertThat(assumed.deadLetters()).as("max.request.size 1 MiB < max.message.bytes 1 MiB + 12").isEqualTo(1_048_576);
        RecordSizeLimits raised = RecordSizeLimits.of(Map.of("max.request.size", "4194304"), 3_000_000, 1_048_588, 100_000, "test");
        assertThat(raised.results()).isEqualTo(3_000_000);
        assertThat(raised.deadLetters()).isEqualTo(1_048_588);
        assertThat(raised.metrics()).isEqualTo(100_000);
        assertThat(RecordSizeLimits.of(Map.of("max.request.size", "4194304", "buffer.memory", "2000000"), 3_000_000, 3_000_000,
                3_000_000, "test").results()).isEqualTo(2_000_000);
    }

    @Test
    void aProducerLimitThatIsNoNumberOrTooSmallIsOneLine() {
        assertThatThrownBy(() -> RecordSizeLimits.assumed(Map.of("max.request.size", "1MB"), "test"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("kafka.properties.max.request.size=1MB is not a number of bytes; use e.g. 1048576 (Kafka's default).");
        assertThatThrownBy(() -> RecordSizeLimits.assumed(Map.of("max.request.size", "1000"), "test"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("kafka.properties.max.request.size=1000 is below the 65536 bytes");
    }

    @Test
    void topicLimitsThatCannotBeReadAreAssumedToBeKafkasDefaultAndSaidInOneLogLine() {
        try (CapturedLogs logs = new CapturedLogs()) {
            RecordSizeLimits limits = TopicPreflight.recordSizeLimits(spec(Map.of()), Map.of(),
                    "TopicAuthorizationException: Not authorized to access topics: [tags].");
            assertThat(limits).isEqualTo(RecordSizeLimits.assumed(Map.of(), "the topics' configs could not be read"));
            assertThat(logs.linesContaining("Cannot read max.message.bytes of the output topics")).hasSize(1)
                    .allSatisfy(line -> assertThat(line).contains("TopicAuthorizationException").contains("DescribeConfigs")
                            .contains("assuming Kafka's default 1048588 bytes").doesNotContain("\n"));
        }
    }

    private static InferenceJobSpec spec(Map<String, String> overrides) {
        return InferenceJobSpec.from(JobConfig.load(null, overrides));
    }
}
