package io.mlpstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** ORT-Java logits of the bundled model equal the PyTorch golden outputs, at batch 1 and batch 16. */
class ModelRunnerGoldenTest {
    private static final double TOLERANCE = 1e-4;

    @Test
    void logitsEqualPyTorchAtBatchOneAndSixteen() throws Exception {
        JsonNode golden;
        try (InputStream in = Files.newInputStream(Path.of("models/zoo/mixer-digits/golden.json"))) {
            golden = new ObjectMapper().readTree(in);
        }
        JsonNode inputs = golden.get("inputs");
        JsonNode logits = golden.get("logits");
        int n = inputs.size();
        assertThat(n).isGreaterThanOrEqualTo(16);
        LoadedModel model = ModelSource.load("mixer-digits");
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, 1)) {
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
            System.out.printf("mixer-digits: max |ORT-Java - PyTorch| = %.3g over %d images at batch 1 and %d%n", worst, n, n);
            assertThat(worst).isLessThanOrEqualTo(TOLERANCE);
        }
    }
}
