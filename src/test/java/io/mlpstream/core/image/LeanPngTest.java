package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.mlpstream.demo.DigitsDataset;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LeanPng} against the JDK's PNG reader: whatever it decodes must be ImageIO's image (type, colour model,
 * sample model, every byte); whatever is not its plain case must be left to ImageIO (null). PNGs are built here
 * with a chosen filter per row, so every filter and every colour type is covered, and read from files Pillow and
 * ImageIO wrote.
 */
class LeanPngTest {

    private static final int[] COLOR_TYPES = {0, 2, 4, 6};
    private static final int[] CHANNELS = {1, 0, 3, 0, 2, 0, 4};

    static Stream<Arguments> plainPngs() {
        List<Arguments> cases = new ArrayList<>();
        int[][] sizes = {{1, 1}, {2, 3}, {28, 28}, {33, 17}};
        for (int colorType : COLOR_TYPES) {
            for (int filter = 0; filter <= 5; filter++) { // 5: the row number mod 5, every filter after every other
                for (int[] size : sizes) {
                    cases.add(Arguments.of(colorType, filter, size[0], size[1]));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "colour type {0}, filter {1}, {2} x {3}")
    @MethodSource("plainPngs")
    void decodesEveryFilterAndColourTypeAsImageIoDoes(int colorType, int filter, int width, int height) {
        byte[] samples = randomSamples(width * height * CHANNELS[colorType], 31L * colorType + filter + width);
        Png png = new Png(width, height, colorType).filter(filter);
        assertSameAsImageIo(png.encode(samples));
        assertSameAsImageIo(png.idatChunkSize(7).encode(samples));
        assertSameAsImageIo(png.ancillaryChunks(true).encode(samples));
    }

    @Test
    void decodesTheDigitsAsImageIoDoes() throws IOException {
        DigitsDataset digits = DigitsDataset.loadBundled();
        for (int i = 0; i < 50; i++) {
            assertSameAsImageIo(digits.png(i));
        }
    }

    @Test
    void decodesWhatImageIoWritesAsImageIoDoes() throws IOException {
        Random random = new Random(7);
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_3BYTE_BGR,
                BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB}) {
            BufferedImage image = new BufferedImage(45, 31, type);
            for (int y = 0; y < 31; y++) {
                for (int x = 0; x < 45; x++) {
                    image.setRGB(x, y, (x * 5 + y) % 3 == 0 ? random.nextInt() : 0x80FF4020 + x * 3 + y);
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(ImageIO.write(image, "png", out)).isTrue();
            assertSameAsImageIo(out.toByteArray());
        }
    }

    @Test
    void everyPngInTheTestResourcesIsImageIosImageOrLeftToImageIo() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(Path.of("src/test/resources"))) {
            files = walk.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        int decoded = 0;
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            BufferedImage lean = LeanPng.decode(bytes, ImageGuard.DEFAULT_MAX_PIXELS);
            if (lean != null) {
                assertSame(lean, imageIo(bytes), file.toString());
                decoded++;
            }
        }
        assertThat(decoded).as("PNGs decoded by LeanPng out of %d", files.size()).isPositive();
    }

    @Test
    void leavesEverythingButThePlainCaseToImageIo() {
        byte[] gray = randomSamples(20 * 10, 1);
        Png plain = new Png(20, 10, 0).filter(5);
        assertThat(LeanPng.decode(plain.encode(gray), ImageGuard.DEFAULT_MAX_PIXELS)).isNotNull();

        assertThat(LeanPng.decode(plain.bitDepth(16).encode(randomSamples(400, 2)), Long.MAX_VALUE))
                .as("16 bits").isNull();
        assertThat(LeanPng.decode(plain.colorType(3).encode(gray), Long.MAX_VALUE)).as("palette").isNull();
        assertThat(LeanPng.decode(plain.interlace(1).encode(gray), Long.MAX_VALUE)).as("interlaced").isNull();
        assertThat(LeanPng.decode(plain.transparentColor(true).encode(gray), Long.MAX_VALUE)).as("tRNS").isNull();
        assertThat(LeanPng.decode(plain.encode(gray), 199)).as("above the pixel limit").isNull();
        assertThat(LeanPng.decode(plain.encode(gray), 200)).as("at the pixel limit").isNotNull();
        assertThat(LeanPng.decode(plain.idatChunkSize(16).ancillaryBetweenIdats(true).encode(gray), Long.MAX_VALUE))
                .as("a chunk between IDATs").isNull();

        byte[] badFilter = plain.filter(0).encode(gray, rows -> {
            rows[4 * 21] = 5; // the fifth row's filter byte
            return rows;
        });
        assertThat(LeanPng.decode(badFilter, Long.MAX_VALUE)).as("filter type 5").isNull();
        byte[] shortRows = plain.encode(gray, rows -> Arrays.copyOf(rows, rows.length - 1));
        assertThat(LeanPng.decode(shortRows, Long.MAX_VALUE)).as("zlib data one byte short").isNull();

        byte[] whole = plain.encode(gray);
        for (int cut : new int[] {8, 20, 33, 40, whole.length / 2, whole.length - 20}) {
            assertThat(LeanPng.decode(Arrays.copyOf(whole, cut), Long.MAX_VALUE)).as("cut at %d", cut).isNull();
        }
        byte[] corrupt = whole.clone();
        corrupt[41 + 4] ^= 0x55; // inside the first IDAT's zlib data
        BufferedImage fromCorrupt = LeanPng.decode(corrupt, Long.MAX_VALUE);
        if (fromCorrupt != null) { // a flipped literal can still inflate: then ImageIO must agree byte for byte
            assertSame(fromCorrupt, imageIo(corrupt), "corrupt zlib data");
        }
    }

    @Test
    void imageDecoderGivesTheSameImageWhicheverPathDecodes() throws ImageRejectedException {
        byte[] png = new Png(19, 23, 2).filter(5).encode(randomSamples(19 * 23 * 3, 3));
        BufferedImage viaDecoder = new ImageDecoder(new ImageGuard(), JpegDecoding.IMAGEIO).decode(png);
        assertSame(viaDecoder, imageIo(png), "ImageDecoder");
    }

    private static void assertSameAsImageIo(byte[] png) {
        BufferedImage lean = LeanPng.decode(png, ImageGuard.DEFAULT_MAX_PIXELS);
        assertThat(lean).as("LeanPng declined a plain PNG").isNotNull();
        assertSame(lean, imageIo(png), "PNG");
    }

    private static void assertSame(BufferedImage lean, BufferedImage expected, String what) {
        assertThat(lean.getType()).as("%s: image type", what).isEqualTo(expected.getType());
        assertThat(lean.getColorModel()).as("%s: colour model", what).isEqualTo(expected.getColorModel());
        assertThat(lean.getSampleModel()).as("%s: sample model", what).isEqualTo(expected.getSampleModel());
        assertThat(((DataBufferByte) lean.getRaster().getDataBuffer()).getData()).as("%s: pixels", what)
                .isEqualTo(((DataBufferByte) expected.getRaster().getDataBuffer()).getData());
    }

    private static BufferedImage imageIo(byte[] png) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image).isNotNull();
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] randomSamples(int n, long seed) {
        byte[] samples = new byte[n];
        Random random = new Random(seed);
        for (int i = 0; i < n; i++) { // runs of equal and near values as well as noise, so filters matter
            samples[i] = (byte) (i % 7 < 3 ? random.nextInt(256) : i % 7 == 3 ? 255 : (i / 5) * 3);
        }
        return samples;
    }

    /** A PNG writer with every choice exposed: filter per row, IDAT chunk size, chunks that ImageIO skips. */
    private record Png(int width, int height, int colorType, int bitDepth, int interlace, int filter,
                       int idatChunkSize, boolean ancillaryChunks, boolean ancillaryBetweenIdats,
                       boolean transparentColor) {

        Png(int width, int height, int colorType) {
            this(width, height, colorType, 8, 0, 0, Integer.MAX_VALUE, false, false, false);
        }

        Png filter(int f) {
            return new Png(width, height, colorType, bitDepth, interlace, f, idatChunkSize, ancillaryChunks,
                    ancillaryBetweenIdats, transparentColor);
        }

        Png idatChunkSize(int size) {
            return new Png(width, height, colorType, bitDepth, interlace, filter, size, ancillaryChunks,
                    ancillaryBetweenIdats, transparentColor);
        }

        Png ancillaryChunks(boolean on) {
            return new Png(width, height, colorType, bitDepth, interlace, filter, idatChunkSize, on,
                    ancillaryBetweenIdats, transparentColor);
        }

        Png ancillaryBetweenIdats(boolean on) {
            return new Png(width, height, colorType, bitDepth, interlace, filter, idatChunkSize, ancillaryChunks,
                    on, transparentColor);
        }

        Png transparentColor(boolean on) {
            return new Png(width, height, colorType, bitDepth, interlace, filter, idatChunkSize, ancillaryChunks,
                    ancillaryBetweenIdats, on);
        }

        Png bitDepth(int depth) {
            return new Png(width, height, colorType, depth, interlace, filter, idatChunkSize, ancillaryChunks,
                    ancillaryBetweenIdats, transparentColor);
        }

        Png colorType(int type) {
            return new Png(width, height, type, bitDepth, interlace, filter, idatChunkSize, ancillaryChunks,
                    ancillaryBetweenIdats, transparentColor);
        }

        Png interlace(int method) {
            return new Png(width, height, colorType, bitDepth, method, filter, idatChunkSize, ancillaryChunks,
                    ancillaryBetweenIdats, transparentColor);
        }

        byte[] encode(byte[] samples) {
            return encode(samples, rows -> rows);
        }

        interface RowsEdit {
            byte[] apply(byte[] rows);
        }

        /** {@code edit} changes the filtered rows before they are deflated. */
        byte[] encode(byte[] samples, RowsEdit edit) {
            int channels = Math.max(1, CHANNELS[colorType]);
            int bpp = channels * bitDepth / 8;
            int rowBytes = width * bpp;
            byte[] rows = new byte[(rowBytes + 1) * height];
            byte[] raw = Arrays.copyOf(samples, rowBytes * height);
            for (int y = 0; y < height; y++) {
                int f = filter == 5 ? y % 5 : filter;
                rows[y * (rowBytes + 1)] = (byte) f;
                for (int i = 0; i < rowBytes; i++) {
                    int cur = raw[y * rowBytes + i] & 0xFF;
                    int left = i >= bpp ? raw[y * rowBytes + i - bpp] & 0xFF : 0;
                    int up = y > 0 ? raw[(y - 1) * rowBytes + i] & 0xFF : 0;
                    int upLeft = i >= bpp && y > 0 ? raw[(y - 1) * rowBytes + i - bpp] & 0xFF : 0;
                    int predicted = switch (f) {
                        case 1 -> left;
                        case 2 -> up;
                        case 3 -> (left + up) / 2;
                        case 4 -> paeth(left, up, upLeft);
                        default -> 0;
                    };
                    rows[y * (rowBytes + 1) + 1 + i] = (byte) (cur - predicted);
                }
            }
            byte[] idat = deflate(edit.apply(rows));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
            chunk(out, "IHDR", new byte[] {
                (byte) (width >>> 24), (byte) (width >>> 16), (byte) (width >>> 8), (byte) width,
                (byte) (height >>> 24), (byte) (height >>> 16), (byte) (height >>> 8), (byte) height,
                (byte) bitDepth, (byte) colorType, 0, 0, (byte) interlace});
            if (colorType == 3) {
                byte[] palette = new byte[256 * 3];
                for (int i = 0; i < palette.length; i++) {
                    palette[i] = (byte) i;
                }
                chunk(out, "PLTE", palette);
            }
            if (ancillaryChunks) {
                chunk(out, "gAMA", new byte[] {0, 0, (byte) 0xB1, (byte) 0x8F});
                chunk(out, "tEXt", "Comment\0made by LeanPngTest".getBytes(StandardCharsets.ISO_8859_1));
            }
            if (transparentColor) {
                chunk(out, "tRNS", new byte[] {0, 7});
            }
            for (int at = 0; at < idat.length; at += idatChunkSize) {
                if (at > 0 && ancillaryBetweenIdats) {
                    chunk(out, "tEXt", "Comment\0between".getBytes(StandardCharsets.ISO_8859_1));
                }
                chunk(out, "IDAT", Arrays.copyOfRange(idat, at, (int) Math.min(idat.length, (long) at + idatChunkSize)));
            }
            if (ancillaryChunks) {
                chunk(out, "tEXt", "Comment\0after the image".getBytes(StandardCharsets.ISO_8859_1));
            }
            chunk(out, "IEND", new byte[0]);
            return out.toByteArray();
        }

        private static int paeth(int a, int b, int c) {
            int p = a + b - c;
            int pa = Math.abs(p - a);
            int pb = Math.abs(p - b);
            int pc = Math.abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }

        private static byte[] deflate(byte[] data) {
            Deflater deflater = new Deflater();
            try {
                deflater.setInput(data);
                deflater.finish();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buffer = new byte[4096];
                while (!deflater.finished()) {
                    out.write(buffer, 0, deflater.deflate(buffer));
                }
                return out.toByteArray();
            } finally {
                deflater.end();
            }
        }

        private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
            byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
            int n = data.length;
            out.writeBytes(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
            out.writeBytes(typeBytes);
            out.writeBytes(data);
            CRC32 crc = new CRC32();
            crc.update(typeBytes);
            crc.update(data);
            long c = crc.getValue();
            out.writeBytes(new byte[] {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
        }
    }
}
