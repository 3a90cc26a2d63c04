package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The orientation tag read from header bytes; the happy paths against Pillow are in {@link PillowDecodeTest}. Here:
 * both byte orders, SHORT and LONG values, and every way an EXIF block can be malformed, which must count as
 * orientation 1 and never throw.
 */
class ExifOrientationTagTest {

    private static final int SHORT = 3;
    private static final int LONG = 4;
    private static final int ASCII = 2;

    @Test
    void readsBothByteOrdersAndShortOrLongValues() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (int orientation = 1; orientation <= 8; orientation++) {
                assertThat(orientation(tiff(order, entry(0x0112, SHORT, 1, orientation)))).isEqualTo(orientation);
                assertThat(orientation(tiff(order, entry(0x0112, LONG, 1, orientation)))).isEqualTo(orientation);
            }
        }
    }

    @Test
    void findsTheTagAmongOthersAndTheLastOfTwoCounts() {
        byte[] tiff = tiff(ByteOrder.BIG_ENDIAN, entry(0x010F, ASCII, 4, 0), entry(0x0112, SHORT, 1, 6),
                entry(0x011A, LONG, 1, 72));
        assertThat(orientation(tiff)).isEqualTo(6);
        assertThat(orientation(tiff(ByteOrder.LITTLE_ENDIAN, entry(0x0112, SHORT, 1, 6), entry(0x0112, SHORT, 1, 3))))
                .as("Pillow keeps the last").isEqualTo(3);
    }

    @Test
    void valuesPillowWouldNotTransposeCountAsOne() {
        for (int value : new int[] {0, 9, 255, 0xFFFF}) {
            assertThat(orientation(tiff(ByteOrder.LITTLE_ENDIAN, entry(0x0112, SHORT, 1, value)))).as("%d", value).isEqualTo(1);
        }
        assertThat(orientation(tiff(ByteOrder.LITTLE_ENDIAN, entry(0x0112, SHORT, 2, 6)))).as("two values").isEqualTo(1);
        assertThat(orientation(tiff(ByteOrder.LITTLE_ENDIAN, entry(0x0112, ASCII, 1, 6)))).as("not a number").isEqualTo(1);
    }

    @Test
    void malformedBlocksCountAsOneAndNeverThrow() {
        byte[] good = tiff(ByteOrder.LITTLE_ENDIAN, entry(0x010F, ASCII, 4, 0), entry(0x0112, SHORT, 1, 6));
        assertThat(orientation(good)).isEqualTo(6);
        byte[] notTiff = good.clone();
        notTiff[0] = 'X';
        assertThat(orientation(notTiff)).as("byte order mark").isEqualTo(1);
        byte[] notFortyTwo = good.clone();
        notFortyTwo[2] = 43;
        assertThat(orientation(notFortyTwo)).as("magic").isEqualTo(1);
        byte[] farDirectory = good.clone();
        ByteBuffer.wrap(farDirectory).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0x7FFFFFF0);
        assertThat(orientation(farDirectory)).as("directory offset past the end").isEqualTo(1);
        byte[] hugeCount = good.clone();
        ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 0xFFFF);
        assertThat(orientation(hugeCount)).as("entry count past the end, the tag still read").isEqualTo(6);
        assertThat(orientation(Arrays.copyOf(good, good.length - 14))).as("cut before the tag's entry").isEqualTo(1);
        // every prefix, and every single-byte corruption, of a real block: no exception, a value in 1..8
        for (int n = 0; n <= good.length; n++) {
            assertThat(orientation(Arrays.copyOf(good, n))).isBetween(1, 8);
        }
        for (int i = 0; i < good.length; i++) {
            for (int v : new int[] {0x00, 0xFF, 0x80}) {
                byte[] bad = good.clone();
                bad[i] = (byte) v;
                assertThat(orientation(bad)).isBetween(1, 8);
            }
        }
    }

    @Test
    void inAJpegOnlyTheFirstExifSegmentBeforeTheScanCounts() {
        byte[] xmp = segment(0xE1, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta tiff:Orientation=\"6\"/>".getBytes(StandardCharsets.ISO_8859_1));
        byte[] six = segment(0xE1, concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1),
                tiff(ByteOrder.BIG_ENDIAN, entry(0x0112, SHORT, 1, 6))));
        byte[] three = segment(0xE1, concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1),
                tiff(ByteOrder.BIG_ENDIAN, entry(0x0112, SHORT, 1, 3))));
        byte[] sos = {(byte) 0xFF, (byte) 0xDA, 0, 2};
        byte[] soi = {(byte) 0xFF, (byte) 0xD8};
        assertThat(jpegOrientation(concat(soi, xmp, six, three, sos))).isEqualTo(6);
        assertThat(jpegOrientation(concat(soi, xmp, sos, six))).as("after the scan: not read").isEqualTo(1);
        assertThat(jpegOrientation(concat(soi, new byte[] {(byte) 0xFF, (byte) 0xFF}, six, sos))).as("fill bytes").isEqualTo(6);
        byte[] lying = concat(soi, six, sos);
        lying[5] = (byte) 0xF0; // the segment claims to run past the end
        assertThat(jpegOrientation(lying)).isEqualTo(1);
        assertThat(jpegOrientation(soi)).isEqualTo(1);
    }

    @Test
    void inAPngTheExifChunkIsFoundWhereverItIs() {
        byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
        byte[] ihdr = chunk("IHDR", new byte[13]);
        byte[] idat = chunk("IDAT", new byte[] {1, 2, 3});
        byte[] exif = chunk("eXIf", tiff(ByteOrder.LITTLE_ENDIAN, entry(0x0112, SHORT, 1, 8)));
        byte[] iend = chunk("IEND", new byte[0]);
        assertThat(ExifOrientationTag.of(concat(signature, ihdr, exif, idat, iend), ImageFormat.PNG)).isEqualTo(8);
        assertThat(ExifOrientationTag.of(concat(signature, ihdr, idat, exif, iend), ImageFormat.PNG)).isEqualTo(8);
        assertThat(ExifOrientationTag.of(concat(signature, ihdr, idat, iend, exif), ImageFormat.PNG)).as("after IEND").isEqualTo(1);
        byte[] lying = concat(signature, ihdr, exif, iend);
        lying[8] = 0x7F; // IHDR claims 2 GB
        assertThat(ExifOrientationTag.of(lying, ImageFormat.PNG)).isEqualTo(1);
    }

    private static int orientation(byte[] tiff) {
        return ExifOrientationTag.fromTiff(tiff, 0, tiff.length);
    }

    private static int jpegOrientation(byte[] jpeg) {
        return ExifOrientationTag.of(jpeg, ImageFormat.JPEG);
    }

    private record Entry(int tag, int type, int count, int value) {}

    private static Entry entry(int tag, int type, int count, int value) {
        return new Entry(tag, type, count, value);
    }

    /** A TIFF header and one directory holding {@code entries}, values inline (left-justified, as TIFF has them). */
    static byte[] tiff(ByteOrder order, Entry... entries) {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + 12 * entries.length + 4).order(order);
        b.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M').put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        b.putShort((short) 42).putInt(8).putShort((short) entries.length);
        for (Entry e : entries) {
            b.putShort((short) e.tag()).putShort((short) e.type()).putInt(e.count());
            if (e.type() == SHORT) {
                b.putShort((short) e.value()).putShort((short) 0);
            } else {
                b.putInt(e.value());
            }
        }
        b.putInt(0); // no next directory
        return b.array();
    }

    private static byte[] segment(int marker, byte[] payload) {
        byte[] s = new byte[4 + payload.length];
        s[0] = (byte) 0xFF;
        s[1] = (byte) marker;
        s[2] = (byte) ((payload.length + 2) >> 8);
        s[3] = (byte) (payload.length + 2);
        System.arraycopy(payload, 0, s, 4, payload.length);
        return s;
    }

    private static byte[] chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(t).put(data).putInt((int) crc.getValue()).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
