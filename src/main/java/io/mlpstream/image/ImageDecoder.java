package io.mlpstream.image;

import io.mlpstream.image.ImageRejectedException.Reason;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;

/**
 * Encoded bytes to a {@link BufferedImage}, header-checked by an {@link ImageGuard} first. Every failure
 * comes out as an {@link ImageRejectedException}: ImageIO throws IOExceptions but also
 * IndexOutOfBounds-, IllegalArgument- and other RuntimeExceptions on garbage, and the JPEG reader
 * only <em>warns</em> when scan data is cut short (filling the rest with grey), which we treat as corrupt,
 * as Pillow does ("image file is truncated").
 */
public final class ImageDecoder {

    private final ImageGuard guard;

    public ImageDecoder() {
        this(new ImageGuard());
    }

    public ImageDecoder(ImageGuard guard) {
        if (guard == null) {
            throw new NullPointerException("guard");
        }
        this.guard = guard;
    }

    public ImageGuard guard() {
        return guard;
    }

    public BufferedImage decode(byte[] encoded) throws ImageRejectedException {
        try (CheckedImage checked = guard.open(encoded)) {
            return read(checked, encoded.length);
        }
    }

    private static BufferedImage read(CheckedImage checked, int byteCount) throws ImageRejectedException {
        ImageHeader header = checked.header();
        ImageReader reader = checked.reader();
        List<String> truncation = new ArrayList<>(1);
        IIOReadWarningListener warnings = (source, warning) -> {
            if (isTruncationWarning(warning)) {
                truncation.add(warning);
            }
        };
        reader.addIIOReadWarningListener(warnings);
        BufferedImage image;
        try {
            image = reader.read(0);
        } catch (IOException | RuntimeException e) {
            Reason reason = isUnsupportedVariant(e) ? Reason.UNSUPPORTED_FORMAT : Reason.CORRUPT;
            throw new ImageRejectedException(reason, String.format(
                    "cannot decode %s %d x %d (%d bytes): %s",
                    header.format(), header.width(), header.height(), byteCount, ImageGuard.describe(e)), e);
        }
        if (!truncation.isEmpty()) {
            throw new ImageRejectedException(Reason.CORRUPT, String.format(
                    "%s %d x %d (%d bytes) is truncated: %s",
                    header.format(), header.width(), header.height(), byteCount, truncation.get(0)));
        }
        if (image == null || image.getWidth() != header.width() || image.getHeight() != header.height()) {
            throw new ImageRejectedException(Reason.CORRUPT, String.format(
                    "%s decoded to %s but its header declares %d x %d", header.format(),
                    image == null ? "nothing" : image.getWidth() + " x " + image.getHeight(),
                    header.width(), header.height()));
        }
        return image;
    }

    /**
     * libjpeg's "Corrupt JPEG data: premature end of data segment" (scan data missing). The JDK's
     * "Truncated File - Missing EOI marker" alone is not: every scanline was there, and Pillow accepts
     * such files too.
     */
    static boolean isTruncationWarning(String warning) {
        return warning != null && warning.toLowerCase(Locale.ROOT).contains("premature end");
    }

    /** The JDK JPEG reader's answer to CMYK/YCCK and other colour spaces it cannot convert. */
    private static boolean isUnsupportedVariant(Throwable e) {
        String m = e.getMessage();
        return m != null && m.toLowerCase(Locale.ROOT).contains("unsupported image type");
    }
}
