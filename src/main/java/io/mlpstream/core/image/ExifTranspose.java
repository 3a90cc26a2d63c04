package io.mlpstream.core.image;

import java.awt.image.BufferedImage;

/**
 * Pillow's {@code ImageOps.exif_transpose}: the flip or rotation that EXIF orientation 2 to 8 asks for, on a
 * {@code TYPE_BYTE_GRAY} or {@code TYPE_3BYTE_BGR} image ({@link PixelConversion#canonical}). Orientations 5 to 8
 * swap width and height. Pixels are moved, never resampled, so the result equals Pillow's byte for byte.
 */
final class ExifTranspose {

    private ExifTranspose() {}

    /** The image as it is meant to be seen; {@code image} itself for orientation 1. */
    static BufferedImage apply(BufferedImage image, int orientation) {
        if (orientation < 1 || orientation > 8) {
            throw new IllegalArgumentException("EXIF orientation must be 1 to 8, got " + orientation);
        }
        int type = image.getType();
        if (type != BufferedImage.TYPE_BYTE_GRAY && type != BufferedImage.TYPE_3BYTE_BGR) {
            throw new IllegalArgumentException("expected a TYPE_BYTE_GRAY or TYPE_3BYTE_BGR image, got type " + type);
        }
        if (orientation == 1) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        boolean swaps = orientation >= 5;
        int outW = swaps ? h : w;
        int outH = swaps ? w : h;
        BufferedImage out = new BufferedImage(outW, outH, type);
        InterleavedBytes src = new InterleavedBytes(image);
        InterleavedBytes dst = new InterleavedBytes(out);
        byte[] from = src.data();
        byte[] to = dst.data();
        int bands = type == BufferedImage.TYPE_BYTE_GRAY ? 1 : 3;
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { // FLIP_LEFT_RIGHT
                        sx = w - 1 - x;
                        sy = y;
                    }
                    case 3 -> { // ROTATE_180
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    }
                    case 4 -> { // FLIP_TOP_BOTTOM
                        sx = x;
                        sy = h - 1 - y;
                    }
                    case 5 -> { // TRANSPOSE
                        sx = y;
                        sy = x;
                    }
                    case 6 -> { // ROTATE_270: a quarter turn clockwise
                        sx = y;
                        sy = h - 1 - x;
                    }
                    case 7 -> { // TRANSVERSE
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    }
                    default -> { // 8, ROTATE_90: a quarter turn counter-clockwise
                        sx = w - 1 - y;
                        sy = x;
                    }
                }
                for (int b = 0; b < bands; b++) {
                    to[dst.index(x, y, b)] = from[src.index(sx, sy, b)];
                }
            }
        }
        return out;
    }
}
