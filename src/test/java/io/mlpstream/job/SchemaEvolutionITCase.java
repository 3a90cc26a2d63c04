package io.mlpstream.job;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.ImageEventImages;
import io.mlpstream.job.serde.ImageEventSchemas;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.ImageEventWriters;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.avro.Schema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Producers on other versions of the ImageEvent schema, through the real job (in-process KRaft broker, MiniCluster,
 * bundled model): events written with a schema that adds an optional field, registered in {@code
 * kafka.writer-schemas-dir}, are tagged like ours; an event written with an incompatible schema (no {@code eventId}) is
 * dead-lettered with its fingerprint as on the wire and what to do. The job never restarts.
 */
class SchemaEvolutionITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics().expectAllClientsClosed();

    private static DigitsDataset digits;

    @TempDir
    static Path writerSchemas;

    @BeforeAll
    static void loadDigits() throws Exception {
        digits = DigitsDataset.loadBundled();
    }

    @AfterAll
    static void checkForLeakedSessions() {
        assertThat(SharedSessions.openSessions()).as("ORT sessions left open after the jobs").isZero();
    }

    @Test
    void eventsOfACompatibleWriterSchemaAreTaggedAndOfAnIncompatibleOneDeadLettered() throws Exception {
        String input = "images-evolved";
        String results = "tags-evolved";
        String deadLetters = "dead-letter-evolved";
        String metrics = "inference-metrics-evolved";
        KAFKA.createTopics(2, input, results, deadLetters, metrics);
        Schema evolved = ImageEventWriters.withDeviceId();
        Schema incompatible = ImageEventWriters.withoutEventId();
        Files.writeString(writerSchemas.resolve("image-event-with-device-id.avsc"), evolved.toString(true));

        int count = 60;
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(digits.png(300 + i));
        }
        List<String> labels = TestEvents.referenceLabels(images);
        Map<String, String> expectedLabel = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            boolean ours = i % 2 == 0;
            String id = (ours ? "ours-" : "evolved-") + i;
            expectedLabel.put(id, labels.get(i));
            byte[] value = ours
                    ? TestEvents.encoded(id, images.get(i), "image/png")
                    : ImageEventWriters.encode(evolved, id, "cam-evolved", images.get(i), "image/png");
            records.add(new ProducerRecord<>(input, utf8(id), value));
            if (i == 30) {
                records.add(new ProducerRecord<>(input, utf8("incompatible"),
                        ImageEventWriters.encode(incompatible, null, "cam-old", images.get(i), "image/png")));
            }
        }
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);

        Map<String, String> overrides = JobFixtures.boundedJob(KAFKA.bootstrapServers(), input);
        overrides.put("kafka.input-topic", input);
        overrides.put("kafka.writer-schemas-dir", writerSchemas.toString());
        overrides.put("kafka.results-topic", results);
        overrides.put("kafka.dead-letter-topic", deadLetters);
        overrides.put("kafka.metrics-topic", metrics);
        overrides.put("metrics.window", "1 s");
        overrides.put("model.device", "cpu");
        overrides.put("batch.max-size", "8");
        overrides.put("batch.max-delay", "20 ms");
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, overrides));
        RecordSizeLimits limits = TopicPreflight.check(spec);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec, limits);
        env.execute(input); // restart-strategy none: a failed task would throw here

        Map<String, TaggedImage> tagged = new HashMap<>();
        Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
        int duplicates = 0;
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), results, true)) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            duplicates += tagged.put(t.getEventId(), t) != null ? 1 : 0;
        }
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), deadLetters, true)) {
            String id = new String(r.key(), StandardCharsets.UTF_8);
            duplicates += dead.put(id, r) != null || tagged.containsKey(id) ? 1 : 0;
        }

        for (Map.Entry<String, String> e : expectedLabel.entrySet()) {
            assertThat(tagged).as("%s tagged", e.getKey()).containsKey(e.getKey());
            TaggedImage t = tagged.get(e.getKey());
            assertThat(t.getLabels().get(0).getLabel()).as(e.getKey()).isEqualTo(e.getValue());
            if (e.getKey().startsWith("evolved-")) {
                assertThat(t.getSource()).isEqualTo("cam-evolved");
                assertThat(t.getAttributes()).containsEntry("site", "north");
            }
        }
        ConsumerRecord<byte[], byte[]> refused = dead.get("incompatible");
        assertThat(refused).as("the event of the incompatible schema, dead-lettered").isNotNull();
        String wire = ImageEventSchemas.wireHex(ImageEventSchemas.fingerprint(incompatible));
        assertThat(header(refused, DeadLetterSerializer.STAGE)).isEqualTo(ImageEventImages.STAGE_DESERIALIZE);
        assertThat(header(refused, DeadLetterSerializer.EXCEPTION_MESSAGE))
                .contains("fingerprint " + wire)
                .contains(ImageEventSchemas.wireHex(ImageEventSchemas.fingerprint(evolved)) + " (" + writerSchemas)
                .contains("put its .avsc file into the kafka.writer-schemas-dir directory");
        assertThat(duplicates).isZero();
        assertThat(dead).hasSize(1);
        assertThat(tagged).hasSize(count);
        System.out.printf("%d events: %d of our schema and %d of one with an added optional field tagged, 1 of an "
                        + "incompatible schema dead-lettered: %s%n", records.size(), count / 2, count / 2,
                header(refused, DeadLetterSerializer.EXCEPTION_MESSAGE));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
