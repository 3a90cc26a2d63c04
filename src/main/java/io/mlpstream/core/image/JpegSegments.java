package io.mlpstream.core.image;

import java.nio.charset.StandardCharsets;

/**
 * What a JPEG's marker segments before its first scan say, read without decoding anything: the number of colour
 * components (from the frame header), the Adobe APP14 colour transform, and where the first EXIF block (APP1
 * {@code "Exif\0\0"}) lies. Reading stops at the first scan, at anything malformed, or at the end of the bytes,
 * and keeps what it found before: this never throws.
 */
final class JpegSegments {

    /** No Adobe APP14 segment. */
    static final int NO_ADOBE_MARKER = -1;

    private static final byte[] EXIF = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ADOBE = "Adobe".getBytes(StandardCharsets.ISO_8859_1);
    /** libjpeg reads an APP14 as Adobe's only with at least this many bytes of payload (APP14_DATA_LEN). */
    private static final int ADOBE_PAYLOAD = 12;

    private final int components;
    private final int adobeTransform;
    private final int exifOffset;
    private final int exifLength;

    private JpegSegments(int components, int adobeTransform, int exifOffset, int exifLength) {
        this.components = components;
        this.adobeTransform = adobeTransform;
        this.exifOffset = exifOffset;
        this.exifLength = exifLength;
    }

    static JpegSegments read(byte[] jpeg) {
        int components = 0;
        int adobeTransform = NO_ADOBE_MARKER;
        int exifOffset = -1;
        int exifLength = 0;
        int at = 2; // after SOI
        while (at + 1 < jpeg.length && (jpeg[at] & 0xFF) == 0xFF) {
            int marker = jpeg[at + 1] & 0xFF;
            if (marker == 0xFF) { // fill byte
                at++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) { // start of scan, end of image
                break;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { // no length: TEM, RSTn, SOI
                at += 2;
                continue;
            }
            if (at + 4 > jpeg.length) {
                break;
            }
            int length = ((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF);
            int payload = at + 4;
            int end = at + 2 + length;
            if (length < 2 || end > jpeg.length) {
                break;
            }
            int payloadLength = end - payload;
            if (isStartOfFrame(marker) && components == 0 && payloadLength >= 6) {
                components = jpeg[payload + 5] & 0xFF;
            } else if (marker == 0xEE && payloadLength >= ADOBE_PAYLOAD && startsWith(jpeg, payload, ADOBE)) {
                adobeTransform = jpeg[payload + 11] & 0xFF; // libjpeg: the last APP14 counts
            } else if (marker == 0xE1 && exifOffset < 0 && payloadLength >= EXIF.length && startsWith(jpeg, payload, EXIF)) {
                exifOffset = payload + EXIF.length; // Pillow: the first EXIF block counts
                exifLength = payloadLength - EXIF.length;
            }
            at = end;
        }
        return new JpegSegments(components, adobeTransform, exifOffset, exifLength);
    }

    /** Colour components the frame header declares (1 grey, 3 colour, 4 CMYK or YCCK); 0 when no frame header was read. */
    int components() {
        return components;
    }

    /** The Adobe APP14 transform (0 none, 1 YCbCr, 2 YCCK), or {@link #NO_ADOBE_MARKER}. */
    int adobeTransform() {
        return adobeTransform;
    }

    /**
     * libjpeg's reading of a four-component JPEG: YCCK when an Adobe marker says any transform but 0 (2, or anything
     * else with a warning), CMYK otherwise, with or without an Adobe marker. libjpeg-turbo, and so Pillow, decode by it.
     */
    boolean isYcck() {
        return components == 4 && adobeTransform != NO_ADOBE_MARKER && adobeTransform != 0;
    }

    /** Whether there is an EXIF block; {@link #exifOffset()} and {@link #exifLength()} locate its TIFF data. */
    boolean hasExif() {
        return exifOffset >= 0;
    }

    int exifOffset() {
        return exifOffset;
    }

    int exifLength() {
        return exifLength;
    }

    /** SOF0..SOF15, which are C0..CF less DHT (C4), JPG (C8) and DAC (CC). */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        if (offset + prefix.length > bytes.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
