package io.mlpstream.core.inference;

import java.util.List;

/** Softmax (for logits) and top-k of one output row. Pure. */
public final class TopK {
    private final List<String> labels;
    private final int k;
    private final boolean softmax;

    public TopK(List<String> labels, int k, boolean softmax) {
        if (k < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + k);
        }
        this.labels = List.copyOf(labels);
        this.k = Math.min(k, labels.size());
        this.softmax = softmax;
    }

    /** Top-k of row {@code row} of a row-major {@code [rows, labels.size()]} output. */
    public Classification top(float[] output, int row) {
        int n = labels.size();
        int base = row * n;
        float[] probs = new float[n];
        if (softmax) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, output[base + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double e = Math.exp(output[base + i] - max);
                probs[i] = (float) e;
                sum += e;
            }
            for (int i = 0; i < n; i++) {
                probs[i] = (float) (probs[i] / sum);
            }
        } else {
            System.arraycopy(output, base, probs, 0, n);
        }
        int[] idx = new int[k];
        float[] scores = new float[k];
        String[] names = new String[k];
        boolean[] taken = new boolean[n];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                // strictly greater keeps the lowest index on ties; NaN never wins
                if (!taken[i] && (best < 0 || probs[i] > probs[best] || Float.isNaN(probs[best]))) {
                    best = i;
                }
            }
            taken[best] = true;
            idx[j] = best;
            scores[j] = probs[best];
            names[j] = labels.get(best);
        }
        return new Classification(names, idx, scores);
    }
}
