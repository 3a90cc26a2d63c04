package io.mlpstream.core.image;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Pillow's {@code Image.resize} with one of its convolution filters (box, bilinear, hamming, bicubic, lanczos),
 * followed by the crop, written straight into the batch buffer, and equal to Pillow's output bit for bit (8-bit
 * images): the image torchvision's {@code Resize} + {@code CenterCrop} produce from a PIL image, which is what timm's
 * eval transforms, and most training pipelines, feed a model. (Pillow's nearest is not a convolution: {@link
 * PillowNearest}.)
 *
 * <p>Pillow's resize is a separable convolution. Along each axis, output pixel {@code i} of an
 * {@code in -> out} resize is centred on source coordinate {@code (i + 0.5) * in / out}; when downscaling,
 * the filter is stretched by the factor {@code in / out}, so every source pixel contributes (antialiasing);
 * the taps are cut at the image edges and renormalised. The weights become 22-bit fixed point, the
 * horizontal pass runs first and rounds to 8 bits, then the vertical pass rounds again: those roundings are
 * reproduced exactly, so the result matches Pillow's rather than an ideal float resize. The filters are Pillow's
 * functions ({@code libImaging/Resample.c}) term for term, with {@link StrictMath}'s sine and cosine (fdlibm, the
 * same on every machine). Only the crop window's output pixels are computed, from the source rows and columns they
 * reach ({@link #span}); each depends only on its own taps, so this equals resizing everything and cropping after.
 */
final class PillowResample {
    /** Fractional bits of the fixed-point weights, as Pillow's 8-bit path (32 - 8 - 2). */
    private static final int PRECISION_BITS = 22;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PillowResample() {}

    /** Pillow's convolution filters, as torchvision's and timm's interpolation modes select them. */
    enum Filter {
        /** Box, support 1/2: (-1/2, 1/2]. */
        BOX(0.5) {
            @Override
            double weight(double x) {
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            }
        },
        /** Triangle, support 1. */
        BILINEAR(1.0) {
            @Override
            double weight(double x) {
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            }
        },
        /** Keys cubic with a = -0.5, support 2. */
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                final double a = -0.5;
                x = Math.abs(x);
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0.0;
            }
        },
        /** Hamming-windowed sinc, support 1 (Pillow's window constants are C floats). */
        HAMMING(1.0) {
            @Override
            double weight(double x) {
                x = Math.abs(x);
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                return StrictMath.sin(x) / x * ((double) 0.54f + (double) 0.46f * StrictMath.cos(x));
            }
        },
        /** Lanczos, a = 3: sinc(x) * sinc(x / 3) on [-3, 3). */
        LANCZOS(3.0) {
            @Override
            double weight(double x) {
                return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            }
        };

        final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);

        static Filter of(PreprocessSpec.Interpolation interpolation) {
            return switch (interpolation) {
                case BOX -> BOX;
                case BILINEAR -> BILINEAR;
                case HAMMING -> HAMMING;
                case BICUBIC -> BICUBIC;
                case LANCZOS -> LANCZOS;
                case NEAREST -> throw new IllegalArgumentException("nearest is not a convolution filter");
            };
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return StrictMath.sin(x) / x;
        }
    }

    /**
     * The fixed-point taps of output positions {@code start .. start + n - 1} of an {@code in -> out} resize:
     * output {@code i} reads source pixels {@code first[i] .. first[i] + count[i] - 1} with weights
     * {@code weights[i * stride ..]}.
     */
    record Taps(int[] first, int[] count, int[] weights, int stride) {
        /** First source position any output reads. */
        int low() {
            int low = Integer.MAX_VALUE;
            for (int f : first) {
                low = Math.min(low, f);
            }
            return low;
        }

        /** One past the last source position any output reads. */
        int high() {
            int high = 0;
            for (int i = 0; i < first.length; i++) {
                high = Math.max(high, first[i] + count[i]);
            }
            return high;
        }
    }

    static Taps taps(Filter filter, int in, int out, int start, int n) {
        if (in == out) { // Pillow skips the pass; one tap of weight 1 gives the same bytes
            int[] first = new int[n];
            int[] count = new int[n];
            int[] weights = new int[n];
            for (int i = 0; i < n; i++) {
                first[i] = start + i;
                count[i] = 1;
                weights[i] = 1 << PRECISION_BITS;
            }
            return new Taps(first, count, weights, 1);
        }
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        double inverse = 1.0 / filterScale;
        int[] first = new int[n];
        int[] count = new int[n];
        int[] weights = new int[n * stride];
        double[] w = new double[stride];
        for (int i = 0; i < n; i++) {
            double center = (start + i + 0.5) * scale;
            int lo = Math.max((int) (center - support + 0.5), 0); // (int) truncates toward zero, as C's cast
            int hi = Math.min((int) (center + support + 0.5), in);
            int taps = hi - lo;
            double sum = 0.0;
            for (int t = 0; t < taps; t++) {
                w[t] = filter.weight((t + lo - center + 0.5) * inverse);
                sum += w[t];
            }
            for (int t = 0; t < taps; t++) {
                double normalised = sum != 0.0 ? w[t] / sum : w[t];
                weights[i * stride + t] = (int) (normalised < 0 ? normalised * (1 << PRECISION_BITS) - 0.5
                        : normalised * (1 << PRECISION_BITS) + 0.5);
            }
            first[i] = lo;
            count[i] = taps;
        }
        return new Taps(first, count, weights, stride);
    }

    /**
     * The source pixels {@link #write} reads for a {@code srcW} x {@code srcH} image: {x0, y0, x1, y1}, inclusive.
     */
    static int[] span(Filter filter, int srcW, int srcH, CenterCrop.Block block) {
        Taps h = taps(filter, srcW, block.resizedWidth(), block.left(), block.width());
        Taps v = taps(filter, srcH, block.resizedHeight(), block.top(), block.height());
        return new int[] {h.low(), v.low(), h.high() - 1, v.high() - 1};
    }

    /**
     * Writes a block of the resized image, normalised through {@code lut}, as CHW floats into {@code target}.
     *
     * @param src decoded pixels (possibly a window of the source; {@code index} takes source coordinates),
     *     band c = output channel c, or band 0 for every channel of a gray source
     * @param lut lut[c * 256 + v] = (v / scale - mean[c]) / std[c]
     */
    static void write(InterleavedBytes src, int bands, int srcW, int srcH, CenterCrop.Block block, int channels,
            Filter filter, float[] lut, Target target) {
        int outW = block.width();
        Taps h = taps(filter, srcW, block.resizedWidth(), block.left(), outW);
        Taps v = taps(filter, srcH, block.resizedHeight(), block.top(), block.height());
        int rowLow = v.low();
        int rows = v.high() - rowLow;
        byte[] temp = horizontal(src, bands, h, rowLow, rows, outW);
        vertical(temp, bands, v, rowLow, rows, block, channels, lut, target);
    }

    /**
     * The horizontal pass over source rows {@code rowLow .. rowLow + rows - 1}, crop columns only: one 8-bit plane
     * of {@code rows x outW} per band, rounded as Pillow's intermediate image is.
     */
    private static byte[] horizontal(InterleavedBytes src, int bands, Taps h, int rowLow, int rows, int outW) {
        byte[] data = src.data();
        int step = src.pixelStride();
        int[] hFirst = h.first();
        int[] hCount = h.count();
        int[] hWeights = h.weights();
        int hStride = h.stride();
        byte[] temp = new byte[bands * rows * outW];
        if (bands == 3) { // the three bands of a pixel together: one pass over the row, one set of weights
            int g = src.index(0, 0, 1) - src.index(0, 0, 0);
            int b = src.index(0, 0, 2) - src.index(0, 0, 0);
            int plane = rows * outW;
            for (int r = 0; r < rows; r++) {
                int row = src.index(0, rowLow + r, 0);
                int out = r * outW;
                for (int x = 0; x < outW; x++) {
                    int in = row + hFirst[x] * step;
                    int k = x * hStride;
                    int acc0 = HALF;
                    int acc1 = HALF;
                    int acc2 = HALF;
                    int n = hCount[x];
                    int t = 0;
                    for (; t + 1 < n; t += 2, in += 2 * step) { // two taps a turn (integer sums: order is free)
                        int w = hWeights[k + t];
                        int u = hWeights[k + t + 1];
                        acc0 += (data[in] & 0xFF) * w + (data[in + step] & 0xFF) * u;
                        acc1 += (data[in + g] & 0xFF) * w + (data[in + g + step] & 0xFF) * u;
                        acc2 += (data[in + b] & 0xFF) * w + (data[in + b + step] & 0xFF) * u;
                    }
                    if (t < n) {
                        int w = hWeights[k + t];
                        acc0 += (data[in] & 0xFF) * w;
                        acc1 += (data[in + g] & 0xFF) * w;
                        acc2 += (data[in + b] & 0xFF) * w;
                    }
                    temp[out + x] = (byte) clip8(acc0);
                    temp[plane + out + x] = (byte) clip8(acc1);
                    temp[2 * plane + out + x] = (byte) clip8(acc2);
                }
            }
        } else {
            for (int r = 0; r < rows; r++) {
                int row = src.index(0, rowLow + r, 0);
                int out = r * outW;
                for (int x = 0; x < outW; x++) {
                    int in = row + hFirst[x] * step;
                    int k = x * hStride;
                    int acc = HALF;
                    for (int t = 0, n = hCount[x]; t < n; t++, in += step) {
                        acc += (data[in] & 0xFF) * hWeights[k + t];
                    }
                    temp[out + x] = (byte) clip8(acc);
                }
            }
        }
        return temp;
    }

    /** The vertical pass over the crop rows, then the normalisation table, one output row per bulk put. */
    private static void vertical(byte[] temp, int bands, Taps v, int rowLow, int rows, CenterCrop.Block block,
            int channels, float[] lut, Target target) {
        int[] vFirst = v.first();
        int[] vCount = v.count();
        int[] vWeights = v.weights();
        int vStride = v.stride();
        int outW = block.width();
        int outH = block.height();
        int[] acc = new int[outW];
        float[] row = new float[outW];
        FloatBuffer batch = target.batch();
        for (int y = 0; y < outH; y++) {
            for (int b = 0; b < bands; b++) {
                Arrays.fill(acc, HALF);
                int k = y * vStride;
                for (int t = 0, n = vCount[y]; t < n; t++) {
                    int weight = vWeights[k + t];
                    int in = (b * rows + vFirst[y] - rowLow + t) * outW;
                    for (int x = 0; x < outW; x++) {
                        acc[x] += (temp[in + x] & 0xFF) * weight;
                    }
                }
                for (int c = 0; c < channels; c++) {
                    if ((bands == 1 ? 0 : c) != b) {
                        continue;
                    }
                    int lutBase = c * 256;
                    for (int x = 0; x < outW; x++) {
                        row[x] = lut[lutBase + clip8(acc[x])];
                    }
                    batch.put(target.index(c, block.y() + y, block.x()), row, 0, outW);
                }
            }
        }
    }

    /** The 8-bit value of a fixed-point sum: floor, clamped to 0..255. */
    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }
}
