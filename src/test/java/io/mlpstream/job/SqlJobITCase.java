package io.mlpstream.job;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.demo.DemoMetrics;
import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.flink.InferenceMetrics;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.ImageEventCodec;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.sql.SqlScript;
import io.mlpstream.testutils.CommittedKeyWatcher;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.INPUT;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shipped SQL script, jobs/digits-tagging.sql, end to end: the input topic filled with digit events first (so the
 * job meets a backlog: load) and a few events whose image is none, then the script's statements on the MiniCluster through the real planner (the planner
 * loader), the Kafka table connector, the mlpstream-avro format and the mlpstream model provider. Every event gets
 * exactly one committed TaggedImage, whose labels are those the model gives each image on its own, with the model's
 * card and a latency breakdown; the bad events are dead letters with the Kafka job's headers; rows were batched (mean batch size well above 1, in the results and in the operator's
 * Flink metrics, which are the DataStream API's names under the same group and variables).
 */
class SqlJobITCase {
    static final Path SCRIPT = Path.of("jobs", "digits-tagging.sql");
    private static final int EVENTS = JobFixtures.events(2_000);
    /** ImageEvents whose image is not one: dead letters. */
    private static final int BAD_EVENTS = 5;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(withMetricsCollected())
            .build());

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS);

    private static Configuration withMetricsCollected() {
        Configuration c = new Configuration();
        DemoMetrics.install(c);
        return c;
    }

    /** The options a test gives the script from outside: the broker, names of its own, a 1 s checkpoint, 2 subtasks. */
    static Map<String, String> scriptOptions(String bootstrapServers, String name) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kafka.bootstrap-servers", bootstrapServers);
        o.put("kafka.group-id", name);
        o.put("kafka.transactional-id-prefix", name + "-" + System.nanoTime());
        o.put("execution.checkpointing.interval", "1 s");
        o.put("parallelism.default", "2");
        return o;
    }

    static SqlScript script() throws Exception {
        return SqlScript.parse(SCRIPT.toString(), Files.readString(SCRIPT, StandardCharsets.UTF_8));
    }

    @Test
    void theScriptTagsEveryEventOnceInBatchesWithTheOperatorsMetrics() throws Exception {
        DemoMetrics.clear();
        DigitsDataset digits = DigitsDataset.loadBundled();
        try (DigitEventProducer producer = JobFixtures.startProducer(KAFKA.bootstrapServers(), digits, EVENTS,
                DigitEventProducer.UNLIMITED_RATE)) {
            assertThat(producer.awaitCompletion(Duration.ofSeconds(120))).as("producer: %s", producer.progress()).isTrue();
            assertThat(producer.progress().failed()).isZero();
        }
        Map<byte[], byte[]> bad = new LinkedHashMap<>();
        for (int i = 0; i < BAD_EVENTS; i++) {
            String id = "bad-" + i;
            bad.put(id.getBytes(StandardCharsets.UTF_8), TestEvents.encoded(id, ("no image " + i).getBytes(StandardCharsets.UTF_8),
                    "image/png"));
        }
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), INPUT, bad);

        long start = System.nanoTime();
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        List<TableResult> jobs = script().run(tEnv, scriptOptions(KAFKA.bootstrapServers(), "sql-itcase"));
        double planned = (System.nanoTime() - start) / 1e9;
        assertThat(jobs).as("jobs the script submits").hasSize(1);
        JobClient job = jobs.get(0).getJobClient().orElseThrow();
        try (CommittedKeyWatcher watcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), RESULTS);
             CommittedKeyWatcher deadWatcher = new CommittedKeyWatcher(KAFKA.bootstrapServers(), DEAD)) {
            watcher.awaitDistinctKeys(EVENTS, Duration.ofSeconds(240), () -> FlinkMiniCluster.notRunning(job));
            deadWatcher.awaitDistinctKeys(BAD_EVENTS, Duration.ofSeconds(60), () -> FlinkMiniCluster.notRunning(job));
        } finally {
            FlinkMiniCluster.cancel(job);
        }
        System.out.printf("SQL script planned and submitted in %.1f s, all results committed %.1f s after the start%n", planned,
                (System.nanoTime() - start) / 1e9);

        List<ConsumerRecord<byte[], byte[]>> records = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), records);
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();

        List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        assertThat(deadLetters).hasSize(BAD_EVENTS).allSatisfy(r -> {
            ImageEvent event = ImageEventCodec.ours().decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(event.getEventId()).startsWith("bad-");
            assertThat(header(r, DeadLetterSerializer.STAGE)).isEqualTo("decode");
            assertThat(header(r, DeadLetterSerializer.EXCEPTION_MESSAGE)).isNotBlank().doesNotStartWith("decode");
            assertThat(header(r, DeadLetterSerializer.TOPIC)).isEqualTo(INPUT);
            assertThat(header(r, DeadLetterSerializer.OFFSET)).matches("[0-9]+");
        });

        List<TaggedImage> results = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).as("key").isEqualTo(t.getEventId());
            results.add(t);
        }
        Map<Integer, String> reference = referenceLabels(digits, results);
        double batchSum = 0;
        for (TaggedImage t : results) {
            int index = Integer.parseInt(t.getAttributes().get(DigitEventProducer.DATASET_INDEX_ATTRIBUTE));
            assertThat(t.getLabels()).as("labels of %s", t.getEventId()).hasSize(3);
            assertThat(t.getLabels().get(0).getLabel()).as("top label of %s", t.getEventId()).isEqualTo(reference.get(index));
            assertThat(t.getLabels()).extracting(LabelScore::getScore).isSortedAccordingTo((a, b) -> Float.compare(b, a));
            assertThat(t.getLabels().get(0).getIndex()).isEqualTo(Integer.parseInt(t.getLabels().get(0).getLabel()));
            assertThat(t.getModelName()).isEqualTo(TestEvents.MODEL);
            assertThat(t.getModelVersion()).isEqualTo("1");
            assertThat(t.getModelSha256()).hasSize(64);
            assertThat(t.getSource()).isEqualTo(DigitEventProducer.SOURCE);
            assertThat(t.getBatchSize()).isBetween(1, 32);
            assertThat(t.getLatency().getInferenceUs()).isPositive();
            assertThat(t.getLatency().getPreprocessUs()).isPositive();
            assertThat(t.getLatency().getQueueWaitUs()).isNotNegative();
            assertThat(t.getLatency().getEndToEndUs()).isGreaterThanOrEqualTo(t.getLatency().getInferenceUs());
            assertThat(t.getProcessedAt()).isAfterOrEqualTo(t.getCaptureTime());
            batchSum += t.getBatchSize();
        }
        double meanBatch = batchSum / results.size();
        long accurate = results.stream()
                .filter(t -> t.getLabels().get(0).getLabel().equals(t.getAttributes().get(DigitEventProducer.TRUE_LABEL_ATTRIBUTE)))
                .count();
        System.out.printf("SQL script: %d events tagged exactly once, mean batch size %.1f per result, accuracy %.3f%n",
                EVENTS, meanBatch, accurate / (double) EVENTS);
        assertThat(meanBatch).as("mean batch size over the results (the input was a backlog)").isGreaterThan(4);

        // the DataStream API's metric names, in group mlpstream with the model's name and version as key/value groups
        String scope = "." + InferenceMetrics.GROUP + "." + InferenceMetrics.MODEL + "." + TestEvents.MODEL + "."
                + InferenceMetrics.VERSION + ".1.";
        Map<String, Metric> metrics = DemoMetrics.collected();
        for (String name : InferenceMetrics.ALL) {
            assertThat(metrics.keySet()).as("metric %s among %s", name, metrics.keySet()).anyMatch(id -> id.endsWith(scope + name));
        }
        long tagged = metrics.entrySet().stream().filter(e -> e.getKey().endsWith(scope + InferenceMetrics.IMAGES_TAGGED))
                .mapToLong(e -> ((Counter) e.getValue()).getCount()).sum();
        // exactly: one ML_PREDICT feeds both INSERTs of the statement set (the planner reuses the view's sub-plan)
        assertThat(tagged).as("imagesTagged over the subtasks").isEqualTo(EVENTS);
        long failed = metrics.entrySet().stream().filter(e -> e.getKey().endsWith(scope + InferenceMetrics.FAILURES))
                .mapToLong(e -> ((Counter) e.getValue()).getCount()).sum();
        assertThat(failed).as("failures over the subtasks").isEqualTo(BAD_EVENTS);
        List<Histogram> batchSizes = metrics.entrySet().stream().filter(e -> e.getKey().endsWith(scope + InferenceMetrics.BATCH_SIZE))
                .map(e -> (Histogram) e.getValue()).collect(Collectors.toList());
        double meanOfMetric = batchSizes.stream().mapToDouble(h -> h.getStatistics().getMean()).average().orElse(0);
        System.out.printf("operator metrics: imagesTagged %d, batchSize mean %.1f over %d subtask(s)%n", tagged, meanOfMetric,
                batchSizes.size());
        assertThat(meanOfMetric).as("mean of the batchSize metric").isGreaterThan(4);
    }

    /**
     * The plain path, without our Avro records: a topic whose values are the image bytes ('value.format' = 'raw') and
     * whose keys are event ids. With 'on-error' = 'null' a value that is no image comes out with NULL predictions and
     * the stage and reason in the 'error' column; with the default 'on-error' = 'fail' it fails the job, saying why.
     */
    @Test
    void rawImageBytesAreTaggedAndBadImagesAreNullRowsOrFailTheJob() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        String topic = "raw-images";
        KAFKA.createTopics(1, topic);
        Map<byte[], byte[]> records = new LinkedHashMap<>();
        List<byte[]> pngs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            pngs.add(digits.png(i * 7));
            records.put(("raw-" + i).getBytes(StandardCharsets.UTF_8), pngs.get(i));
        }
        records.put("raw-garbage".getBytes(StandardCharsets.UTF_8), "not an image".getBytes(StandardCharsets.UTF_8));
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), topic, records);
        List<String> reference = TestEvents.referenceLabels(pngs);

        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tEnv.executeSql("CREATE TABLE raw_images (event_id STRING, image BYTES) WITH ('connector' = 'kafka', 'topic' = '"
                + topic + "', 'properties.bootstrap.servers' = '" + KAFKA.bootstrapServers() + "', "
                + "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', "
                + "'key.format' = 'raw', 'key.fields' = 'event_id', 'value.format' = 'raw', 'value.fields-include' = 'EXCEPT_KEY')");
        tEnv.executeSql("CREATE TEMPORARY MODEL tolerant INPUT (image BYTES) OUTPUT (label STRING, score FLOAT, error STRING) "
                + "WITH ('provider' = 'mlpstream', 'model.name' = 'mixer-digits', 'batch.max-size' = '8', 'on-error' = 'null')");
        Map<String, Row> rows = new LinkedHashMap<>();
        try (CloseableIterator<Row> it = tEnv.executeSql("SELECT event_id, label, score, error FROM ML_PREDICT(TABLE raw_images, "
                + "MODEL tolerant, DESCRIPTOR(image), MAP['max-concurrent-operations', '24'])").collect()) {
            it.forEachRemaining(r -> rows.put((String) r.getField(0), r));
        }
        assertThat(rows).hasSize(41);
        for (int i = 0; i < 40; i++) {
            Row r = rows.get("raw-" + i);
            assertThat(r.getField(1)).as("label of raw-%d", i).isEqualTo(reference.get(i));
            assertThat((Float) r.getField(2)).isBetween(0f, 1f);
            assertThat(r.getField(3)).isNull();
        }
        Row bad = rows.get("raw-garbage");
        assertThat(bad.getField(1)).isNull();
        assertThat(bad.getField(2)).isNull();
        assertThat((String) bad.getField(3)).startsWith("decode: ");

        tEnv.executeSql("CREATE TEMPORARY MODEL strict INPUT (image BYTES) OUTPUT (label STRING) "
                + "WITH ('provider' = 'mlpstream', 'model.name' = 'mixer-digits', 'batch.max-size' = '8')");
        assertThatThrownBy(() -> {
            try (CloseableIterator<Row> it = tEnv.executeSql("SELECT event_id, label FROM ML_PREDICT(TABLE raw_images, "
                    + "MODEL strict, DESCRIPTOR(image), MAP['max-concurrent-operations', '24'])").collect()) {
                it.forEachRemaining(r -> { });
            }
        }).satisfies(e -> assertThat(ExceptionUtils.findThrowableWithMessage(e, "An image could not be tagged (stage decode)"))
                .as("the job's failure names the stage and the way out: %s", e).isPresent()
                .hasValueSatisfying(t -> assertThat(t.getMessage()).contains("'on-error' = 'null'")))
                .satisfies(e -> assertThat(ExceptionUtils.findThrowableWithMessage(e, "input row"))
                        .as("no message prints the image's bytes").isEmpty());
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** The label the model gives each dataset image on its own, for the images among the results. */
    static Map<Integer, String> referenceLabels(DigitsDataset digits, List<TaggedImage> results) {
        List<Integer> indices = results.stream()
                .map(t -> Integer.parseInt(t.getAttributes().get(DigitEventProducer.DATASET_INDEX_ATTRIBUTE)))
                .distinct().sorted().toList();
        List<byte[]> pngs = indices.stream().map(digits::png).toList();
        List<String> labels = TestEvents.referenceLabels(pngs);
        Map<Integer, String> byIndex = new LinkedHashMap<>();
        for (int i = 0; i < indices.size(); i++) {
            byIndex.put(indices.get(i), labels.get(i));
        }
        return byIndex;
    }
}
