package io.mlpstream.core.image;

import java.nio.FloatBuffer;

/**
 * Pillow's {@code Image.resize} with its nearest filter, followed by the crop, written straight into the batch
 * buffer; equal to Pillow's output bit for bit. Pillow resizes with nearest as an affine scale
 * ({@code ImagingScaleAffine} in {@code libImaging/Geometry.c}): output column {@code x} reads source column
 * {@code (int) xo}, where {@code xo} starts at {@code in / out * 0.5} and grows by {@code in / out} per column, a
 * running double sum (reproduced as such: its rounding decides ties), and likewise for rows.
 */
final class PillowNearest {
    private PillowNearest() {}

    /**
     * The source positions of output positions {@code start .. start + n - 1} of an {@code in -> out} resize, or -1
     * where Pillow finds none (it then writes 0).
     */
    static int[] positions(int in, int out, int start, int n) {
        double step = (double) in / out;
        double xo = step * 0.5;
        int[] positions = new int[n];
        for (int x = 0; x < start + n; x++) {
            if (x >= start) {
                int xin = xo < 0.0 ? -1 : (int) xo;
                positions[x - start] = xin < in ? xin : -1;
            }
            xo += step;
        }
        return positions;
    }

    /** The source pixels {@link #write} reads for a {@code srcW} x {@code srcH} image: {x0, y0, x1, y1}, inclusive. */
    static int[] span(int srcW, int srcH, CenterCrop.Block block) {
        int[] xs = positions(srcW, block.resizedWidth(), block.left(), block.width());
        int[] ys = positions(srcH, block.resizedHeight(), block.top(), block.height());
        return new int[] {low(xs), low(ys), high(xs), high(ys)};
    }

    /**
     * Writes a block of the resized image, normalised through {@code lut}, as CHW floats into {@code target}.
     *
     * @param src decoded pixels (possibly a window of the source; {@code index} takes source coordinates),
     *     band c = output channel c, or band 0 for every channel of a gray source
     * @param lut lut[c * 256 + v] = (v / scale - mean[c]) / std[c]
     */
    static void write(InterleavedBytes src, int bands, int srcW, int srcH, CenterCrop.Block block, int channels,
            float[] lut, Target target) {
        int[] xs = positions(srcW, block.resizedWidth(), block.left(), block.width());
        int[] ys = positions(srcH, block.resizedHeight(), block.top(), block.height());
        byte[] data = src.data();
        int step = src.pixelStride();
        int outW = block.width();
        float[] row = new float[outW];
        FloatBuffer batch = target.batch();
        for (int c = 0; c < channels; c++) {
            int band = bands == 1 ? 0 : c;
            int lutBase = c * 256;
            for (int y = 0; y < block.height(); y++) {
                if (ys[y] < 0) {
                    java.util.Arrays.fill(row, lut[lutBase]);
                } else {
                    int rowStart = src.index(0, ys[y], band);
                    for (int x = 0; x < outW; x++) {
                        row[x] = lut[lutBase + (xs[x] < 0 ? 0 : data[rowStart + xs[x] * step] & 0xFF)];
                    }
                }
                batch.put(target.index(c, block.y() + y, block.x()), row, 0, outW);
            }
        }
    }

    private static int low(int[] positions) {
        int low = Integer.MAX_VALUE;
        for (int p : positions) {
            if (p >= 0) {
                low = Math.min(low, p);
            }
        }
        return low == Integer.MAX_VALUE ? 0 : low;
    }

    private static int high(int[] positions) {
        int high = 0;
        for (int p : positions) {
            high = Math.max(high, p);
        }
        return high;
    }
}
