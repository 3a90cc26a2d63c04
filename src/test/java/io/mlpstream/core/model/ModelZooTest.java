package io.mlpstream.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.Preprocessor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every model of the zoo (models/zoo/index.txt), in ONNX Runtime Java: logits equal the PyTorch
 * golden outputs at batch 1 and at batch 16, and the held-out accuracy computed here, through the
 * job's own PNG decoding and card-driven preprocessing, equals the figure on the card.
 */
class ModelZooTest {
    private static final double TOLERANCE = 1e-4;
    private static final int ACCURACY_BATCH = 64;

    static List<String> zoo() {
        return ModelSource.bundledNames();
    }

    @AfterAll
    static void noSessionLeftOpen() {
        assertThat(SharedSessions.openSessions()).isZero();
    }

    @Test
    void theIndexListsEveryCommittedModel() throws Exception {
        try (var dirs = Files.list(Path.of("models/zoo"))) {
            List<String> committed = dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(zoo()).containsExactlyInAnyOrderElementsOf(committed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zoo")
    void logitsEqualPyTorchAtBatchOneAndSixteen(String name) throws Exception {
        JsonNode golden;
        try (InputStream in = Files.newInputStream(Path.of("models/zoo", name, "golden.json"))) {
            golden = new ObjectMapper().readTree(in);
        }
        JsonNode inputs = golden.get("inputs");
        JsonNode logits = golden.get("logits");
        int n = inputs.size();
        assertThat(n).isGreaterThanOrEqualTo(16);
        try (SharedSessions.Lease lease = SharedSessions.acquire(ModelSource.load(name), Device.CPU, 1)) {
            ModelRunner runner = lease.runner();
            int floats = runner.floatsPerImage();
            FloatBuffer batch = FloatBuffer.allocate(n * floats);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < floats; j++) {
                    batch.put(i * floats + j, (float) inputs.get(i).get(j).asDouble());
                }
            }
            float[] all = runner.run(batch, n);
            double worst = 0;
            for (int i = 0; i < n; i++) {
                FloatBuffer one = FloatBuffer.allocate(floats);
                for (int j = 0; j < floats; j++) {
                    one.put(j, batch.get(i * floats + j));
                }
                float[] single = runner.run(one, 1);
                for (int c = 0; c < runner.numClasses(); c++) {
                    double expected = logits.get(i).get(c).asDouble();
                    worst = Math.max(worst, Math.abs(single[c] - expected));
                    worst = Math.max(worst, Math.abs(all[i * runner.numClasses() + c] - expected));
                }
            }
            System.out.printf("%s: max |ORT-Java - PyTorch| = %.3g over %d images at batch 1 and %d%n", name, worst, n, n);
            assertThat(worst).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zoo")
    void heldOutAccuracyInJavaEqualsTheCard(String name) throws Exception {
        LoadedModel model = ModelSource.load(name);
        DigitsDataset digits = DigitsDataset.loadBundled();
        assertThat(digits.size()).isEqualTo(model.card().heldOutCount());
        Preprocessor pre = new Preprocessor(model.card().preprocessSpec());
        ImageDecoder decoder = new ImageDecoder();
        int correct = 0;
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, 1)) {
            ModelRunner runner = lease.runner();
            FloatBuffer batch = pre.newBatchBuffer(ACCURACY_BATCH);
            for (int start = 0; start < digits.size(); start += ACCURACY_BATCH) {
                int size = Math.min(ACCURACY_BATCH, digits.size() - start);
                for (int i = 0; i < size; i++) {
                    pre.writeInto(decoder.decode(digits.png(start + i)), batch, i);
                }
                float[] out = runner.run(batch, size);
                for (int i = 0; i < size; i++) {
                    correct += argmax(out, i, runner.numClasses()) == digits.label(start + i) ? 1 : 0;
                }
            }
        }
        double accuracy = (double) correct / digits.size();
        System.out.printf("%s: held-out accuracy in ORT-Java %.6f (%d/%d), card %.6f%n", name, accuracy, correct, digits.size(),
                model.card().heldOutAccuracy());
        assertThat(accuracy).isEqualTo(model.card().heldOutAccuracy());
    }

    private static int argmax(float[] out, int row, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (out[row * classes + c] > out[row * classes + best]) {
                best = c;
            }
        }
        return best;
    }
}
