package io.mlpstream.demo;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Labelled grayscale digit images held out from training, for the demo producer and the tests.
 *
 * <p>File format (gzip-compressed): ASCII magic {@code MLPD}, then big-endian int32 count N,
 * int32 rows, int32 cols, then N records of {@code [label uint8][rows*cols uint8 pixels, row-major]}.
 * Immutable and thread-safe.
 */
public final class DigitsDataset {

    /** Classpath resource of the bundled held-out digits (packaged from models/data/). */
    public static final String BUNDLED_RESOURCE = "/mlpstream/data/digits-heldout.bin.gz";
    public static final String MAGIC = "MLPD";
    /** Upper bound on rows and cols, against reading garbage as a huge header. */
    public static final int MAX_SIDE = 4096;

    private final int rows;
    private final int cols;
    private final byte[] labels;
    private final byte[] pixels; // size * rows * cols

    private DigitsDataset(int rows, int cols, byte[] labels, byte[] pixels) {
        this.rows = rows;
        this.cols = cols;
        this.labels = labels;
        this.pixels = pixels;
    }

    /** Loads {@value #BUNDLED_RESOURCE} from the classpath. */
    public static DigitsDataset loadBundled() throws IOException {
        InputStream in = DigitsDataset.class.getResourceAsStream(BUNDLED_RESOURCE);
        if (in == null) {
            throw new IOException("Classpath resource " + BUNDLED_RESOURCE + " not found: the jar is built "
                    + "without models/data/digits-heldout.bin.gz; give a file with load(Path) instead");
        }
        try (in) {
            return load(in);
        }
    }

    public static DigitsDataset load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return load(in);
        } catch (IOException e) {
            throw new IOException("Could not read digits file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a gzip-compressed digits file; does not close {@code gzipped}. */
    public static DigitsDataset load(InputStream gzipped) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(new GZIPInputStream(gzipped)));
        byte[] magic = new byte[MAGIC.length()];
        int count;
        int rows;
        int cols;
        try {
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC.getBytes(StandardCharsets.US_ASCII))) {
                throw new IOException(String.format("Not a digits file: magic is %s, expected '%s'",
                        Arrays.toString(magic), MAGIC));
            }
            count = in.readInt();
            rows = in.readInt();
            cols = in.readInt();
        } catch (EOFException e) {
            throw new IOException("Truncated digits file: it ends inside the 16-byte header", e);
        }
        if (count < 0 || rows <= 0 || cols <= 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
            throw new IOException(String.format("Bad digits file header: count=%d rows=%d cols=%d; expected "
                    + "count >= 0 and 1 <= rows, cols <= %d", count, rows, cols, MAX_SIDE));
        }
        int imageSize = rows * cols;
        if ((long) count * imageSize > Integer.MAX_VALUE - 8) {
            throw new IOException(String.format("Digits file too large: %d images of %dx%d", count, rows, cols));
        }
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * imageSize];
        for (int i = 0; i < count; i++) {
            try {
                labels[i] = in.readByte();
                in.readFully(pixels, i * imageSize, imageSize);
            } catch (EOFException e) {
                throw new IOException(String.format("Truncated digits file: the header announces %d records of "
                        + "1+%dx%d bytes, but it ends in record %d", count, rows, cols, i), e);
            }
        }
        if (in.read() != -1) {
            throw new IOException(String.format(
                    "Bad digits file: bytes left after the %d records the header announces", count));
        }
        return new DigitsDataset(rows, cols, labels, pixels);
    }

    /** Builds a dataset in memory; {@code pixels} holds {@code labels.length} row-major images. */
    public static DigitsDataset of(int rows, int cols, byte[] labels, byte[] pixels) {
        if (rows <= 0 || cols <= 0 || (long) labels.length * rows * cols != pixels.length) {
            throw new IllegalArgumentException(String.format("%d labels of %dx%d images need %d pixel bytes, got %d",
                    labels.length, rows, cols, (long) labels.length * rows * cols, pixels.length));
        }
        return new DigitsDataset(rows, cols, labels.clone(), pixels.clone());
    }

    public int size() {
        return labels.length;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The true label (0..255; 0..9 for digits) of image {@code i}. */
    public int label(int i) {
        Objects.checkIndex(i, labels.length);
        return Byte.toUnsignedInt(labels[i]);
    }

    /** A copy of image {@code i}'s {@code rows*cols} pixels, row-major, one unsigned byte each. */
    public byte[] pixels(int i) {
        Objects.checkIndex(i, labels.length);
        int imageSize = rows * cols;
        return Arrays.copyOfRange(pixels, i * imageSize, (i + 1) * imageSize);
    }

    /** Image {@code i} as an 8-bit grayscale PNG whose pixel values are exactly {@link #pixels(int)}. */
    public byte[] png(int i) {
        BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, cols, rows, pixels(i));
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IllegalStateException("This JVM has no ImageIO PNG writer");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(rows * cols + 128);
        // in-memory stream: ImageIO.write(.., OutputStream) may use a temp file cache
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(image);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding of digit " + i + " failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
