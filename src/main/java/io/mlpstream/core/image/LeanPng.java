package io.mlpstream.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.imageio.ImageTypeSpecifier;

/**
 * PNG decoding without ImageIO's per-call machinery (reader lookup, stream, header and metadata objects) for the
 * plain case: 8 bits per sample, not interlaced, greyscale, greyscale + alpha, RGB or RGBA, no {@code tRNS} chunk.
 * What comes out is what {@link ImageDecoder}'s ImageIO path gives for the same bytes, the same image type and the
 * same pixels: the image is made by the same {@link ImageTypeSpecifier} the JDK's PNG reader picks, and filled in
 * the order of its sample model. Like that reader with metadata ignored, it skips ancillary chunks and does not
 * check CRCs.
 *
 * <p>This is only the fast path: anything else (palette, other bit depths, interlacing, transparency, a size
 * above the pixel limit, truncated or corrupt data, an unknown filter) makes {@link #decode} return null, and the
 * caller decodes with ImageIO, whose verdict and message stand as before. The declared size is checked against
 * the limit before anything is inflated. Stateless and thread-safe; each call ends its own {@link Inflater}.
 */
final class LeanPng {

    private static final int SIGNATURE_LENGTH = 8;
    private static final int IHDR = 0x49484452;
    private static final int IDAT = 0x49444154;
    private static final int TRNS = 0x74524E53;

    private static final int COLOR_GRAY = 0;
    private static final int COLOR_RGB = 2;
    private static final int COLOR_GRAY_ALPHA = 4;
    private static final int COLOR_RGB_ALPHA = 6;

    /** The first image type the JDK's PNG reader offers per colour type at 8 bits without tRNS: its default. */
    private static final ImageTypeSpecifier GRAY = ImageTypeSpecifier.createGrayscale(8, DataBuffer.TYPE_BYTE, false);
    private static final ImageTypeSpecifier GRAY_ALPHA = ImageTypeSpecifier.createInterleaved(
            ColorSpace.getInstance(ColorSpace.CS_GRAY), new int[] {0, 1}, DataBuffer.TYPE_BYTE, true, false);
    private static final ImageTypeSpecifier RGB = ImageTypeSpecifier.createFromBufferedImageType(
            BufferedImage.TYPE_3BYTE_BGR);
    private static final ImageTypeSpecifier RGB_ALPHA = ImageTypeSpecifier.createFromBufferedImageType(
            BufferedImage.TYPE_4BYTE_ABGR);

    private LeanPng() {}

    /**
     * The decoded image, or null when {@code png} is not the plain case this class handles (see the class
     * comment), or when {@code width × height} is above {@code maxPixels}.
     */
    static BufferedImage decode(byte[] png, long maxPixels) {
        if (png.length < SIGNATURE_LENGTH + 25 || readInt(png, 8) != 13 || readInt(png, 12) != IHDR) {
            return null;
        }
        int width = readInt(png, 16);
        int height = readInt(png, 20);
        int bitDepth = png[24];
        int colorType = png[25];
        int compression = png[26];
        int filterMethod = png[27];
        int interlace = png[28];
        if (width <= 0 || height <= 0 || (long) width * height > maxPixels || bitDepth != 8
                || compression != 0 || filterMethod != 0 || interlace != 0) {
            return null;
        }
        int channels = channels(colorType);
        if (channels == 0) {
            return null;
        }
        long rowBytes = (long) width * channels;
        long inflatedBytes = (rowBytes + 1) * height;
        if (inflatedBytes > Integer.MAX_VALUE - 8) {
            return null;
        }
        byte[] rows = inflate(png, SIGNATURE_LENGTH + 25, (int) inflatedBytes);
        if (rows == null || !unfilter(rows, (int) rowBytes, height, channels)) {
            return null;
        }
        return toImage(rows, width, height, colorType, channels);
    }

    private static int channels(int colorType) {
        return switch (colorType) {
            case COLOR_GRAY -> 1;
            case COLOR_GRAY_ALPHA -> 2;
            case COLOR_RGB -> 3;
            case COLOR_RGB_ALPHA -> 4;
            default -> 0;
        };
    }

    /**
     * The filtered scanlines: exactly {@code length} bytes inflated from the consecutive IDAT chunks; null on
     * tRNS, a chunk running past the end, a non-IDAT chunk before the rows are complete, or bad zlib data.
     */
    private static byte[] inflate(byte[] png, int offset, int length) {
        byte[] rows = new byte[length];
        int filled = 0;
        boolean inIdat = false;
        Inflater inflater = new Inflater();
        try {
            int pos = offset;
            while (filled < length) {
                if (pos + 8 > png.length) {
                    return null;
                }
                int chunkLength = readInt(png, pos);
                int type = readInt(png, pos + 4);
                int data = pos + 8;
                if (chunkLength < 0 || chunkLength > png.length - data) {
                    return null;
                }
                if (type == IDAT) {
                    inIdat = true;
                    inflater.setInput(png, data, chunkLength);
                    while (filled < length && !inflater.needsInput()) {
                        int n = inflater.inflate(rows, filled, length - filled);
                        filled += n;
                        if (n == 0 && filled < length && !inflater.needsInput()) {
                            return null; // the zlib stream ended (or wants a dictionary) before the last row
                        }
                    }
                } else if (inIdat || type == TRNS) {
                    return null; // IDATs must be consecutive; tRNS changes the image type
                }
                pos = data + chunkLength + 4; // data, then the CRC
            }
            return rows;
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }

    /** Undoes the per-row filters in place, leaving each row's filter byte as it was; false on an unknown filter. */
    static boolean unfilter(byte[] rows, int rowBytes, int height, int bpp) {
        int stride = rowBytes + 1;
        for (int y = 0; y < height; y++) {
            int row = y * stride + 1;
            int prev = row - stride; // only read when y > 0
            switch (rows[row - 1]) {
                case 0 -> { }
                case 1 -> {
                    for (int i = bpp; i < rowBytes; i++) {
                        rows[row + i] += rows[row + i - bpp];
                    }
                }
                case 2 -> {
                    if (y > 0) {
                        for (int i = 0; i < rowBytes; i++) {
                            rows[row + i] += rows[prev + i];
                        }
                    }
                }
                case 3 -> {
                    for (int i = 0; i < rowBytes; i++) {
                        int left = i >= bpp ? rows[row + i - bpp] & 0xFF : 0;
                        int up = y > 0 ? rows[prev + i] & 0xFF : 0;
                        rows[row + i] += (byte) ((left + up) >>> 1);
                    }
                }
                case 4 -> {
                    for (int i = 0; i < rowBytes; i++) {
                        int left = i >= bpp ? rows[row + i - bpp] & 0xFF : 0;
                        int up = y > 0 ? rows[prev + i] & 0xFF : 0;
                        int upLeft = i >= bpp && y > 0 ? rows[prev + i - bpp] & 0xFF : 0;
                        rows[row + i] += (byte) paeth(left, up, upLeft);
                    }
                }
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /** The unfiltered samples (R, G, B, A order, as PNG stores them) copied into the reader's image type. */
    private static BufferedImage toImage(byte[] rows, int width, int height, int colorType, int channels) {
        ImageTypeSpecifier type = switch (colorType) {
            case COLOR_GRAY -> GRAY;
            case COLOR_GRAY_ALPHA -> GRAY_ALPHA;
            case COLOR_RGB -> RGB;
            default -> RGB_ALPHA;
        };
        BufferedImage image = type.createBufferedImage(width, height);
        PixelInterleavedSampleModel model = (PixelInterleavedSampleModel) image.getSampleModel();
        byte[] out = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        int[] bandOffsets = model.getBandOffsets();
        int pixelStride = model.getPixelStride();
        int scanlineStride = model.getScanlineStride();
        int rowBytes = width * channels;
        boolean sameLayout = pixelStride == channels && scanlineStride == rowBytes && isIdentity(bandOffsets);
        for (int y = 0; y < height; y++) {
            int src = y * (rowBytes + 1) + 1;
            int dst = y * scanlineStride;
            if (sameLayout) {
                System.arraycopy(rows, src, out, dst, rowBytes);
                continue;
            }
            for (int x = 0; x < width; x++, src += channels, dst += pixelStride) {
                for (int band = 0; band < channels; band++) {
                    out[dst + bandOffsets[band]] = rows[src + band];
                }
            }
        }
        return image;
    }

    private static boolean isIdentity(int[] bandOffsets) {
        for (int i = 0; i < bandOffsets.length; i++) {
            if (bandOffsets[i] != i) {
                return false;
            }
        }
        return true;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
