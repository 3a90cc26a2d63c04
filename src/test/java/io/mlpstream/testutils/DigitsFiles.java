package io.mlpstream.testutils;

import io.mlpstream.demo.DigitsDataset;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes small files in the digits format ({@link DigitsDataset}) for tests. */
public final class DigitsFiles {

    private DigitsFiles() {}

    /** The uncompressed file body: magic, count, rows, cols, then [label][pixels] records. */
    public static byte[] raw(int rows, int cols, byte[] labels, byte[] pixels) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(DigitsDataset.MAGIC.getBytes(StandardCharsets.US_ASCII));
            out.writeInt(labels.length);
            out.writeInt(rows);
            out.writeInt(cols);
            for (int i = 0; i < labels.length; i++) {
                out.writeByte(labels[i]);
                out.write(pixels, i * rows * cols, rows * cols);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Random labels 0..9 and random pixels 0..255 (all values occur), read back through the real loader. */
    public static DigitsDataset synthetic(int count, int rows, int cols, long seed) {
        Random random = new Random(seed);
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * rows * cols];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        random.nextBytes(pixels);
        try {
            return DigitsDataset.load(new ByteArrayInputStream(gzip(raw(rows, cols, labels, pixels))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
