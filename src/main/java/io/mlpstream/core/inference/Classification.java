package io.mlpstream.core.inference;

/**
 * The best classes of one image, best first: label, class index (row of the model's output) and score
 * (softmax probability, or the model's own probability when its card says so). The three arrays have the
 * same length, at most the number of labels.
 */
public record Classification(String[] labels, int[] classIndices, float[] scores) {

    /** The best label. */
    public String topLabel() {
        return labels[0];
    }

    /** The best label's score. */
    public float topScore() {
        return scores[0];
    }
}
