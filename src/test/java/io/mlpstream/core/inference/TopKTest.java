package io.mlpstream.core.inference;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TopKTest {
    private static final List<String> LABELS = List.of("cat", "dog", "fox", "owl");

    @Test
    void softmaxOfLogitsSumsToOneAndRanksBestFirst() {
        TopK topK = new TopK(LABELS, 4, true);
        float[] out = {0f, 0f, 0f, 0f, /* row 1 */ 1f, 3f, 2f, -1f};
        Classification p = topK.top(out, 1);
        assertThat(p.labels()).containsExactly("dog", "fox", "cat", "owl");
        assertThat(p.classIndices()).containsExactly(1, 2, 0, 3);
        double sum = 0;
        for (float s : p.scores()) {
            sum += s;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-6));
        double z = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(-1);
        assertThat((double) p.scores()[0]).isCloseTo(Math.exp(3) / z, within(1e-6));
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        Classification p = new TopK(LABELS, 1, true).top(new float[] {1000f, 999f, -1000f, 0f}, 0);
        assertThat(p.labels()).containsExactly("cat");
        assertThat((double) p.scores()[0]).isCloseTo(1 / (1 + Math.exp(-1)), within(1e-6));
    }

    @Test
    void probabilitiesPassThroughAndKIsCappedAtTheClassCount() {
        Classification p = new TopK(LABELS, 10, false).top(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 0);
        assertThat(p.labels()).containsExactly("owl", "fox", "dog", "cat");
        assertThat(p.scores()).containsExactly(0.4f, 0.3f, 0.2f, 0.1f);
    }

    @Test
    void tiesKeepTheLowerClassIndexFirst() {
        Classification p = new TopK(LABELS, 2, false).top(new float[] {0.5f, 0.5f, 0f, 0f}, 0);
        assertThat(p.classIndices()).containsExactly(0, 1);
    }
}
