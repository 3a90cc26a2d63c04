package io.mlpstream.flink;

import io.mlpstream.core.inference.ImageClassifier;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.RecordingMetricReporter;
import io.mlpstream.testutils.RecordingMetricReporter.Registered;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public DataStream API on a plain stream of a user's own POJOs (no Kafka): every element comes out once, as a
 * prediction equal to the offline one or as a failure on the side output; and the operator's metrics keep their names
 * when the model changes, the model's name and version being variables (labels in Prometheus).
 */
class ImageInferenceITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(RecordingMetricReporter.install(new Configuration()))
            .build());

    private static DigitsDataset digits;

    @BeforeAll
    static void load() throws Exception {
        digits = DigitsDataset.loadBundled();
    }

    /** A user's element type. */
    public static class Photo {
        public String name;
        public byte[] png;

        public Photo() {}

        Photo(String name, byte[] png) {
            this.name = name;
            this.png = png;
        }
    }

    @Test
    void aStreamOfPojosBecomesPredictionsEqualToOfflineOnesAndFailuresOnTheSideOutput() throws Exception {
        List<Photo> photos = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            photos.add(new Photo("digit-" + i, digits.png(i * 7)));
        }
        photos.add(new Photo("not-an-image", new byte[] {1, 2, 3, 4}));
        Results results = run("mixer-digits", photos);

        Map<String, String> offline = new ConcurrentHashMap<>();
        try (ImageClassifier classifier = ImageClassifier.open("mixer-digits")) {
            for (Photo p : photos.subList(0, 60)) {
                offline.put(p.name, classifier.classify(p.png).topLabel());
            }
        }
        assertThat(results.predictions).hasSize(60).allSatisfy((name, p) -> {
            assertThat(p.topLabel()).as(name).isEqualTo(offline.get(name));
            assertThat(p.getModelName()).isEqualTo("mixer-digits");
            assertThat(p.getLabels()).hasSize(3);
            assertThat(p.getBatchSize()).isBetween(1, 16);
            assertThat(p.getCompletedAtUs()).isGreaterThanOrEqualTo(p.getIngestedAtUs());
        });
        assertThat(results.failures).containsOnlyKeys("not-an-image");
        assertThat(results.failures.get("not-an-image").getStage()).isEqualTo(Stage.DECODE);
    }

    @Test
    void metricNamesStayTheSameWhenTheModelChangesItsNameAndVersionAreVariables() throws Exception {
        List<Photo> photos = List.of(new Photo("a", digits.png(1)), new Photo("b", digits.png(2)));
        RecordingMetricReporter.clear();
        run("mixer-digits", photos);
        List<Registered> mixer = ours(RecordingMetricReporter.registered());
        RecordingMetricReporter.clear();
        run("resmlp-digits", photos);
        List<Registered> resmlp = ours(RecordingMetricReporter.registered());

        assertThat(names(mixer)).as("every operator metric is registered").containsAll(List.of(InferenceMetrics.ALL));
        assertThat(scopesAndNames(resmlp)).as("same names and logical scopes for another model")
                .isEqualTo(scopesAndNames(mixer));
        assertThat(mixer).allSatisfy(r -> {
            assertThat(r.variables()).containsEntry("<" + InferenceMetrics.MODEL + ">", "mixer-digits")
                    .containsEntry("<" + InferenceMetrics.VERSION + ">", "1")
                    .containsEntry("<operator_name>", ImageInference.DEFAULT_NAME);
            // the per-stage failure counters one group further down, with the stage as a variable too
            assertThat(r.logicalScope()).containsPattern("\\.operator\\." + InferenceMetrics.GROUP + "\\." + InferenceMetrics.MODEL
                    + "\\." + InferenceMetrics.VERSION + "(\\." + InferenceMetrics.STAGE + ")?$");
        });
        assertThat(resmlp).allSatisfy(r -> assertThat(r.variables()).containsEntry("<model>", "resmlp-digits"));
        Registered tagged = mixer.stream().filter(r -> r.name().equals(InferenceMetrics.IMAGES_TAGGED)).findFirst().orElseThrow();
        System.out.println("e.g. " + tagged.identifier() + " (logical scope " + tagged.logicalScope() + ", variables "
                + tagged.variables().entrySet().stream().filter(e -> List.of("<model>", "<version>", "<operator_name>").contains(e.getKey()))
                .map(Object::toString).collect(Collectors.joining(", ")) + ")");
    }

    private static List<Registered> ours(List<Registered> all) {
        return all.stream().filter(r -> r.logicalScope().contains("." + InferenceMetrics.GROUP + ".")).toList();
    }

    private static List<String> names(List<Registered> metrics) {
        return metrics.stream().map(Registered::name).distinct().sorted().toList();
    }

    private static List<String> scopesAndNames(List<Registered> metrics) {
        return metrics.stream().map(r -> r.logicalScope() + "." + r.name()).distinct().sorted().toList();
    }

    /** What one run collected, by element name. */
    record Results(Map<String, Prediction<Photo>> predictions, Map<String, InferenceFailure<Photo>> failures) {}

    private static Results run(String model, List<Photo> photos) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<Photo> stream = env.fromData(TypeInformation.of(Photo.class), photos.toArray(new Photo[0]));
        ImageInference<Photo> inference = ImageInference.<Photo>builder()
                .modelName(model)
                .imageBytes(photo -> photo.png)
                .batching(16, Duration.ofMillis(20))
                .build();
        SingleOutputStreamOperator<Prediction<Photo>> predictions = inference.apply(stream);
        String run = model + "-" + System.nanoTime();
        predictions.sinkTo(new Collect<>(run, "p")).name("collect predictions");
        predictions.getSideOutput(inference.failures()).sinkTo(new Collect<>(run, "f")).name("collect failures");
        env.execute("image inference " + model);
        Map<String, Prediction<Photo>> p = new ConcurrentHashMap<>();
        Map<String, InferenceFailure<Photo>> f = new ConcurrentHashMap<>();
        for (Object o : Collect.take(run, "p")) {
            @SuppressWarnings("unchecked") Prediction<Photo> x = (Prediction<Photo>) o;
            assertThat(p.put(x.getElement().name, x)).as("second prediction for %s", x.getElement().name).isNull();
        }
        for (Object o : Collect.take(run, "f")) {
            @SuppressWarnings("unchecked") InferenceFailure<Photo> x = (InferenceFailure<Photo>) o;
            assertThat(f.put(x.getElement().name, x)).as("second failure for %s", x.getElement().name).isNull();
        }
        assertThat(p.size() + f.size()).as("every element accounted for once").isEqualTo(photos.size());
        return new Results(p, f);
    }

    /** Collects a stream into this JVM (the MiniCluster's), keyed by run and stream. */
    static final class Collect<T> implements Sink<T> {
        private static final Map<String, List<Object>> COLLECTED = new ConcurrentHashMap<>();
        private final String key;

        Collect(String run, String stream) {
            this.key = run + "/" + stream;
        }

        static List<Object> take(String run, String stream) {
            List<Object> out = COLLECTED.remove(run + "/" + stream);
            return out == null ? List.of() : out;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            List<Object> into = COLLECTED.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new ArrayList<>()));
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context context) {
                    into.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
