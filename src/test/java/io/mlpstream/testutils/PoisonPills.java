package io.mlpstream.testutils;

import io.mlpstream.avro.LatencyReport;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.job.serde.LatencyReportSerializer;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Kafka values that try to break the job, each with what must become of it: tagged (with the label of
 * the digit it was made from, when it was made from one) or dead-lettered at a stage with a reason.
 */
public final class PoisonPills {

    /** What must become of a pill. */
    public enum Fate { TAGGED, DEAD_LETTER }

    /**
     * @param name also the event id and Kafka key
     * @param value the Kafka record value
     * @param digit index of the digit the image was made from (its label is expected), or -1
     * @param stage for dead letters, the {@code mlpstream.errors.stage} expected
     * @param messagePart for dead letters, a piece of the expected reason
     */
    public record Pill(String name, byte[] value, Fate fate, int digit, String stage, String messagePart) {
        @Override
        public String toString() {
            return name + " (" + value.length + " bytes) -> " + (fate == Fate.TAGGED ? "tagged" : stage + " dead letter");
        }
    }

    private PoisonPills() {}

    /** Bad inputs apart from the decompression bombs; digit-derived ones use digits 0, 1, 2, ... */
    public static List<Pill> corpus(DigitsDataset digits) {
        byte[] png = digits.png(0);
        List<Pill> pills = new ArrayList<>();
        pills.add(dead("not-avro", "this is not an ImageEvent".getBytes(StandardCharsets.UTF_8),
                "deserialize", "not Avro single-object encoding"));
        pills.add(dead("avro-of-another-schema", LatencyReportSerializer.encode(latencyReport()),
                "deserialize", "Avro of another schema"));
        pills.add(deadImage("empty-image", new byte[0], "image/png", "image is empty"));
        pills.add(deadImage("truncated-png", Arrays.copyOf(png, png.length / 2), "image/png", "cannot decode PNG"));
        byte[] jpeg = TestImages.jpeg(upscaled(digits, 1, 8), 0.9f);
        pills.add(deadImage("truncated-jpeg", Arrays.copyOf(jpeg, jpeg.length / 2), "image/jpeg", "truncated"));
        pills.add(deadImage("gif", write(digitImage(digits, 2), "gif"), "image/gif", "looks like GIF"));
        pills.add(deadImage("bmp", write(digitImage(digits, 3), "bmp"), "image/bmp", "looks like BMP"));
        pills.add(deadImage("text-posing-as-jpeg", "GET / HTTP/1.1\r\nHost: example.com\r\n".getBytes(StandardCharsets.US_ASCII),
                "image/jpeg", "looks like text"));
        // a four-channel JPEG (the JDK writer's) is read as Pillow reads CMYK: tagged
        pills.add(tagged("cmyk-jpeg", cmykJpeg(64, 64), "image/jpeg", -1));
        pills.add(tagged("one-by-20000-png", TestImages.png(TestImages.grayPattern(1, 20_000)), "image/png", -1));
        pills.add(tagged("sixteen-bit-png-of-digit-4", TestImages.png(gray16(digits, 4)), "image/png", 4));
        pills.add(tagged("gray-alpha-png-of-digit-5", TestImages.png(grayAlpha(digits, 5)), "image/png", 5));
        return pills;
    }

    /** A PNG and a JPEG whose headers declare far more pixels than any limit; a few hundred bytes each. */
    public static List<Pill> bombs() {
        return List.of(
                deadImage("png-bomb-100000x100000", TestImages.pngDeclaring(100_000, 100_000), "image/png",
                        "image declares 100000 x 100000 = 10000000000 pixels, above the limit"),
                // a JPEG frame header holds 16-bit dimensions, and the JDK reads at most 65500 per side
                deadImage("jpeg-bomb-65500x65500", TestImages.jpegDeclaring(65_500, 65_500), "image/jpeg",
                        "image declares 65500 x 65500 = 4290250000 pixels, above the limit"));
    }

    private static Pill dead(String name, byte[] value, String stage, String messagePart) {
        return new Pill(name, value, Fate.DEAD_LETTER, -1, stage, messagePart);
    }

    private static Pill deadImage(String name, byte[] image, String contentType, String messagePart) {
        return dead(name, TestEvents.encoded(name, image, contentType), "decode", messagePart);
    }

    private static Pill tagged(String name, byte[] image, String contentType, int digit) {
        return new Pill(name, TestEvents.encoded(name, image, contentType), Fate.TAGGED, digit, null, null);
    }

    private static LatencyReport latencyReport() {
        return LatencyReport.newBuilder().setWindowStart(java.time.Instant.EPOCH).setWindowEnd(java.time.Instant.ofEpochSecond(1)).setModelName("mixer-digits").setCount(1)
                .setDeadLetters(0).setThroughputPerSecond(1).setMeanBatchSize(1).setStages(List.of()).build();
    }

    /** The digit as an 8-bit grey image. */
    public static BufferedImage digitImage(DigitsDataset digits, int i) {
        BufferedImage img = new BufferedImage(digits.cols(), digits.rows(), BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, digits.cols(), digits.rows(), digits.pixels(i));
        return img;
    }

    private static BufferedImage upscaled(DigitsDataset digits, int i, int factor) {
        BufferedImage small = digitImage(digits, i);
        BufferedImage big = new BufferedImage(small.getWidth() * factor, small.getHeight() * factor, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < big.getHeight(); y++) {
            for (int x = 0; x < big.getWidth(); x++) {
                big.getRaster().setSample(x, y, 0, small.getRaster().getSample(x / factor, y / factor, 0));
            }
        }
        return big;
    }

    /** The digit in 16-bit grey, each 8-bit level v stored as v * 257 (its high byte is v again). */
    private static BufferedImage gray16(DigitsDataset digits, int i) {
        BufferedImage src = digitImage(digits, i);
        BufferedImage img = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) {
                img.getRaster().setSample(x, y, 0, src.getRaster().getSample(x, y, 0) * 257);
            }
        }
        return img;
    }

    /** The digit as grey + alpha (PNG colour type 4), alpha varying so it cannot be ignored by accident. */
    private static BufferedImage grayAlpha(DigitsDataset digits, int i) {
        BufferedImage src = digitImage(digits, i);
        BufferedImage img = TestImages.grayAlpha(src.getWidth(), src.getHeight());
        WritableRaster r = img.getRaster();
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) {
                r.setSample(x, y, 0, src.getRaster().getSample(x, y, 0));
                r.setSample(x, y, 1, 255 - (x * 5 % 128));
            }
        }
        return img;
    }

    /** A four-channel (CMYK) JPEG, written from a raw four-band raster as the JDK's writer allows. */
    public static byte[] cmykJpeg(int w, int h) {
        WritableRaster raster = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.setPixel(x, y, new int[] {x * 4 % 256, y * 4 % 256, 128, 16});
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(raster, null, null), writer.getDefaultWriteParam());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static byte[] write(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no " + format + " writer for image type " + img.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
