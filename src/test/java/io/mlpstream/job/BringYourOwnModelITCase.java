package io.mlpstream.job;

import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelException;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;
import io.mlpstream.testutils.TestImages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A user's own model through the real job, described by nothing but its card and loaded from a directory
 * (not bundled): the colour classifier of {@code models/mlpstream_models/byo_example.py}
 * ({@code src/test/resources/byo-colors}, copied to a temporary directory first). It is everything the digit
 * zoo is not: RGB, 32×32 after a resize to 36 and a center crop, ImageNet mean/std, an input called
 * {@code pixel_values}, an output {@code probabilities} that already went through a Softmax in the graph, four
 * colour labels. Colour JPEGs and PNGs of very different sizes and aspect ratios must all come back with the
 * right colour, the card's labels and identity, and scores that are probabilities (not softmaxed twice).
 */
class BringYourOwnModelITCase {
    private static final String[] COLOURS = {"red", "green", "blue", "gray"};
    private static final int[][] RGB = {{205, 35, 30}, {40, 165, 55}, {35, 65, 200}, {128, 128, 128}};
    private static final int[][] SIZES = {{640, 480}, {300, 200}, {50, 500}, {1024, 96}, {32, 32}, {37, 23}};

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withoutRestarts();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics().expectAllClientsClosed();


    @TempDir
    Path tmp;

    @AfterAll
    static void noSessionLeft() {
        assertThat(SharedSessions.openSessions()).isZero();
    }

    /** The example's committed directory (model.json + model.onnx), as test resources put it on the classpath. */
    static Path exampleDir() throws URISyntaxException {
        return Path.of(BringYourOwnModelITCase.class.getResource("/byo-colors/model.json").toURI()).getParent();
    }

    /** A w×h field of the colour, a brightness gradient of ±15 % across it and Gaussian noise (sd 6). */
    static BufferedImage colourField(int w, int h, int[] rgb, Random random) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = img.getRaster();
        boolean horizontal = random.nextBoolean();
        int[] px = new int[3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = horizontal ? (double) x / w : (double) y / h;
                double shade = 0.85 + 0.3 * t;
                for (int c = 0; c < 3; c++) {
                    px[c] = (int) Math.max(0, Math.min(255, Math.round(rgb[c] * shade + random.nextGaussian() * 6)));
                }
                raster.setPixel(x, y, px);
            }
        }
        return img;
    }

    @Test
    void aModelDescribedOnlyByItsCardRunsThroughTheJob() throws Exception {
        Path modelDir = Files.createDirectories(tmp.resolve("my-models").resolve("colour-classifier"));
        for (String f : List.of("model.json", "model.onnx")) {
            Files.copy(exampleDir().resolve(f), modelDir.resolve(f));
        }
        ModelCard card = ModelCard.parse(Files.readAllBytes(modelDir.resolve("model.json")), "byo");
        assertThat(card.labels()).containsExactly(COLOURS);
        assertThat(card.input().name()).isEqualTo("pixel_values");
        assertThat(card.output().isLogits()).isFalse();
        // it is not a bundled model: only the path finds it
        assertThat(ModelSource.bundledNames()).doesNotContain(card.name());
        assertThatThrownBy(() -> ModelSource.load(card.name())).isInstanceOf(ModelException.class)
                .hasMessageContaining("not found");

        String in = createTopics("byo", 2);
        Random random = new Random(42);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (int s = 0; s < SIZES.length; s++) {
            for (int c = 0; c < COLOURS.length; c++) {
                BufferedImage img = colourField(SIZES[s][0], SIZES[s][1], RGB[c], random);
                String base = COLOURS[c] + "-" + SIZES[s][0] + "x" + SIZES[s][1];
                byte[] jpeg = TestImages.jpeg(img, 0.85f);
                byte[] png = TestImages.png(img);
                records.add(new ProducerRecord<>(in, (base + ".jpg").getBytes(StandardCharsets.UTF_8),
                        TestEvents.encoded(base + ".jpg", jpeg, "image/jpeg")));
                records.add(new ProducerRecord<>(in, (base + ".png").getBytes(StandardCharsets.UTF_8),
                        TestEvents.encoded(base + ".png", png, "image/png")));
                expected.put(base + ".jpg", COLOURS[c]);
                expected.put(base + ".png", COLOURS[c]);
            }
        }
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);

        List<ConsumerRecord<byte[], byte[]>> results = runToEnd("byo", modelDir, 2, 8);
        assertThat(results).hasSize(expected.size());
        Map<String, TaggedImage> byId = new HashMap<>();
        float lowestTop = 1f;
        for (ConsumerRecord<byte[], byte[]> r : results) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            assertThat(byId.put(t.getEventId(), t)).as("duplicate %s", t.getEventId()).isNull();
            assertThat(t.getModelName()).isEqualTo(card.name()).isEqualTo("byo-colors");
            assertThat(t.getModelVersion()).isEqualTo(card.version());
            assertThat(t.getModelSha256()).isEqualTo(card.sha256())
                    .isEqualTo(ModelSource.sha256(Files.readAllBytes(modelDir.resolve("model.onnx"))));
            List<LabelScore> labels = t.getLabels();
            assertThat(labels).hasSize(4);
            assertThat(labels.get(0).getLabel()).as("colour of %s", t.getEventId()).isEqualTo(expected.get(t.getEventId()));
            double sum = 0;
            for (int i = 0; i < labels.size(); i++) {
                LabelScore l = labels.get(i);
                assertThat(card.labels().get(l.getIndex())).isEqualTo(l.getLabel());
                assertThat(l.getScore()).isBetween(0f, 1f);
                if (i > 0) {
                    assertThat(l.getScore()).isLessThanOrEqualTo(labels.get(i - 1).getScore());
                }
                sum += l.getScore();
            }
            assertThat(labels.stream().map(LabelScore::getLabel)).containsExactlyInAnyOrder(COLOURS);
            // all four classes: the model's own Softmax sums to 1; no second softmax by the job (which would
            // squash a top probability of ~1 to at most e / (e + 3) = 0.475)
            assertThat(sum).isCloseTo(1.0, within(1e-4));
            assertThat(labels.get(0).getScore()).as("top score of %s", t.getEventId()).isGreaterThan(0.9f);
            lowestTop = Math.min(lowestTop, labels.get(0).getScore());
        }
        assertThat(byId.keySet()).isEqualTo(expected.keySet());
        System.out.printf("byo-colors from %s through the job: %d/%d colours right (JPEG + PNG, %d sizes), "
                + "lowest top probability %.4f%n", modelDir, results.size(), expected.size(), SIZES.length, lowestTop);
    }
    /**
     * The user's own Python pipeline and the job agree on what they see: {@code golden.json} holds what
     * {@code byo_example.py}'s PIL preprocessing and the trained PyTorch model give for a real photo, two synthetic
     * images with fine detail and four generated colour fields; the job, given the same encoded images, must return
     * the same probabilities. With the job's old resize (no antialiasing) the photo's and the strip's would differ.
     */
    @Test
    void theJobGivesTheProbabilitiesOfTheUsersPythonPipeline() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(exampleDir().resolve("golden.json").toFile());
        Path resources = exampleDir().getParent();
        String in = createTopics("golden", 1);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, JsonNode> expected = new LinkedHashMap<>();
        for (JsonNode image : golden.get("images")) {
            String name = image.get("name").asText();
            byte[] bytes = image.has("path") ? Files.readAllBytes(resources.resolve(image.get("path").asText()))
                    : Base64.getDecoder().decode(image.get("base64").asText());
            records.add(new ProducerRecord<>(in, name.getBytes(StandardCharsets.UTF_8),
                    TestEvents.encoded(name, bytes, name.endsWith(".png") ? "image/png" : "image/jpeg")));
            expected.put(name, image.get("probabilities"));
        }
        assertThat(expected).containsKeys("photo.jpg", "strip.png").hasSizeGreaterThanOrEqualTo(7);
        KafkaTestUtils.produce(KAFKA.bootstrapServers(), records);

        List<ConsumerRecord<byte[], byte[]>> results = runToEnd("golden", exampleDir(), 1, 4);
        assertThat(results).hasSize(expected.size());
        double worst = 0;
        for (ConsumerRecord<byte[], byte[]> r : results) {
            TaggedImage t = TaggedImageSerializer.decode(r.value());
            JsonNode probabilities = expected.get(t.getEventId());
            assertThat(t.getLabels()).hasSize(4);
            for (LabelScore l : t.getLabels()) {
                double want = probabilities.get(l.getIndex()).asDouble();
                assertThat((double) l.getScore()).as("%s: %s", t.getEventId(), l.getLabel()).isCloseTo(want, within(1e-5));
                worst = Math.max(worst, Math.abs(l.getScore() - want));
            }
        }
        System.out.printf("byo-colors, job vs the Python pipeline (PIL + PyTorch) on %d images: largest difference %.2e%n",
                results.size(), worst);
    }

    /** Creates {@code name}'s input, results, dead-letter and metrics topics; returns the input topic. */
    private static String createTopics(String name, int partitions) {
        KAFKA.createTopics(partitions, "images-" + name, "tags-" + name, "dead-" + name, "metrics-" + name);
        return "images-" + name;
    }

    /**
     * Runs the job with the model in {@code modelDir} over {@code name}'s topics to the end of the input, top-4
     * labels; checks that nothing was dead-lettered and returns the results.
     */
    private static List<ConsumerRecord<byte[], byte[]>> runToEnd(String name, Path modelDir, int parallelism,
            int batchSize) throws Exception {
        Map<String, String> o = JobFixtures.boundedJob(KAFKA.bootstrapServers(), name);
        o.put("model.name", modelDir.toAbsolutePath().toString());
        o.put("kafka.input-topic", "images-" + name);
        o.put("kafka.results-topic", "tags-" + name);
        o.put("kafka.dead-letter-topic", "dead-" + name);
        o.put("kafka.metrics-topic", "metrics-" + name);
        o.put("job.parallelism", Integer.toString(parallelism));
        o.put("batch.max-size", Integer.toString(batchSize));
        o.put("output.top-k", "4");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, InferenceJobSpec.from(JobConfig.load(null, o)));
        env.execute(name);
        assertThat(KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), "dead-" + name, true)).isEmpty();
        return KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), "tags-" + name, true);
    }
}
