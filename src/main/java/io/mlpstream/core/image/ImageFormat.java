package io.mlpstream.core.image;

import java.util.Optional;

/** The encoded formats we accept, recognised by their magic bytes, never by a declared content type. */
public enum ImageFormat {
    PNG("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}),
    JPEG("jpeg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF});

    private final String imageIoName;
    private final byte[] magic;

    ImageFormat(String imageIoName, byte[] magic) {
        this.imageIoName = imageIoName;
        this.magic = magic;
    }

    /** The format name ImageIO knows this format by. */
    String imageIoName() {
        return imageIoName;
    }

    /** The format whose signature starts {@code bytes}, if any. */
    public static Optional<ImageFormat> sniff(byte[] bytes) {
        for (ImageFormat format : values()) {
            if (startsWith(bytes, format.magic)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /** A short guess at what unsupported bytes are, for error messages ("GIF", "text", "unknown"). */
    static String describeUnsupported(byte[] bytes) {
        if (startsWith(bytes, new byte[] {'G', 'I', 'F', '8'})) {
            return "GIF";
        }
        if (startsWith(bytes, new byte[] {'B', 'M'})) {
            return "BMP";
        }
        if (startsWith(bytes, new byte[] {'I', 'I', '*', 0}) || startsWith(bytes, new byte[] {'M', 'M', 0, '*'})) {
            return "TIFF";
        }
        if (bytes.length >= 12 && startsWith(bytes, new byte[] {'R', 'I', 'F', 'F'})
                && bytes[8] == 'W' && bytes[9] == 'E' && bytes[10] == 'B' && bytes[11] == 'P') {
            return "WebP";
        }
        int n = Math.min(bytes.length, 16);
        boolean printable = n > 0;
        for (int i = 0; i < n && printable; i++) {
            int b = bytes[i] & 0xFF;
            printable = (b >= 0x20 && b < 0x7F) || b == '\n' || b == '\r' || b == '\t';
        }
        return printable ? "text" : "unknown";
    }

    /** The first few bytes in hex, e.g. {@code 47 49 46 38}. */
    static String leadingHex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        int n = Math.min(bytes.length, 8);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02X", bytes[i] & 0xFF));
        }
        return sb.toString();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
