package io.mlpstream.core.image;

import java.nio.FloatBuffer;

/**
 * Bilinear shorter-side resize + center crop + normalisation in one pass, straight from the decoded
 * bytes into the batch buffer: only the crop window's pixels are ever computed, and no resized image
 * is materialised. Pixel centres map as in {@code torch.nn.functional.interpolate(mode="bilinear",
 * align_corners=False, antialias=False)} (the model card's {@code "antialias": false}; Pillow and torchvision's
 * {@code Resize} on PIL images antialias instead, see {@link PillowResample}):
 * {@code src = (dst + 0.5) * srcSize / resizedSize - 0.5}, clamped at the edges; the interpolated
 * value is rounded to 8 bits, as an 8-bit resized image would hold it, before the normalisation table.
 */
final class BilinearCrop {
    private BilinearCrop() {}

    /**
     * @param src decoded pixels, band c = output channel c (or band 0 for every channel of a gray source)
     * @param lut lut[c * 256 + v] = (v / scale - mean[c]) / std[c]
     */
    static void write(InterleavedBytes src, int bands, int srcW, int srcH, CenterCrop.Block block, int channels,
            float[] lut, Target target) {
        int outW = block.width();
        int outH = block.height();
        int step = src.pixelStride();
        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        float[] fx = new float[outW];
        axis(srcW, block.resizedWidth(), block.left(), outW, x0, x1, fx);
        for (int x = 0; x < outW; x++) { // byte offsets within a row, computed once instead of per pixel and channel
            x0[x] *= step;
            x1[x] *= step;
        }
        int[] y0 = new int[outH];
        int[] y1 = new int[outH];
        float[] fy = new float[outH];
        axis(srcH, block.resizedHeight(), block.top(), outH, y0, y1, fy);

        byte[] data = src.data();
        float[] row = new float[outW]; // one output row, then one bulk put: no bounds check per float on the direct buffer
        FloatBuffer batch = target.batch();
        for (int c = 0; c < channels; c++) {
            int band = bands == 1 ? 0 : c;
            int lutBase = c * 256;
            for (int y = 0; y < outH; y++) {
                int row0 = src.index(0, y0[y], band);
                int row1 = src.index(0, y1[y], band);
                float wy = fy[y];
                for (int x = 0; x < outW; x++) {
                    int a = x0[x];
                    int b = x1[x];
                    float wx = fx[x];
                    int tl = data[row0 + a] & 0xFF;
                    int bl = data[row1 + a] & 0xFF;
                    float top = tl + wx * ((data[row0 + b] & 0xFF) - tl);
                    float bottom = bl + wx * ((data[row1 + b] & 0xFF) - bl);
                    int v = (int) (top + wy * (bottom - top) + 0.5f);
                    row[x] = lut[lutBase + (v < 0 ? 0 : v > 255 ? 255 : v)];
                }
                batch.put(target.index(c, block.y() + y, block.x()), row, 0, outW);
            }
        }
    }

    /** First and last source index the crop reads along one axis: {lo, hi} (the mapping is monotonic). */
    static int[] span(int srcSize, int resizedSize, int cropStart, int outSize) {
        double scale = (double) srcSize / resizedSize;
        int first = (int) position(srcSize, scale, cropStart, 0);
        int last = (int) position(srcSize, scale, cropStart, outSize - 1);
        return new int[] {first, Math.min(last + 1, srcSize - 1)};
    }

    /** Source indices and weights for each output index along one axis. */
    private static void axis(int srcSize, int resizedSize, int cropStart, int outSize, int[] i0, int[] i1, float[] f) {
        double scale = (double) srcSize / resizedSize;
        for (int o = 0; o < outSize; o++) {
            double s = position(srcSize, scale, cropStart, o);
            int lo = (int) s;
            i0[o] = lo;
            i1[o] = Math.min(lo + 1, srcSize - 1);
            f[o] = (float) (s - lo);
        }
    }

    /**
     * Source coordinate of output index {@code o}'s pixel centre, clamped to [0, srcSize - 1] (at the far
     * edge to exactly the last pixel, so its weight is 0).
     */
    private static double position(int srcSize, double scale, int cropStart, int o) {
        double s = (o + cropStart + 0.5) * scale - 0.5;
        if (s < 0) {
            s = 0;
        }
        if ((int) s >= srcSize - 1) {
            s = srcSize - 1;
        }
        return s;
    }
}
