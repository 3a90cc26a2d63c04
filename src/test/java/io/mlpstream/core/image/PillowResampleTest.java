package io.mlpstream.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The job's resize + crop against torchvision's {@code Resize} + {@code CenterCrop} on PIL images and timm's eval
 * transforms, byte for byte: {@code src/test/resources/resize-reference}, written by
 * {@code models/mlpstream_models/resize_reference.py} (a real photo and two synthetic images; every Pillow filter,
 * down- and upscaled, RGB and gray; timm's crop_pct with the center, squash and border crop modes). Scale 255 and
 * std 1 make every model input {@code v / 255 - mean[c]} for an 8-bit {@code v}, computed here from the reference
 * pixel and compared bit for bit. Each case runs through the job's own path
 * ({@link ImageDecoder#decode(byte[], ImageDecoder.Window)} with {@link Preprocessor#sourceWindow}, then
 * {@link Preprocessor#writeInto(DecodedImage, FloatBuffer, int)}), with each JPEG decoder.
 */
class PillowResampleTest {
    private static final String DIR = "/resize-reference/";

    /** One line of cases.json: {@code resize} or {@code cropPct} is set; {@code mean} null means zeros. */
    record Case(String name, String source, String color, int height, int width, String interpolation, Integer resize,
                Double cropPct, String cropMode, double[] mean, String expected) {
        @Override
        public String toString() {
            return name;
        }

        int channels() {
            return color.equals("grayscale") ? 1 : 3;
        }

        /** The case's preprocessing, scale 255 and std 1. */
        PreprocessSpec spec() {
            PreprocessSpec.Builder b = PreprocessSpec.builder().channels(channels()).size(height, width).color(color)
                    .interpolation(interpolation).cropMode(cropMode).scale(255f)
                    .mean(mean != null ? mean : new double[channels()]).std(ones(channels()));
            return (cropPct != null ? b.cropPct(cropPct) : b.resize(resize)).build();
        }
    }

    static List<Case> cases() {
        try (InputStream in = PillowResampleTest.class.getResourceAsStream(DIR + "cases.json")) {
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : new ObjectMapper().readTree(in)) {
                double[] mean = null;
                if (!c.get("mean").isNull()) {
                    mean = new double[c.get("mean").size()];
                    for (int i = 0; i < mean.length; i++) {
                        mean[i] = c.get("mean").get(i).asDouble();
                    }
                }
                cases.add(new Case(c.get("name").asText(), c.get("source").asText(), c.get("color").asText(),
                        c.get("height").asInt(), c.get("width").asInt(), c.get("interpolation").asText(),
                        c.get("resize").isNull() ? null : c.get("resize").asInt(),
                        c.get("crop_pct").isNull() ? null : c.get("crop_pct").asDouble(), c.get("crop_mode").asText(),
                        mean, c.get("expected").asText()));
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
    void equalsTorchvisionAndTimmOnPilImagesByteForByte(Case c, JpegDecoding jpeg) throws Exception {
        if (jpeg == JpegDecoding.AUTO) {
            assumeThat(TurboJpeg.available()).as("libturbojpeg installed").isPresent();
        }
        PreprocessSpec spec = c.spec();
        assertThat(spec.antialias()).as("the default").isTrue();
        float[] mean = spec.mean();

        float[] actual = preprocess(spec, bytes(c.source()), new ImageDecoder(new ImageGuard(), jpeg));
        int[] expected = pixels(ImageIO.read(PillowResampleTest.class.getResource(DIR + c.expected())), c.channels());

        int plane = c.height() * c.width();
        int mismatches = 0;
        String first = null;
        for (int i = 0; i < expected.length; i++) {
            int channel = i / plane;
            float want = (float) expected[i] / 255f - mean[channel];
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(want)) {
                mismatches++;
                if (first == null) {
                    first = String.format("channel %d, y %d, x %d: %s (pixel %d), reference pixel %d", channel,
                            i % plane / c.width(), i % c.width(), actual[i],
                            Math.round((actual[i] + mean[channel]) * 255f), expected[i]);
                }
            }
        }
        assertThat(mismatches).as("values unlike the reference's (first: %s)", first).isZero();
    }

    /** What antialias=false would have given the photo differs visibly: the reference is not passing by accident. */
    @Test
    void withoutAntialiasingThePhotoComesOutDifferent() throws Exception {
        Case c = cases().get(0);
        assertThat(c.name()).isEqualTo("photo-bilinear-256-224");
        PreprocessSpec spec = PreprocessSpec.builder().channels(3).size(224, 224).resize(256).scale(1f)
                .mean(0f, 0f, 0f).std(1f, 1f, 1f).antialias(false).build();
        float[] actual = preprocess(spec, bytes(c.source()), new ImageDecoder(new ImageGuard(), JpegDecoding.IMAGEIO));
        int[] expected = pixels(ImageIO.read(PillowResampleTest.class.getResource(DIR + c.expected())), 3);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs(Math.round(actual[i]) - expected[i]);
            sum += d;
            max = Math.max(max, d);
        }
        assertThat((double) sum / expected.length).as("mean absolute difference").isGreaterThan(1.0);
        assertThat(max).isGreaterThan(30);
    }

    @Test
    void upscalingOnlyTouchesNeighbours() {
        PillowResample.Taps taps = PillowResample.taps(PillowResample.Filter.BILINEAR, 4, 8, 0, 8);
        // output 3 of 4 -> 8 is centred on source 1.75: pixels 1 and 2, weights 3/4 and 1/4 of 2^22
        assertThat(taps.first()[3]).isEqualTo(1);
        assertThat(taps.count()[3]).isEqualTo(2);
        assertThat(taps.weights()[3 * taps.stride()]).isEqualTo(3 << 20);
        assertThat(taps.weights()[3 * taps.stride() + 1]).isEqualTo(1 << 20);
    }

    @Test
    void downscalingWidensTheFilterSoEverySourcePixelCounts() {
        // 12 -> 3 bilinear: the triangle is stretched 4x, so output 1 (centred on 6) reads source 2..9
        PillowResample.Taps taps = PillowResample.taps(PillowResample.Filter.BILINEAR, 12, 3, 0, 3);
        assertThat(taps.first()).containsExactly(0, 2, 6);
        assertThat(taps.count()).containsExactly(6, 8, 6);
        for (int i = 0; i < 3; i++) {
            int sum = 0;
            for (int t = 0; t < taps.count()[i]; t++) {
                sum += taps.weights()[i * taps.stride() + t];
            }
            assertThat(sum).as("output %d's weights sum to 1", i).isBetween((1 << 22) - 8, (1 << 22) + 8);
        }
    }

    @Test
    void theWindowCoversEveryTap() {
        CenterCrop crop = CenterCrop.of(512, 600, 256, 224, 224); // resized 256x300, crop at left 16, top 38
        int[] span = PillowResample.span(PillowResample.Filter.BICUBIC, 512, 600, crop.inside(224, 224));
        // a 2x downscale stretches bicubic's support from 2 to 4: crop column 16 is centred on source x = 33
        // and reads x = (int) (33 - 4 + 0.5) = 29 onwards; column 239, centred on 479, reads up to x = 482
        assertThat(span).containsExactly(29, 73, 482, 526);
    }

    /** The model input the job makes of the encoded image; every float of the buffer is overwritten first. */
    private static float[] preprocess(PreprocessSpec spec, byte[] encoded, ImageDecoder decoder) throws Exception {
        Preprocessor p = new Preprocessor(spec);
        FloatBuffer batch = p.newBatchBuffer(1);
        for (int i = 0; i < batch.capacity(); i++) {
            batch.put(i, Float.NaN);
        }
        p.writeInto(decoder.decode(encoded, p::sourceWindow), batch, 0);
        float[] values = new float[p.floatsPerImage()];
        batch.get(0, values);
        return values;
    }

    /** CHW ints of an RGB or gray PNG. */
    private static int[] pixels(BufferedImage image, int channels) {
        int h = image.getHeight();
        int w = image.getWidth();
        int[] out = new int[channels * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < channels; c++) {
                    out[c * h * w + y * w + x] = image.getRaster().getSample(x, y, c);
                }
            }
        }
        return out;
    }

    private static byte[] bytes(String resource) throws IOException {
        try (InputStream in = PillowResampleTest.class.getResourceAsStream(DIR + resource)) {
            return in.readAllBytes();
        }
    }

    private static float[] ones(int n) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, 1f);
        return f;
    }
}
