package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.mlpstream.testutils.TestImages;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class PreprocessorTest {

    private static final float MNIST_MEAN = 0.1307f;
    private static final float MNIST_STD = 0.3081f;

    // ImageIO: the only decoder that decodes a window (TurboJpegTest checks the other gives the same tensor)
    private final ImageDecoder decoder = new ImageDecoder(new ImageGuard(), JpegDecoding.IMAGEIO);

    private static PreprocessSpec mnist() {
        return PreprocessSpec.builder().channels(1).color("grayscale").size(28, 28)
                .mean(MNIST_MEAN).std(MNIST_STD).build();
    }

    private static float normalized(int pixel, float mean, float std) {
        return ((float) pixel / 255f - mean) / std;
    }

    @Test
    void grayPngRoundTripIsExactForEveryPixel() throws Exception {
        BufferedImage img = decoder.decode(TestImages.png(TestImages.grayPattern(28, 28)));
        Preprocessor pre = new Preprocessor(mnist());
        FloatBuffer batch = pre.newBatchBuffer(1);

        pre.writeInto(img, batch, 0);

        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                assertThat(batch.get(y * 28 + x)).as("pixel (%d, %d)", x, y)
                        .isEqualTo(normalized(TestImages.grayPatternAt(x, y), MNIST_MEAN, MNIST_STD));
            }
        }
        // one value pinned by hand: pixel (11, 0) is 77, and numpy float32 (77 / 255 - 0.1307) / 0.3081 = 0.55586106
        assertThat(TestImages.grayPatternAt(11, 0)).isEqualTo(77);
        assertThat(batch.get(11)).isEqualTo(0.55586106f);
    }

    @Test
    void rgbJpegHasShapeAndSaneValues() throws Exception {
        // four 16x16 quadrants, aligned to JPEG's 16x16 MCUs so colours survive compression closely
        BufferedImage src = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        int[][] colours = {{200, 30, 40}, {20, 180, 60}, {30, 40, 220}, {250, 250, 250}};
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int[] c = colours[(y / 16) * 2 + x / 16];
                src.setRGB(x, y, (c[0] << 16) | (c[1] << 8) | c[2]);
            }
        }
        BufferedImage img = decoder.decode(TestImages.jpeg(src, 0.95f));
        PreprocessSpec spec = PreprocessSpec.builder().channels(3).size(32, 32)
                .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build();
        Preprocessor pre = new Preprocessor(spec);
        FloatBuffer batch = pre.newBatchBuffer(1);
        assertThat(batch.capacity()).isEqualTo(3 * 32 * 32);

        pre.writeInto(img, batch, 0);

        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        for (int q = 0; q < 4; q++) {
            int x = (q % 2) * 16 + 8;
            int y = (q / 2) * 16 + 8;
            for (int c = 0; c < 3; c++) {
                assertThat(batch.get(c * 1024 + y * 32 + x)).as("quadrant %d channel %d", q, c)
                        .isCloseTo(normalized(colours[q][c], mean[c], std[c]), within(4f / 255f / std[c]));
            }
        }
    }

    void decodingOnlyTheCropsSourceWindowGivesExactlyTheSameTensorAsAWholeDecode() throws Exception {
        PreprocessSpec imagenet = PreprocessSpec.builder().channels(3).size(224, 224).resize(256)
                .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build();
        Preprocessor pre = new Preprocessor(imagenet);
        java.util.Random random = new java.util.Random(7);
        // landscape, portrait, odd sizes, nearly the crop size, and one the resize upsamples
        int[][] sizes = {{640, 480}, {480, 640}, {333, 517}, {1001, 257}, {260, 260}, {200, 150}};
        for (int[] size : sizes) {
            BufferedImage src = new BufferedImage(size[0], size[1], BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < size[1]; y++) {
                for (int x = 0; x < size[0]; x++) {
                    src.setRGB(x, y, ((x * 255 / size[0]) << 16) | ((y * 255 / size[1]) << 8) | random.nextInt(256));
                }
            }
            byte[] jpeg = TestImages.jpeg(src, 0.9f);
            DecodedImage window = decoder.decode(jpeg, pre::sourceWindow);
            FloatBuffer fromWindow = pre.newBatchBuffer(1);
            FloatBuffer fromWhole = pre.newBatchBuffer(1);
            pre.writeInto(window, fromWindow, 0);
            pre.writeInto(decoder.decode(jpeg), fromWhole, 0);
            if (size[0] == 640) {
                assertThat(window.isWhole()).as("a 640 x 480 photo needs only its middle columns").isFalse();
                assertThat(window.pixels().getWidth()).isLessThan(480);
                assertThat(window.top() + window.pixels().getHeight()).as("the window runs to the bottom row").isEqualTo(480);
            }
            for (int i = 0; i < fromWhole.capacity(); i++) {
                if (Float.floatToRawIntBits(fromWindow.get(i)) != Float.floatToRawIntBits(fromWhole.get(i))) {
                    throw new AssertionError(String.format("%d x %d: float %d differs: window %s, whole %s",
                            size[0], size[1], i, fromWindow.get(i), fromWhole.get(i)));
                }
            }
        }
    }

    @Test
    void bilinearWithoutAntialiasingEqualsTheDocumentedFormulaPixelByPixelBitForBit() {
        PreprocessSpec imagenet = PreprocessSpec.builder().channels(3).size(224, 224).resize(256).antialias(false)
                .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build();
        Preprocessor pre = new Preprocessor(imagenet);
        java.util.Random random = new java.util.Random(11);
        int[][] sizes = {{640, 480}, {480, 640}, {333, 517}, {1001, 257}, {200, 150}};
        for (int[] size : sizes) {
            int w = size[0];
            int h = size[1];
            BufferedImage src = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    src.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            FloatBuffer fused = pre.newBatchBuffer(2);
            pre.writeInto(src, fused, 1);
            CenterCrop crop = CenterCrop.of(w, h, 256, 224, 224);
            float[] mean = {0.485f, 0.456f, 0.406f};
            float[] std = {0.229f, 0.224f, 0.225f};
            for (int c = 0; c < 3; c++) {
                for (int oy = 0; oy < 224; oy++) {
                    double sy = clampedSource(h, crop.resizedHeight(), crop.top(), oy);
                    for (int ox = 0; ox < 224; ox++) {
                        double sx = clampedSource(w, crop.resizedWidth(), crop.left(), ox);
                        int x0 = (int) sx;
                        int y0 = (int) sy;
                        int x1 = Math.min(x0 + 1, w - 1);
                        int y1 = Math.min(y0 + 1, h - 1);
                        float wx = (float) (sx - x0);
                        float wy = (float) (sy - y0);
                        int band = c; // raster bands of TYPE_3BYTE_BGR read as R, G, B
                        int tl = src.getRaster().getSample(x0, y0, band);
                        int tr = src.getRaster().getSample(x1, y0, band);
                        int bl = src.getRaster().getSample(x0, y1, band);
                        int br = src.getRaster().getSample(x1, y1, band);
                        float top = tl + wx * (tr - tl);
                        float bottom = bl + wx * (br - bl);
                        int v = (int) (top + wy * (bottom - top) + 0.5f);
                        float expected = ((float) v / 255f - mean[c]) / std[c];
                        int i = 3 * 224 * 224 + c * 224 * 224 + oy * 224 + ox;
                        if (Float.floatToRawIntBits(fused.get(i)) != Float.floatToRawIntBits(expected)) {
                            throw new AssertionError(String.format("%d x %d, channel %d, (%d, %d): fused %s, formula %s",
                                    w, h, c, ox, oy, fused.get(i), expected));
                        }
                    }
                }
            }
            assertThat(fused.get(0)).as("slot 0 untouched").isZero();
        }
    }

    /** {@code (o + cropStart + 0.5) * src / resized - 0.5}, clamped to [0, src - 1], as BilinearCrop documents. */
    private static double clampedSource(int src, int resized, int cropStart, int o) {
        double s = (o + cropStart + 0.5) * ((double) src / resized) - 0.5;
        return s < 0 ? 0 : (int) s >= src - 1 ? src - 1 : s;
    }

    @Test
    void aWindowIsOnlyForTheFusedPaths() {
        PreprocessSpec pillowBicubic = PreprocessSpec.builder().channels(3).size(224, 224).resize(256).interpolation("bicubic")
                .mean(0.5f, 0.5f, 0.5f).std(0.5f, 0.5f, 0.5f).build();
        // 640 x 480 -> 341 x 256, crop from (58, 16): bicubic's support, stretched 1.88x, reaches ~3 source pixels out
        assertThat(new Preprocessor(pillowBicubic).sourceWindow(640, 480)).isEqualTo(new java.awt.Rectangle(106, 27, 426, 426));
        PreprocessSpec bicubic = pillowBicubic.toBuilder().antialias(false).build();
        assertThat(new Preprocessor(bicubic).sourceWindow(640, 480)).as("Java2D's bicubic reads it all").isNull();
        assertThat(new Preprocessor(mnist()).sourceWindow(28, 28)).as("not resampled: read as it is").isNull();
        BufferedImage part = new BufferedImage(10, 10, BufferedImage.TYPE_3BYTE_BGR);
        assertThatThrownBy(() -> new Preprocessor(bicubic).writeInto(new DecodedImage(part, 640, 480, 5, 5),
                new Preprocessor(bicubic).newBatchBuffer(1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole image");
    }

    @Test
    void resizesShorterSideThenCropsTheCenter() {
        // 60 x 30: left half black, right half white; a 3-pixel red stripe at x 0..2, a green one at 57..59
        BufferedImage src = new BufferedImage(60, 30, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 60; x++) {
                int rgb = x < 3 ? 0xFF0000 : x >= 57 ? 0x00FF00 : x < 30 ? 0x000000 : 0xFFFFFF;
                src.setRGB(x, y, rgb);
            }
        }
        // resize shorter side 30 -> 10: 20 x 10; crop 10 x 10 from left = 5: stripes cropped away
        PreprocessSpec spec = PreprocessSpec.builder().channels(3).size(10, 10).resize(10)
                .interpolation("nearest").build();
        Preprocessor pre = new Preprocessor(spec);
        FloatBuffer batch = pre.newBatchBuffer(1);

        pre.writeInto(src, batch, 0);

        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 10; y++) {
                for (int x = 0; x < 10; x++) {
                    assertThat(batch.get(c * 100 + y * 10 + x)).as("c %d (%d, %d)", c, x, y)
                            .isEqualTo(x < 5 ? 0f : 1f);
                }
            }
        }
    }

    @Test
    void cropGeometryFollowsTorchvision() {
        // shorter side to 256, longer = int(256 * 500 / 375) = 341; left = round(117 / 2) = 58 (half to even)
        assertThat(CenterCrop.of(500, 375, 256, 224, 224)).isEqualTo(new CenterCrop(341, 256, 58, 16));
        // portrait: 256 x int(256 * 333 / 250) = 340, top = round(116 / 2) = 58
        assertThat(CenterCrop.of(250, 333, 256, 224, 224)).isEqualTo(new CenterCrop(256, 340, 16, 58));
        // round(0.5) = 0 and round(2.5) = 2 in Python, not 1 and 3
        assertThat(CenterCrop.of(29, 28, 28, 28, 28).left()).isEqualTo(0);
        assertThat(CenterCrop.of(33, 28, 28, 28, 28).left()).isEqualTo(2);
        assertThat(CenterCrop.of(28, 28, 28, 28, 28).resamples(28, 28)).isFalse();
        assertThat(CenterCrop.of(224, 224, 256, 224, 224).resamples(224, 224)).isTrue();
    }

    @Test
    void imageOfExactlyTheInputSizeIsNotResampled() {
        // a checkerboard would be blurred by any bilinear resampling
        BufferedImage board = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                board.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 255 : 0);
            }
        }
        Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(1).color("grayscale").size(8, 8)
                .build());
        FloatBuffer batch = pre.newBatchBuffer(1);
        pre.writeInto(board, batch, 0);
        for (int i = 0; i < 64; i++) {
            assertThat(batch.get(i)).isEqualTo(((i / 8) + (i % 8)) % 2 == 0 ? 1f : 0f);
        }
    }

    @Test
    void grayResizeKeepsGrayLevels() {
        // Java2D must not apply the linear-to-sRGB gamma of the grey colour model while scaling
        BufferedImage flat = new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 40; x++) {
                flat.getRaster().setSample(x, y, 0, 100);
            }
        }
        for (String interpolation : new String[] {"nearest", "bilinear", "bicubic", "box", "hamming", "lanczos"}) {
            Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(3).color("grayscale")
                    .size(16, 16).interpolation(interpolation).build());
            FloatBuffer batch = pre.newBatchBuffer(1);
            pre.writeInto(flat, batch, 0);
            for (int i = 0; i < 3 * 256; i++) {
                assertThat(batch.get(i)).as("%s float %d", interpolation, i).isEqualTo(100f / 255f);
            }
        }
    }

    @Test
    void grayscaleFromRgbMatchesPillowsConvertL() {
        int[][] cases = {
            {255, 0, 0, 76}, {0, 255, 0, 150}, {0, 0, 255, 29}, {10, 200, 30, 124}, {128, 64, 192, 98},
            {255, 255, 255, 255}, {0, 0, 0, 0},
        };
        Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(1).color("grayscale").size(2, 2)
                .scale(1f).build());
        FloatBuffer batch = pre.newBatchBuffer(1);
        for (int[] c : cases) {
            // both the BGR fast path and the getRGB path (TYPE_INT_RGB)
            BufferedImage bgr = TestImages.solid(2, 2, c[0], c[1], c[2]);
            BufferedImage intRgb = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
            intRgb.createGraphics().drawImage(bgr, 0, 0, null);
            for (BufferedImage img : new BufferedImage[] {bgr, intRgb}) {
                pre.writeInto(img, batch, 0);
                assertThat(batch.get(3)).as("L of (%d, %d, %d), image type %d", c[0], c[1], c[2], img.getType())
                        .isEqualTo((float) c[3]);
            }
        }
        assertThat(PixelConversion.luma(0, 255, 0)).isEqualTo(150); // (R*299 + G*587 + B*114) / 1000 gives 149
    }

    @Test
    void grayImageIntoRgbSpecReplicatesTheChannel() {
        Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(3).size(4, 4).scale(1f)
                .mean(0f, 1f, 2f).build());
        FloatBuffer batch = pre.newBatchBuffer(1);
        pre.writeInto(TestImages.grayPattern(4, 4), batch, 0);
        int p = TestImages.grayPatternAt(3, 2);
        assertThat(batch.get(2 * 4 + 3)).isEqualTo(p);
        assertThat(batch.get(16 + 2 * 4 + 3)).isEqualTo(p - 1f);
        assertThat(batch.get(32 + 2 * 4 + 3)).isEqualTo(p - 2f);
    }

    @Test
    void slotsDoNotOverlapAndPositionIsUntouched() {
        Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(3).size(2, 3).scale(1f).build());
        int n = pre.floatsPerImage();
        assertThat(n).isEqualTo(18);
        FloatBuffer batch = pre.newBatchBuffer(3);
        for (int i = 0; i < batch.capacity(); i++) {
            batch.put(i, -1f);
        }
        batch.position(5);

        pre.writeInto(TestImages.solid(3, 2, 10, 20, 30), batch, 1);

        assertThat(batch.position()).isEqualTo(5);
        assertThat(batch.limit()).isEqualTo(54);
        for (int i = 0; i < batch.capacity(); i++) {
            float expected = i < n || i >= 2 * n ? -1f : (i - n) < 6 ? 10f : (i - n) < 12 ? 20f : 30f;
            assertThat(batch.get(i)).as("float %d", i).isEqualTo(expected);
        }
        assertThatThrownBy(() -> pre.writeInto(TestImages.solid(3, 2, 1, 2, 3), batch, 3))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("slot 3 needs floats [54, 72) but the batch buffer's limit is 54 (room for slots 0..2)");
        assertThatThrownBy(() -> pre.writeInto(TestImages.solid(3, 2, 1, 2, 3), batch, -1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void sixteenBitGrayUsesTheHighByte() throws Exception {
        BufferedImage img = decoder.decode(TestImages.png(TestImages.gray16(28, 28, 0xABCD)));
        Preprocessor pre = new Preprocessor(mnist());
        FloatBuffer batch = pre.newBatchBuffer(1);
        pre.writeInto(img, batch, 0);
        for (int i = 0; i < 784; i++) {
            assertThat(batch.get(i)).isEqualTo(normalized(0xAB, MNIST_MEAN, MNIST_STD));
        }
    }

    @Test
    void grayAlphaPngDropsAlphaAndKeepsGrayExact() throws Exception {
        // getRGB would return gamma-brightened values for this grey colour model; alpha 0 pixels keep their grey
        BufferedImage img = decoder.decode(TestImages.png(TestImages.grayAlpha(28, 28)));
        for (PreprocessSpec spec : new PreprocessSpec[] {mnist(),
                PreprocessSpec.builder().channels(3).size(28, 28).build()}) {
            Preprocessor pre = new Preprocessor(spec);
            FloatBuffer batch = pre.newBatchBuffer(1);
            pre.writeInto(img, batch, 0);
            for (int c = 0; c < spec.channels(); c++) {
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int p = TestImages.grayPatternAt(x, y);
                        float expected = spec.channels() == 1 ? normalized(p, MNIST_MEAN, MNIST_STD) : p / 255f;
                        assertThat(batch.get(c * 784 + y * 28 + x)).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void subImagesAreReadAtTheirOffset() {
        BufferedImage big = TestImages.grayPattern(20, 20);
        BufferedImage sub = big.getSubimage(5, 7, 4, 4);
        Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(1).color("grayscale").size(4, 4)
                .scale(1f).build());
        FloatBuffer batch = pre.newBatchBuffer(1);
        pre.writeInto(sub, batch, 0);
        assertThat(batch.get(0)).isEqualTo(TestImages.grayPatternAt(5, 7));
        assertThat(batch.get(15)).isEqualTo(TestImages.grayPatternAt(8, 10));
    }
}
