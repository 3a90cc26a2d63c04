package io.mlpstream.bench;

import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.serde.KafkaRecord;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One DJL model and predictor as a Flink function opens them: the card's ONNX file through DJL's ONNX Runtime engine
 * (one intra-op thread, as the job's sessions), {@link DjlImageTranslator}, DJL's {@link ImageFactory} for loading
 * images, and the {@link Prediction} our sinks take. DJL is kept offline and without telemetry
 * ({@code OPT_OUT_TRACKING}, {@code ai.djl.offline}) before any DJL class loads. Not thread-safe (a DJL Predictor is not).
 */
final class DjlClassifier implements AutoCloseable {
    static {
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final ModelCard card;
    private final int topK;
    private final Map<String, Integer> classIndex = new HashMap<>();
    private final Path copy;
    private final ZooModel<Image, Classifications> model;
    private final Predictor<Image, Classifications> predictor;

    /** @param modelName the job's {@code model.name}: a bundled model (copied to a temporary directory) or a directory */
    DjlClassifier(String modelName, int topK) throws Exception {
        LoadedModel loaded = ModelSource.load(modelName);
        this.card = loaded.card();
        this.topK = topK;
        for (int i = 0; i < card.labels().size(); i++) {
            classIndex.putIfAbsent(card.labels().get(i), i);
        }
        Path dir;
        if (Files.isDirectory(Path.of(modelName))) {
            dir = Path.of(modelName);
            copy = null;
        } else {
            dir = copy = Files.createTempDirectory("djl-" + card.name());
            Files.write(dir.resolve(card.file()), loaded.onnx());
        }
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optModelPath(dir)
                .optModelName(card.file().replaceFirst("\\.onnx$", ""))
                .optEngine("OnnxRuntime")
                .optTranslator(new DjlImageTranslator(card))
                .optOption("intraOpNumThreads", "1")
                .optOption("interOpNumThreads", "1")
                .build();
        this.model = criteria.loadModel();
        this.predictor = model.newPredictor();
    }

    /**
     * Starts DJL's ONNX Runtime engine; returns its version. The engine creates the JVM's OrtEnvironment with global
     * thread-pool options, which ONNX Runtime refuses once any environment exists: call this before anything in the JVM
     * opens an ONNX Runtime session. Later sessions (ours too) share that environment, each with its own threads.
     *
     * @return the engine and the ONNX Runtime it runs on, for the log (DJL's own version string names the ONNX Runtime
     *         it was built with)
     */
    static String startEngine() {
        Engine engine = Engine.getEngine("OnnxRuntime");
        return "DJL " + Engine.getDjlVersion() + " " + engine.getEngineName() + " engine on ONNX Runtime "
                + OrtEnvironment.getEnvironment().getVersion();
    }

    /** DJL's image loading (ImageIO behind DJL's default BufferedImageFactory). */
    static Image load(byte[] encoded) throws IOException {
        return ImageFactory.getInstance().fromInputStream(new ByteArrayInputStream(encoded));
    }

    Classifications predict(Image image) throws Exception {
        return predictor.predict(image);
    }

    List<Classifications> batchPredict(List<Image> images) throws Exception {
        return predictor.batchPredict(images);
    }

    /** The prediction our results serializer takes; timings in µs, as the operator's. */
    Prediction<KafkaRecord> prediction(KafkaRecord record, Classifications c, int batchSize, long ingestedAtUs, long loadUs,
            long predictUs, long completedAtUs) {
        List<Classifications.Classification> top = c.topK(topK);
        String[] labels = new String[top.size()];
        int[] indices = new int[top.size()];
        float[] scores = new float[top.size()];
        for (int i = 0; i < top.size(); i++) {
            labels[i] = top.get(i).getClassName();
            indices[i] = classIndex.getOrDefault(labels[i], -1);
            scores[i] = (float) top.get(i).getProbability();
        }
        return Prediction.of(record, card, new io.mlpstream.core.inference.Classification(labels, indices, scores),
                new BatchInference.Timings(batchSize, 0, loadUs * 1_000, predictUs * 1_000, completedAtUs), ingestedAtUs);
    }

    @Override
    public void close() throws IOException {
        predictor.close();
        model.close();
        if (copy != null) {
            try (Stream<Path> files = Files.walk(copy)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
