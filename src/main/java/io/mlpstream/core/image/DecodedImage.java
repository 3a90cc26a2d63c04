package io.mlpstream.core.image;

import java.awt.image.BufferedImage;

/**
 * Decoded pixels of a source image, possibly only a window of it: {@code pixels} holds source columns
 * {@code [left, left + pixels.width)} and rows {@code [top, top + pixels.height)} of a
 * {@code sourceWidth} x {@code sourceHeight} image. Preprocessing geometry (resize, crop) is always
 * computed from the source size, so a window decodes to exactly the values a whole decode has there.
 */
public record DecodedImage(BufferedImage pixels, int sourceWidth, int sourceHeight, int left, int top) {

    public DecodedImage {
        if (left < 0 || top < 0 || left + pixels.getWidth() > sourceWidth || top + pixels.getHeight() > sourceHeight) {
            throw new IllegalArgumentException(String.format("window %d x %d at (%d, %d) is outside the %d x %d source",
                    pixels.getWidth(), pixels.getHeight(), left, top, sourceWidth, sourceHeight));
        }
    }

    /** All of an image. */
    public static DecodedImage whole(BufferedImage image) {
        return new DecodedImage(image, image.getWidth(), image.getHeight(), 0, 0);
    }

    public boolean isWhole() {
        return left == 0 && top == 0 && pixels.getWidth() == sourceWidth && pixels.getHeight() == sourceHeight;
    }
}
