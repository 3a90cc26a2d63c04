package io.mlpstream.core.image;

import io.mlpstream.core.image.ImageRejectedException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Refuses images before any pixel is decoded: empty input, formats other than PNG and JPEG (recognised
 * by magic bytes), unreadable headers, non-positive dimensions, and width × height above a pixel limit.
 * Only the header is read, through an ImageIO reader.
 */
public final class ImageGuard {

    /** Pillow's {@code Image.MAX_IMAGE_PIXELS}: 1024 × 1024 × 1024 / 4 / 3. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    /** The option that sets the limit, named in error messages. */
    public static final String MAX_PIXELS_OPTION = "image.max-pixels";

    private final long maxPixels;

    public ImageGuard() {
        this(DEFAULT_MAX_PIXELS);
    }

    public ImageGuard(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException(String.format(
                    "%s must be positive, got %d (default %d)", MAX_PIXELS_OPTION, maxPixels, DEFAULT_MAX_PIXELS));
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** Reads and checks the header only; releases the reader before returning. */
    public ImageHeader check(byte[] encoded) throws ImageRejectedException {
        try (CheckedImage image = open(encoded)) {
            return image.header();
        }
    }

    /**
     * Reads and checks the header and returns the reader still open, ready to decode image 0. The caller
     * must close the result. On rejection nothing is left open.
     */
    public CheckedImage open(byte[] encoded) throws ImageRejectedException {
        ImageFormat format = sniff(encoded);
        ImageReader reader = readerFor(format);
        ImageInputStream stream = new ByteArrayImageInputStream(encoded);
        boolean handedOver = false;
        try {
            reader.setInput(stream, true, true);
            int width;
            int height;
            try {
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                checkDeclaredPngDimensions(format, encoded);
                throw new ImageRejectedException(Reason.CORRUPT, String.format(
                        "cannot read the %s header (%d bytes): %s", format, encoded.length, describe(e)), e);
            }
            checkDimensions(format, width, height, maxPixels);
            CheckedImage checked = new CheckedImage(new ImageHeader(format, width, height), reader, stream);
            handedOver = true;
            return checked;
        } finally {
            if (!handedOver) {
                reader.dispose();
                closeQuietly(stream);
            }
        }
    }

    static ImageFormat sniff(byte[] encoded) throws ImageRejectedException {
        if (encoded == null || encoded.length == 0) {
            throw new ImageRejectedException(Reason.EMPTY, "image is empty (0 bytes); expected PNG or JPEG bytes");
        }
        Optional<ImageFormat> format = ImageFormat.sniff(encoded);
        if (format.isEmpty()) {
            throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT, String.format(
                    "image is not PNG or JPEG: %d bytes starting %s (looks like %s); accepted formats are PNG"
                            + " (89 50 4E 47 0D 0A 1A 0A) and JPEG (FF D8 FF)",
                    encoded.length, ImageFormat.leadingHex(encoded), ImageFormat.describeUnsupported(encoded)));
        }
        return format.get();
    }

    /** The dimension and pixel-limit rule, on its own so it can be tested with any numbers. */
    static void checkDimensions(ImageFormat format, int width, int height, long maxPixels)
            throws ImageRejectedException {
        if (width <= 0 || height <= 0) {
            throw new ImageRejectedException(Reason.BAD_DIMENSIONS, String.format(
                    "%s header declares %d x %d; width and height must both be at least 1", format, width, height));
        }
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageRejectedException(Reason.TOO_MANY_PIXELS, String.format(
                    "image declares %d x %d = %d pixels, above the limit of %d (%s)",
                    width, height, pixels, maxPixels, MAX_PIXELS_OPTION));
        }
    }

    /**
     * The JDK's PNG reader refuses a zero or negative (above 2^31) IHDR width or height itself, with a
     * generic "I/O error reading PNG header!"; read the declared values to give the precise reason.
     */
    private static void checkDeclaredPngDimensions(ImageFormat format, byte[] encoded) throws ImageRejectedException {
        boolean hasIhdr = format == ImageFormat.PNG && encoded.length >= 24
                && encoded[12] == 'I' && encoded[13] == 'H' && encoded[14] == 'D' && encoded[15] == 'R';
        if (hasIhdr) {
            ByteBuffer ihdr = ByteBuffer.wrap(encoded, 16, 8); // big-endian, as PNG is
            checkDimensions(format, ihdr.getInt(), ihdr.getInt(), Long.MAX_VALUE);
        }
    }

    private static ImageReader readerFor(ImageFormat format) throws ImageRejectedException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT,
                    "no ImageIO reader for " + format + " is installed in this JVM");
        }
        return readers.next();
    }

    /** "IIOException: I/O error reading PNG header! (caused by IIOException: Image width <= 0!)". */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(oneLine(e));
        Throwable cause = e.getCause();
        for (int depth = 0; cause != null && cause != e && depth < 3; depth++, cause = cause.getCause()) {
            sb.append(" (caused by ").append(oneLine(cause)).append(')');
        }
        return sb.toString();
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }

    private static void closeQuietly(ImageInputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // in-memory
        }
    }
}
