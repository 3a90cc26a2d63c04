package io.mlpstream.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/**
 * Brings any decoded image to one of two 8-bit forms the {@link Preprocessor} writes from:
 * {@code TYPE_BYTE_GRAY} or {@code TYPE_3BYTE_BGR}, as PIL's {@code convert("L")} / {@code convert("RGB")}
 * would (alpha dropped, not composited). Images already in the wanted form are returned as they are.
 *
 * <p>Grey images are read from their raster, never through {@code getRGB}: for a grey
 * {@code ComponentColorModel} Java treats the samples as linear and returns sRGB-encoded values
 * (grey 128 comes back as about 188).
 */
final class PixelConversion {

    private PixelConversion() {}

    /** PIL's {@code L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16} (ITU-R 601-2 luma). */
    static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    /** Whether the image stores grey levels (any depth, with or without alpha), not colours or indices. */
    static boolean isGrayLevels(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        return !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    /** The form to resize and write from: grey for grayscale specs and grey sources, BGR otherwise. */
    static BufferedImage canonical(BufferedImage image, PreprocessSpec.Color color) {
        if (color == PreprocessSpec.Color.GRAYSCALE || isGrayLevels(image)) {
            return toGray8(image);
        }
        return toBgr8(image);
    }

    /**
     * The canonical form whatever the spec's colour: grey for grey sources, BGR otherwise. For either colour,
     * {@code canonical(canonical(image), color)} equals {@code canonical(image, color)}.
     */
    static BufferedImage canonical(BufferedImage image) {
        return isGrayLevels(image) ? toGray8(image) : toBgr8(image);
    }

    static BufferedImage toGray8(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage gray = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] out = ((DataBufferByte) gray.getRaster().getDataBuffer()).getData();
        if (isGrayLevels(image)) {
            Raster raster = image.getRaster();
            int bits = image.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (byte) to8Bits(row[x], bits);
                }
            }
        } else if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            InterleavedBytes bgr = new InterleavedBytes(image);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (byte) luma(bgr.red(x, y), bgr.green(x, y), bgr.blue(x, y));
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x];
                    out[y * w + x] = (byte) luma((argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF);
                }
            }
        }
        return gray;
    }

    static BufferedImage toBgr8(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage bgr = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = bgr.getRaster();
        byte[] out = ((DataBufferByte) raster.getDataBuffer()).getData();
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            int i = y * w * 3;
            for (int x = 0; x < w; x++, i += 3) {
                int argb = row[x];
                out[i] = (byte) argb;
                out[i + 1] = (byte) (argb >> 8);
                out[i + 2] = (byte) (argb >> 16);
            }
        }
        return bgr;
    }

    /** 16-bit and other deep samples keep their high byte; 1/2/4-bit ones are stretched to 0..255. */
    static int to8Bits(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        if (bits > 8) {
            return sample >>> (bits - 8);
        }
        return sample * 255 / ((1 << bits) - 1);
    }
}
