package io.mlpstream.core.image;

/**
 * The EXIF orientation (tag 0x0112 of the first image directory, 1 to 8) of an encoded image, read from its header
 * bytes without decoding any pixel: a JPEG's first APP1 {@code "Exif\0\0"} segment before the first scan, a PNG's
 * {@code eXIf} chunk, where Pillow's {@code getexif()} finds it. Never throws: no EXIF block, a block that is not a
 * well-formed TIFF structure where the tag is sought, a tag whose type is not SHORT or LONG, or a value outside 1
 * to 8 all count as orientation 1 (the pixels as stored). A directory cut short counts as far as it goes, as in
 * Pillow.
 */
final class ExifOrientationTag {

    /** As stored: no transform. */
    static final int AS_STORED = 1;

    private static final int ORIENTATION = 0x0112;
    private static final int SHORT = 3;
    private static final int LONG = 4;
    private static final byte[] PNG_EXIF_CHUNK = {'e', 'X', 'I', 'f'};
    private static final int PNG_SIGNATURE = 8;

    private ExifOrientationTag() {}

    /** The orientation of a JPEG or PNG; {@link #AS_STORED} for other bytes. */
    static int of(byte[] encoded, ImageFormat format) {
        if (format == ImageFormat.JPEG) {
            return ofJpeg(encoded, JpegSegments.read(encoded));
        }
        if (format == ImageFormat.PNG) {
            return ofPng(encoded);
        }
        return AS_STORED;
    }

    /** The orientation in {@code jpeg}'s EXIF block, located by its {@code segments}. */
    static int ofJpeg(byte[] jpeg, JpegSegments segments) {
        return segments.hasExif() ? fromTiff(jpeg, segments.exifOffset(), segments.exifLength()) : AS_STORED;
    }

    /** The first {@code eXIf} chunk's orientation; chunks are walked by their lengths, never inflated. */
    static int ofPng(byte[] png) {
        int at = PNG_SIGNATURE;
        while (at + 8 <= png.length) {
            long length = readInt(png, at, true) & 0xFFFFFFFFL;
            int data = at + 8;
            if (length > png.length - data) {
                return AS_STORED;
            }
            if (regionMatches(png, at + 4, PNG_EXIF_CHUNK)) {
                return fromTiff(png, data, (int) length);
            }
            if (png[at + 4] == 'I' && png[at + 5] == 'E' && png[at + 6] == 'N' && png[at + 7] == 'D') {
                return AS_STORED;
            }
            at = data + (int) length + 4; // data, then the CRC
        }
        return AS_STORED;
    }

    /** The orientation in TIFF-structured EXIF data ({@code II*\0} or {@code MM\0*}, then the first directory). */
    static int fromTiff(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 8 || offset + length > bytes.length) {
            return AS_STORED;
        }
        boolean bigEndian;
        if (bytes[offset] == 'I' && bytes[offset + 1] == 'I') {
            bigEndian = false;
        } else if (bytes[offset] == 'M' && bytes[offset + 1] == 'M') {
            bigEndian = true;
        } else {
            return AS_STORED;
        }
        if (readShort(bytes, offset + 2, bigEndian) != 42) {
            return AS_STORED;
        }
        long directory = readInt(bytes, offset + 4, bigEndian) & 0xFFFFFFFFL;
        if (directory > length - 2) {
            return AS_STORED;
        }
        int entries = readShort(bytes, offset + (int) directory, bigEndian);
        int orientation = AS_STORED;
        int entry = offset + (int) directory + 2;
        for (int i = 0; i < entries && entry + 12 <= offset + length; i++, entry += 12) {
            if (readShort(bytes, entry, bigEndian) != ORIENTATION) {
                continue;
            }
            int type = readShort(bytes, entry + 2, bigEndian);
            long count = readInt(bytes, entry + 4, bigEndian) & 0xFFFFFFFFL;
            long value;
            if (type == SHORT && count == 1) {
                value = readShort(bytes, entry + 8, bigEndian);
            } else if (type == LONG && count == 1) {
                value = readInt(bytes, entry + 8, bigEndian) & 0xFFFFFFFFL;
            } else {
                value = AS_STORED;
            }
            orientation = value >= 1 && value <= 8 ? (int) value : AS_STORED; // Pillow: the last entry counts
        }
        return orientation;
    }

    private static int readShort(byte[] b, int at, boolean bigEndian) {
        int b0 = b[at] & 0xFF;
        int b1 = b[at + 1] & 0xFF;
        return bigEndian ? (b0 << 8) | b1 : (b1 << 8) | b0;
    }

    private static int readInt(byte[] b, int at, boolean bigEndian) {
        int hi = readShort(b, bigEndian ? at : at + 2, bigEndian);
        int lo = readShort(b, bigEndian ? at + 2 : at, bigEndian);
        return (hi << 16) | lo;
    }

    private static boolean regionMatches(byte[] bytes, int at, byte[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (bytes[at + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
