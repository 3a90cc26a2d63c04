package io.mlpstream.core.image;

import io.mlpstream.core.image.ImageRejectedException.Reason;
import io.mlpstream.core.image.PreprocessSpec.ExifOrientation;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;

/**
 * Encoded bytes to a {@link BufferedImage}, header-checked by an {@link ImageGuard} first. Every failure
 * comes out as an {@link ImageRejectedException}: ImageIO throws IOExceptions but also
 * IndexOutOfBounds-, IllegalArgument- and other RuntimeExceptions on garbage, and the JPEG reader
 * only <em>warns</em> when scan data is cut short (filling the rest with grey), which we treat as corrupt,
 * as Pillow does ("image file is truncated").
 *
 * <p>A caller that needs only part of the pixels passes a {@link Window}: JPEGs are then decoded with
 * that source region, which skips copying the columns outside it (640x480 q90 to the 224 crop of a
 * 256 resize: decode + resize 4.3-4.5 -> 3.9-4.1 ms per image, BENCHMARKS.md). The region always
 * runs to the bottom row, so libjpeg still reads all scan data and a truncated file is still refused.
 * PNGs are decoded whole (the inflate dominates and cannot skip anything), plain ones ({@link LeanPng}: 8-bit
 * grey, grey + alpha, RGB, RGBA, not interlaced) without ImageIO, to the same image ImageIO gives.
 *
 * <p>With a {@link TurboJpeg} decoder ({@link JpegDecoding}), JPEGs are decoded whole through libjpeg-turbo's
 * TurboJPEG API instead: the same pixels, with decode + resize 16 % cheaper than ImageIO's window.
 * Whatever it cannot decode cleanly (truncated, corrupt) goes the ImageIO way above, so verdicts
 * and messages do not depend on the decoder.
 *
 * <p>Four-channel JPEGs (CMYK, YCCK) come out as the RGB Pillow reads from them ({@link CmykJpeg}), whichever
 * decoder reads them: ImageIO's raw components ({@code readRaster}), or TurboJPEG's CMYK.
 *
 * <p>With {@link ExifOrientation#APPLY}, an image whose EXIF orientation (read from the header bytes,
 * {@link ExifOrientationTag}) is 2 to 8 is decoded whole and turned upright as Pillow's {@code exif_transpose} does
 * ({@link ExifTranspose}); the result is then in its canonical 8-bit form ({@link PixelConversion#canonical}).
 */
public final class ImageDecoder {

    private final ImageGuard guard;
    private final TurboJpeg turbo;

    /** The default guard, TurboJPEG when installed. */
    public ImageDecoder() {
        this(new ImageGuard());
    }

    /** TurboJPEG when installed. */
    public ImageDecoder(ImageGuard guard) {
        this(guard, JpegDecoding.AUTO);
    }

    /** @throws IllegalStateException for {@link JpegDecoding#TURBOJPEG} when libturbojpeg cannot be loaded */
    public ImageDecoder(ImageGuard guard, JpegDecoding jpeg) {
        if (guard == null) {
            throw new NullPointerException("guard");
        }
        this.guard = guard;
        this.turbo = jpeg.resolve();
    }

    /** Which library decodes JPEGs, for logs. */
    public String jpegDecoder() {
        return turbo != null ? "TurboJPEG (libturbojpeg)"
                : "ImageIO" + (TurboJpeg.available().isEmpty() ? " (" + TurboJpeg.unavailableReason() + ")" : "");
    }

    public ImageGuard guard() {
        return guard;
    }

    /** The source pixels a caller reads from an image of the given size. */
    @FunctionalInterface
    public interface Window {
        /** The pixels needed; null, or anything covering the image, means all of them. */
        Rectangle of(int width, int height);
    }

    public BufferedImage decode(byte[] encoded) throws ImageRejectedException {
        return decode(encoded, null).pixels();
    }

    /** Decodes at least the pixels {@code window} asks for (see the class comment), EXIF orientation ignored. */
    public DecodedImage decode(byte[] encoded, Window window) throws ImageRejectedException {
        return decode(encoded, window, ExifOrientation.IGNORE);
    }

    /**
     * Decodes the image as {@code exif} says to see it: at least the pixels {@code window} asks for when it is to be
     * seen as stored; whole, without asking {@code window}, when it is to be turned (orientation 2 to 8).
     */
    public DecodedImage decode(byte[] encoded, Window window, ExifOrientation exif) throws ImageRejectedException {
        ImageFormat format = ImageGuard.sniff(encoded);
        int orientation = exif == ExifOrientation.APPLY ? ExifOrientationTag.of(encoded, format) : ExifOrientationTag.AS_STORED;
        if (orientation == ExifOrientationTag.AS_STORED) {
            return decodeAsStored(encoded, format, window);
        }
        BufferedImage stored = decodeAsStored(encoded, format, null).pixels();
        return DecodedImage.whole(ExifTranspose.apply(PixelConversion.canonical(stored), orientation));
    }

    private DecodedImage decodeAsStored(byte[] encoded, ImageFormat format, Window window) throws ImageRejectedException {
        if (turbo != null && format == ImageFormat.JPEG) {
            BufferedImage fast = turbo.decode(encoded, guard);
            if (fast != null) {
                return DecodedImage.whole(fast);
            }
        }
        if (format == ImageFormat.PNG) {
            BufferedImage lean = LeanPng.decode(encoded, guard.maxPixels());
            if (lean != null) {
                return DecodedImage.whole(lean);
            }
        }
        try (CheckedImage checked = guard.open(encoded)) {
            ImageHeader header = checked.header();
            Rectangle region = window == null || header.format() != ImageFormat.JPEG ? null
                    : regionToBottom(window.of(header.width(), header.height()), header.width(), header.height());
            BufferedImage pixels = read(checked, encoded, region);
            return region == null ? DecodedImage.whole(pixels)
                    : new DecodedImage(pixels, header.width(), header.height(), region.x, region.y);
        }
    }

    /** The asked-for columns, from the asked-for first row to the last row of the image; null = the whole image. */
    static Rectangle regionToBottom(Rectangle asked, int width, int height) {
        if (asked == null) {
            return null;
        }
        Rectangle r = asked.intersection(new Rectangle(0, 0, width, height));
        if (r.isEmpty()) {
            return null;
        }
        Rectangle region = new Rectangle(r.x, r.y, r.width, height - r.y);
        return region.width == width && region.height == height ? null : region;
    }

    private static BufferedImage read(CheckedImage checked, byte[] encoded, Rectangle region) throws ImageRejectedException {
        ImageHeader header = checked.header();
        ImageReader reader = checked.reader();
        int byteCount = encoded.length;
        JpegSegments jpeg = header.format() == ImageFormat.JPEG ? JpegSegments.read(encoded) : null;
        List<String> truncation = new ArrayList<>(1);
        IIOReadWarningListener warnings = (source, warning) -> {
            if (isTruncationWarning(warning)) {
                truncation.add(warning);
            }
        };
        reader.addIIOReadWarningListener(warnings);
        BufferedImage image;
        try {
            ImageReadParam param = reader.getDefaultReadParam();
            if (region != null) {
                param.setSourceRegion(region);
            }
            image = jpeg != null && jpeg.components() == 4
                    ? CmykJpeg.fromRaster(reader.readRaster(0, param), jpeg.isYcck()) // not the JDK's CMYK colours
                    : reader.read(0, param);
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
        int expectedWidth = region == null ? header.width() : region.width;
        int expectedHeight = region == null ? header.height() : region.height;
        if (image == null || image.getWidth() != expectedWidth || image.getHeight() != expectedHeight) {
            throw new ImageRejectedException(Reason.CORRUPT, String.format(
                    "%s decoded to %s but its header declares %d x %d%s", header.format(),
                    image == null ? "nothing" : image.getWidth() + " x " + image.getHeight(),
                    header.width(), header.height(), region == null ? "" : " (region " + region.width + " x " + region.height + ")"));
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

    /** The JDK JPEG reader's answer to colour spaces it cannot convert. */
    private static boolean isUnsupportedVariant(Throwable e) {
        String m = e.getMessage();
        return m != null && m.toLowerCase(Locale.ROOT).contains("unsupported image type");
    }
}
