package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlpstream.core.image.PreprocessSpec.ExifOrientation;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoding against Pillow, byte for byte: {@code src/test/resources/decode-reference}, written by
 * {@code models/mlpstream_models/decode_reference.py}: CMYK and YCCK JPEGs (Adobe marker or none, baseline and
 * progressive, chroma subsampled or not) against {@code Image.open(f).convert("RGB")}, and images with EXIF
 * orientations 1 to 8 (JPEG colour and grey, PNG eXIf, CMYK) against the same, and against
 * {@code ImageOps.exif_transpose} where the card says {@code apply}. Each case runs with each JPEG decoder.
 */
class PillowDecodeTest {
    private static final String DIR = "/decode-reference/";

    record Case(String name, String source, ExifOrientation exifOrientation, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        try (InputStream in = PillowDecodeTest.class.getResourceAsStream(DIR + "cases.json")) {
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : new ObjectMapper().readTree(in)) {
                cases.add(new Case(c.get("name").asText(), c.get("source").asText(),
                        ExifOrientation.parse(c.get("exifOrientation").asText()), c.get("expected").asText()));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> casesWithDecoders() {
        return cases().stream().flatMap(c -> Stream.of(Arguments.of(c, JpegDecoding.IMAGEIO), Arguments.of(c, JpegDecoding.AUTO)));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("casesWithDecoders")
    void decodesAsPillowReadsByteForByte(Case c, JpegDecoding jpeg) throws Exception {
        if (jpeg == JpegDecoding.AUTO) {
            assumeThat(TurboJpeg.available()).as("libturbojpeg installed").isPresent();
        }
        BufferedImage expected = ImageIO.read(PillowDecodeTest.class.getResource(DIR + c.expected()));
        DecodedImage decoded = new ImageDecoder(new ImageGuard(), jpeg).decode(bytes(c.source()), null, c.exifOrientation());
        assertThat(decoded.isWhole()).isTrue();
        BufferedImage rgb = PixelConversion.canonical(decoded.pixels(), PreprocessSpec.Color.RGB);
        if (rgb.getType() == BufferedImage.TYPE_BYTE_GRAY) { // a grey JPEG: Pillow's convert("RGB") repeats the level
            rgb = grayAsRgb(rgb);
        }
        assertThat(rgb.getWidth() + " x " + rgb.getHeight()).isEqualTo(expected.getWidth() + " x " + expected.getHeight());
        assertThat(difference(rgb, expected)).as("pixels unlike Pillow's").isEqualTo(Difference.NONE);
    }

    /** The job's path: a fused resize reads only a window of the source; for a CMYK JPEG the window is read raw too. */
    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("casesWithDecoders")
    void aWindowedDecodeWritesWhatAWholeDecodeWrites(Case c, JpegDecoding jpeg) throws Exception {
        if (jpeg == JpegDecoding.AUTO) {
            assumeThat(TurboJpeg.available()).as("libturbojpeg installed").isPresent();
        }
        PreprocessSpec spec = PreprocessSpec.builder().channels(3).size(12, 12).resize(14).exifOrientation(c.exifOrientation())
                .scale(1f).mean(0f, 0f, 0f).std(1f, 1f, 1f).build();
        Preprocessor pre = new Preprocessor(spec);
        ImageDecoder decoder = new ImageDecoder(new ImageGuard(), jpeg);
        byte[] source = bytes(c.source());
        FloatBuffer windowed = pre.newBatchBuffer(1);
        pre.writeInto(decoder.decode(source, pre::sourceWindow, c.exifOrientation()), windowed, 0);
        FloatBuffer whole = pre.newBatchBuffer(1);
        pre.writeInto(decoder.decode(source, null, c.exifOrientation()), whole, 0);
        for (int i = 0; i < pre.floatsPerImage(); i++) {
            assertThat(windowed.get(i)).as("float %d", i).isEqualTo(whole.get(i));
        }
    }

    /** The references are not passing by accident: the JDK's own CMYK colours are far from Pillow's. */
    @Test
    void theJdksCmykColoursAreNotPillows() throws Exception {
        BufferedImage jdk = ImageIO.read(PillowDecodeTest.class.getResource(DIR + "cmyk-adobe.jpg"));
        assertThat(jdk.getColorModel().getNumComponents()).isEqualTo(4);
        BufferedImage expected = ImageIO.read(PillowDecodeTest.class.getResource(DIR + "cmyk-adobe.rgb.png"));
        assertThat(difference(PixelConversion.toBgr8(jdk), expected).max()).isGreaterThan(40);
    }

    /** Every orientation but 1 really moves pixels, so a transposition left out or mixed up cannot pass. */
    @Test
    void everyOrientationReferenceDiffersFromTheImageAsStored() throws Exception {
        BufferedImage stored = ImageIO.read(PillowDecodeTest.class.getResource(DIR + "exif-1.rgb.png"));
        List<BufferedImage> seen = new ArrayList<>();
        for (int orientation = 1; orientation <= 8; orientation++) {
            BufferedImage upright = ImageIO.read(PillowDecodeTest.class.getResource(DIR + "exif-" + orientation + "-transposed.rgb.png"));
            for (BufferedImage other : seen) {
                boolean sameSize = other.getWidth() == upright.getWidth() && other.getHeight() == upright.getHeight();
                assertThat(sameSize && difference(upright, other) == Difference.NONE).as("orientation %d repeats one", orientation).isFalse();
            }
            seen.add(upright);
            BufferedImage asRead = ImageIO.read(PillowDecodeTest.class.getResource(DIR + "exif-" + orientation + ".rgb.png"));
            assertThat(difference(asRead, stored)).as("ignored: as stored").isEqualTo(Difference.NONE);
        }
    }

    @Test
    void aMalformedExifBlockLeavesTheImageAsStored() throws Exception {
        byte[] jpeg = bytes("exif-6.jpg");
        int tiff = JpegSegments.read(jpeg).exifOffset();
        jpeg[tiff] = 'X'; // not II or MM: Pillow's exif_transpose would raise SyntaxError here
        for (JpegDecoding decoding : List.of(JpegDecoding.IMAGEIO, JpegDecoding.AUTO)) {
            DecodedImage decoded = new ImageDecoder(new ImageGuard(), decoding).decode(jpeg, null, ExifOrientation.APPLY);
            BufferedImage stored = ImageIO.read(PillowDecodeTest.class.getResource(DIR + "exif-6.rgb.png"));
            assertThat(difference(PixelConversion.toBgr8(decoded.pixels()), stored)).isEqualTo(Difference.NONE);
        }
    }

    record Difference(int count, int max, String first) {
        static final Difference NONE = new Difference(0, 0, null);
    }

    static Difference difference(BufferedImage actual, BufferedImage expected) {
        Raster a = PixelConversion.toBgr8(actual).getRaster();
        Raster e = expected.getRaster();
        int count = 0;
        int max = 0;
        String first = null;
        for (int y = 0; y < e.getHeight(); y++) {
            for (int x = 0; x < e.getWidth(); x++) {
                for (int b = 0; b < 3; b++) {
                    int d = Math.abs(a.getSample(x, y, b) - e.getSample(x, y, b));
                    if (d != 0) {
                        count++;
                        max = Math.max(max, d);
                        if (first == null) {
                            first = String.format("x %d, y %d, band %d: %d, Pillow %d", x, y, b, a.getSample(x, y, b), e.getSample(x, y, b));
                        }
                    }
                }
            }
        }
        return count == 0 ? Difference.NONE : new Difference(count, max, first);
    }

    private static BufferedImage grayAsRgb(BufferedImage gray) {
        BufferedImage rgb = new BufferedImage(gray.getWidth(), gray.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < gray.getHeight(); y++) {
            for (int x = 0; x < gray.getWidth(); x++) {
                int v = gray.getRaster().getSample(x, y, 0);
                rgb.getRaster().setPixel(x, y, new int[] {v, v, v});
            }
        }
        return rgb;
    }

    static byte[] bytes(String name) throws IOException {
        try (InputStream in = PillowDecodeTest.class.getResourceAsStream(DIR + name)) {
            return in.readAllBytes();
        }
    }
}
