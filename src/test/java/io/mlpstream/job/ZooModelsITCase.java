package io.mlpstream.job;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every zoo model through the real job, chosen by name in the job's configuration and nothing else:
 * each result's label equals the model's own offline prediction for that image.
 */
class ZooModelsITCase {
    private static final int EVENTS = 96;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics().expectAllClientsClosed();


    static List<String> zoo() {
        return ModelSource.bundledNames();
    }

    @AfterAll
    static void noSessionLeft() {
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zoo")
    void theJobTagsWithTheModelItsConfigNames(String model) throws Exception {
        String in = "images-" + model;
        String out = "tags-" + model;
        KAFKA.createTopics(2, in, out, "dead-" + model, "metrics-" + model);
        DigitsDataset digits = DigitsDataset.loadBundled();
        List<byte[]> images = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            byte[] png = digits.png((i * 19) % digits.size());
            images.add(png);
            String id = "d-" + i;
            records.add(new ProducerRecord<>(in, id.getBytes(StandardCharsets.UTF_8), TestEvents.encoded(id, png, "image/png")));
        }
        List<String> expected = TestEvents.referenceLabels(model, images);
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);

        Map<String, String> o = JobFixtures.boundedJob(KAFKA.bootstrapServers(), "zoo-" + model);
        o.put("model.name", model);
        o.put("kafka.input-topic", in);
        o.put("kafka.results-topic", out);
        o.put("kafka.dead-letter-topic", "dead-" + model);
        o.put("kafka.metrics-topic", "metrics-" + model);
        o.put("batch.max-size", "16");
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, o));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        env.execute("zoo-" + model);

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), out, true);
        assertThat(results).hasSize(EVENTS);
        Map<String, String> labels = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : results) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            assertThat(t.getModelName()).isEqualTo(model);
            assertThat(labels.put(t.getEventId(), t.getLabels().get(0).getLabel())).as("duplicate %s", t.getEventId()).isNull();
        }
        int correct = 0;
        for (int i = 0; i < EVENTS; i++) {
            assertThat(labels.get("d-" + i)).as("label of d-%d with %s", i, model).isEqualTo(expected.get(i));
            correct += expected.get(i).equals(String.valueOf(digits.label((i * 19) % digits.size()))) ? 1 : 0;
        }
        System.out.printf("%s through the job: %d/%d results equal the offline predictions (%d correct digits)%n",
                model, EVENTS, EVENTS, correct);
    }
}
