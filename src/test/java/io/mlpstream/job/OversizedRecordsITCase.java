package io.mlpstream.job;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.ImageEventCodec;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Records larger than an output topic accepts, through the real job (in-process KRaft broker, MiniCluster, bundled
 * model): the input topic takes 3 MB records, the dead-letter topic 1 MiB and the results topic the broker's stock
 * 1 MiB + 12 bytes, while the job's producers would send up to 4 MiB ({@code kafka.properties.max.request.size}), so only
 * the topics' limits, read by {@link TopicPreflight}, can keep the broker from refusing a record. A 2 MB event whose
 * image cannot be decoded must become a truncated dead letter that points at the original, a digit with 1.5 MB of
 * attributes a result without them, and the digits around them must be tagged, all without a single task failure: the
 * MiniCluster never restarts a job, so a record the producer or broker refused would fail {@code env.execute}.
 */
class OversizedRecordsITCase {
    private static final int INPUT_MAX_MESSAGE_BYTES = 3 * 1024 * 1024;
    private static final int DEAD_LETTER_MAX_MESSAGE_BYTES = 1024 * 1024;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics().expectAllClientsClosed();

    private static DigitsDataset digits;

    @TempDir
    static Path checkpoints;

    @BeforeAll
    static void loadDigits() throws Exception {
        digits = DigitsDataset.loadBundled();
    }

    @AfterAll
    static void checkForLeakedSessions() {
        assertThat(SharedSessions.openSessions()).as("ORT sessions left open after the jobs").isZero();
    }

    @Test
    void aRecordTooLargeForTheOutputTopicsIsTruncatedNotARestartLoop() throws Exception {
        String input = "images-big";
        String results = "tags-big";
        String deadLetters = "dead-letter-big";
        String metrics = "inference-metrics-big";
        createTopics(Map.of(input, Map.of("max.message.bytes", Integer.toString(INPUT_MAX_MESSAGE_BYTES)),
                deadLetters, Map.of("max.message.bytes", Integer.toString(DEAD_LETTER_MAX_MESSAGE_BYTES)),
                results, Map.of(), metrics, Map.of()));

        byte[] noise = new byte[2 * 1024 * 1024];
        new Random(7).nextBytes(noise);
        byte[] hugeUndecodable = TestEvents.encoded("huge-undecodable", noise, "image/png");
        Map<String, String> manyAttributes = new HashMap<>();
        for (int i = 0; i < 1_500; i++) {
            manyAttributes.put("attribute-" + i, "x".repeat(1_000));
        }
        byte[] hugeAttributes = ImageEventCodec.encode(ImageEvent.newBuilder()
                .setEventId("huge-attributes").setSource("test").setCaptureTime(Instant.now()).setContentType("image/png")
                .setImage(ByteBuffer.wrap(digits.png(500))).setModelName(null).setAttributes(manyAttributes).build());
        assertThat(hugeUndecodable.length).as("above the dead-letter topic's 1 MiB").isGreaterThan(2_000_000);
        assertThat(hugeAttributes.length).as("above the results topic's 1 MiB + 12 bytes").isGreaterThan(1_500_000);

        int goodDigits = 40;
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < goodDigits; i++) {
            images.add(digits.png(200 + i));
        }
        List<String> labels = TestEvents.referenceLabels(images);
        String hugeAttributesLabel = TestEvents.referenceLabels(List.of(digits.png(500))).get(0);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, String> expectedLabel = new HashMap<>();
        for (int i = 0; i < goodDigits; i++) {
            String id = "digit-" + (200 + i);
            expectedLabel.put(id, labels.get(i));
            records.add(new ProducerRecord<>(input, utf8(id), TestEvents.encoded(id, images.get(i), "image/png")));
            if (i == 10) {
                ProducerRecord<byte[], byte[]> big = new ProducerRecord<>(input, utf8("huge-undecodable"), hugeUndecodable);
                big.headers().add("trace-id", utf8("t-huge"));
                records.add(big);
            }
            if (i == 25) {
                records.add(new ProducerRecord<>(input, utf8("huge-attributes"), hugeAttributes));
            }
        }
        produceLarge(records);

        Map<String, String> overrides = JobFixtures.boundedJob(KAFKA.bootstrapServers(), input);
        overrides.put("kafka.input-topic", input);
        overrides.put("kafka.results-topic", results);
        overrides.put("kafka.dead-letter-topic", deadLetters);
        overrides.put("kafka.metrics-topic", metrics);
        // in-flight records are in every checkpoint: 3.5 MB of them come close to the in-memory storage's 5 MB per task
        overrides.put("job.checkpoint-dir", checkpoints.toUri().toString());
        overrides.put("metrics.window", "1 s");
        overrides.put("model.device", "cpu");
        overrides.put("batch.max-size", "8");
        overrides.put("batch.max-delay", "20 ms");
        overrides.put("kafka.properties.max.request.size", Integer.toString(4 * 1024 * 1024));
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, overrides));
        RecordSizeLimits limits = TopicPreflight.check(spec);
        assertThat(limits.deadLetters()).as("the dead-letter topic's max.message.bytes").isEqualTo(DEAD_LETTER_MAX_MESSAGE_BYTES);
        assertThat(limits.results()).as("the broker's message.max.bytes").isEqualTo(RecordSizeLimits.KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec, limits);
        env.execute(input); // restart-strategy none: a RecordTooLargeException in a sink would throw here

        Map<String, ConsumerRecord<byte[], byte[]>> tagged = new HashMap<>();
        Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
        int duplicates = 0;
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), results, true)) {
            duplicates += tagged.put(TaggedImageSerializer.decode(r.value()).getEventId(), r) != null ? 1 : 0;
        }
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), deadLetters, true)) {
            String id = new String(r.key(), StandardCharsets.UTF_8);
            duplicates += dead.put(id, r) != null || tagged.containsKey(id) ? 1 : 0;
        }

        ConsumerRecord<byte[], byte[]> truncated = dead.get("huge-undecodable");
        assertThat(truncated).as("the 2 MB undecodable event, dead-lettered").isNotNull();
        assertThat(header(truncated, DeadLetterSerializer.STAGE)).isEqualTo("decode");
        assertThat(header(truncated, DeadLetterSerializer.VALUE_TRUNCATED)).isEqualTo(Integer.toString(hugeUndecodable.length));
        assertThat(header(truncated, "trace-id")).isEqualTo("t-huge");
        assertThat(truncated.value().length).isLessThan(hugeUndecodable.length).isPositive();
        assertThat(truncated.value()).as("a prefix of the original value")
                .isEqualTo(java.util.Arrays.copyOf(hugeUndecodable, truncated.value().length));
        byte[] original = fetch(header(truncated, DeadLetterSerializer.TOPIC),
                Integer.parseInt(header(truncated, DeadLetterSerializer.PARTITION)),
                Long.parseLong(header(truncated, DeadLetterSerializer.OFFSET)));
        assertThat(original).as("the original, fetched from the topic/partition/offset headers").isEqualTo(hugeUndecodable);

        ConsumerRecord<byte[], byte[]> withoutAttributes = tagged.get("huge-attributes");
        assertThat(withoutAttributes).as("the digit with 1.5 MB of attributes, tagged").isNotNull();
        TaggedImage result = TaggedImageSerializer.decode(withoutAttributes.value());
        assertThat(result.getLabels().get(0).getLabel()).isEqualTo(hugeAttributesLabel);
        assertThat(result.getAttributes()).isEmpty();
        assertThat(header(withoutAttributes, TaggedImageSerializer.ATTRIBUTES_DROPPED)).isEqualTo("1500");
        assertThat(header(withoutAttributes, TaggedImageSerializer.INPUT_TOPIC)).isEqualTo(input);
        assertThat(fetch(input, Integer.parseInt(header(withoutAttributes, TaggedImageSerializer.INPUT_PARTITION)),
                Long.parseLong(header(withoutAttributes, TaggedImageSerializer.INPUT_OFFSET)))).isEqualTo(hugeAttributes);

        for (Map.Entry<String, String> e : expectedLabel.entrySet()) {
            assertThat(tagged).as("digit %s tagged", e.getKey()).containsKey(e.getKey());
            TaggedImage t = TaggedImageSerializer.decode(tagged.get(e.getKey()).value());
            assertThat(t.getLabels().get(0).getLabel()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(tagged.get(e.getKey()).headers().lastHeader(TaggedImageSerializer.ATTRIBUTES_DROPPED)).isNull();
        }
        assertThat(duplicates).isZero();
        assertThat(tagged.size() + dead.size()).as("every event exactly once").isEqualTo(records.size());
        System.out.printf("%d events (a %d-byte undecodable one, a %d-byte one with 1500 attributes) into 1 MB output "
                        + "topics: %d tagged, %d dead-lettered (dead letter value truncated to %d bytes), 0 job restarts%n",
                records.size(), hugeUndecodable.length, hugeAttributes.length, tagged.size(), dead.size(),
                truncated.value().length);
    }

    @Test
    void anOutputTopicTooSmallForADeadLettersHeadersFailsThePreflightInOneLine() throws Exception {
        createTopics(Map.of("images-tiny", Map.of(), "tags-tiny", Map.of(), "dead-letter-tiny", Map.of("max.message.bytes", "1000"),
                "inference-metrics-tiny", Map.of()));
        Map<String, String> overrides = JobFixtures.boundedJob(KAFKA.bootstrapServers(), "tiny");
        overrides.put("kafka.input-topic", "images-tiny");
        overrides.put("kafka.results-topic", "tags-tiny");
        overrides.put("kafka.dead-letter-topic", "dead-letter-tiny");
        overrides.put("kafka.metrics-topic", "inference-metrics-tiny");
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, overrides));
        assertThatThrownBy(() -> TopicPreflight.check(spec))
                .isInstanceOf(ConfigException.class)
                .hasMessage("kafka.dead-letter-topic=dead-letter-tiny accepts records of at most 1000 bytes (max.message.bytes), "
                        + "below the 65536 the job may need for one (a dead letter's headers, a result's labels); raise the "
                        + "topic's max.message.bytes.");
    }

    private static void createTopics(Map<String, Map<String, String>> topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            List<NewTopic> newTopics = new ArrayList<>();
            topics.forEach((name, configs) -> newTopics.add(new NewTopic(name, 2, (short) 1).configs(configs)));
            admin.createTopics(newTopics).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Like {@link KafkaTestUtils#produce} with a producer that sends records up to the input topic's limit. */
    private static void produceLarge(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        Properties props = KafkaTestUtils.producerProperties(KAFKA.bootstrapServers());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(INPUT_MAX_MESSAGE_BYTES));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> acks = new ArrayList<>();
            records.forEach(r -> acks.add(producer.send(r)));
            for (Future<?> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The value of the record at topic/partition/offset. */
    private static byte[] fetch(String topic, int partition, long offset) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() == offset) {
                        return r.value();
                    }
                }
            }
        }
        throw new AssertionError("no record at " + topic + "-" + partition + "@" + offset);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
