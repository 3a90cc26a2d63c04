package io.mlpstream.job;

import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The checks {@code mlpstream run} makes before it submits anything, against a real broker whose
 * {@code transaction.max.timeout.ms} is 5 min (as on clusters that lower the 15 min default): a mistyped topic and a
 * transaction timeout the brokers would refuse are each one line that names the option, not a job that idles or
 * restarts forever.
 */
class TopicPreflightITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(1, JobFixtures.TOPICS)
            .brokerProperty("transaction.max.timeout.ms", "300000")
            .expectAllClientsClosed();

    private static Map<String, String> options(String... keyValues) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kafka.bootstrap-servers", KAFKA.bootstrapServers());
        for (int i = 0; i < keyValues.length; i += 2) {
            o.put(keyValues[i], keyValues[i + 1]);
        }
        return o;
    }

    private static InferenceJobSpec spec(String... keyValues) {
        return InferenceJobSpec.from(JobConfig.load(null, options(keyValues)));
    }

    @Test
    void aMistypedTopicIsOneLineNamingTheOptionAndTheTopicsThatExist() {
        assertThatThrownBy(() -> TopicPreflight.check(spec("kafka.input-topic", "imagez")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    System.out.println("mistyped topic: " + e.getMessage());
                    assertThat(e.getMessage()).doesNotContain("\n")
                            .startsWith("kafka.input-topic=imagez does not exist on " + KAFKA.bootstrapServers())
                            .contains("Existing topics: dead-letter, images, inference-metrics, tags");
                });
    }

    @Test
    void theDefaultTransactionTimeoutAboveTheBrokersMaximumIsRefusedThroughTheCliWithOneLine(@TempDir Path dir) throws IOException {
        Path yaml = Files.writeString(dir.resolve("job.yaml"), "job:\n  name: preflight\n");
        List<String> args = new ArrayList<>(List.of("run", "--config", yaml.toString()));
        options().forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli(Cli.jobCommands()).run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8).strip();
        System.out.println("transaction timeout above the brokers' maximum (exit " + code + "): " + message);
        assertThat(code).isEqualTo(2);
        assertThat(message).doesNotContain("\n")
                .startsWith("mlpstream: kafka.transaction-timeout=10 min is above the brokers' transaction.max.timeout.ms=300000 (5 min)")
                .contains("Lower kafka.transaction-timeout");
    }

    @Test
    void aTransactionTimeoutWithinTheBrokersMaximumOrAtLeastOnceDeliveryPasses() {
        assertThatCode(() -> TopicPreflight.check(spec("kafka.transaction-timeout", "4 min"))).doesNotThrowAnyException();
        assertThatCode(() -> TopicPreflight.check(spec("kafka.delivery-guarantee", "at-least-once"))).doesNotThrowAnyException();
    }
}
