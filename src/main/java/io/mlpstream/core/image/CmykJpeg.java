package io.mlpstream.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/**
 * A four-channel JPEG's samples to the RGB Pillow reads from it ({@code Image.open(f).convert("RGB")}), in
 * Pillow's integer arithmetic, so the result is equal byte for byte.
 *
 * <p>Pillow reads every four-channel JPEG as Adobe-inverted CMYK (raw mode {@code "CMYK;I"}: ink = 255 − sample),
 * with or without an Adobe marker; libjpeg has already turned YCCK (Adobe transform 2) into CMYK samples. Its
 * {@code convert("RGB")} then computes, per channel, {@code nk − nk·ink/255} with {@code nk = 255 − K ink}, rounded
 * as its {@code MULDIV255} does (Convert.c, {@code cmyk2rgb}). No ICC profile is applied, as Pillow applies none.
 */
final class CmykJpeg {

    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    /** libjpeg's YCC-to-RGB tables (jdcolor.c, {@code build_ycc_rgb_table}), indexed by the 8-bit chroma sample. */
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private CmykJpeg() {}

    /** From libjpeg's CMYK output (the samples as stored, 4 bytes a pixel, rows packed), e.g. TurboJPEG's TJPF_CMYK. */
    static BufferedImage fromCmyk(byte[] cmyk, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        int pixels = width * height;
        for (int p = 0, in = 0, out = 0; p < pixels; p++, in += 4, out += 3) {
            int k = cmyk[in + 3] & 0xFF;
            bgr[out] = (byte) channel(cmyk[in + 2] & 0xFF, k);
            bgr[out + 1] = (byte) channel(cmyk[in + 1] & 0xFF, k);
            bgr[out + 2] = (byte) channel(cmyk[in] & 0xFF, k);
        }
        return image;
    }

    /**
     * From ImageIO's {@code readRaster} of a four-channel JPEG: libjpeg's components as stored, not colour-converted,
     * so YCCK ({@code ycck}, {@link JpegSegments#isYcck()}) is first turned into CMYK as libjpeg does
     * ({@code ycck_cmyk_convert}).
     */
    static BufferedImage fromRaster(Raster raster, boolean ycck) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] cmyk = new byte[width * height * 4];
        int[] row = new int[width * 4];
        int i = 0;
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            for (int x = 0; x < width * 4; x += 4, i += 4) {
                if (ycck) {
                    int luma = row[x];
                    int cb = row[x + 1];
                    int cr = row[x + 2];
                    cmyk[i] = (byte) clamp(255 - (luma + CR_R[cr]));
                    cmyk[i + 1] = (byte) clamp(255 - (luma + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)));
                    cmyk[i + 2] = (byte) clamp(255 - (luma + CB_B[cb]));
                } else {
                    cmyk[i] = (byte) row[x];
                    cmyk[i + 1] = (byte) row[x + 1];
                    cmyk[i + 2] = (byte) row[x + 2];
                }
                cmyk[i + 3] = (byte) row[x + 3];
            }
        }
        return fromCmyk(cmyk, width, height);
    }

    /**
     * One RGB channel from a stored (inverted) colour sample and the stored K sample: Pillow's
     * {@code nk - MULDIV255(ink, nk)} with {@code ink = 255 - sample} and {@code nk = 255 - (255 - k) = k}.
     */
    static int channel(int sample, int k) {
        int t = (255 - sample) * k + 128;
        return k - (((t >> 8) + t) >> 8);
    }

    /** libjpeg's {@code FIX}: the nearest integer to {@code x * 2^16}. */
    private static int fix(double x) {
        return (int) (x * (1L << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
