package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.mlpstream.testutils.TestImages;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.nio.FloatBuffer;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * TurboJPEG must give exactly ImageIO's pixels, so switching decoders never changes a result. The suite needs
 * libturbojpeg.so.0 (Debian package libturbojpeg0, which .ci/run installs).
 */
class TurboJpegTest {

    private final TurboJpeg turbo = TurboJpeg.available().orElseThrow(() -> new AssertionError(
            TurboJpeg.unavailableReason() + " (the test suite needs it: apt-get install libturbojpeg0, as .ci/run does)"));
    private final ImageGuard guard = new ImageGuard();

    @Test
    void colourJpegsDecodeToImageIosBytes() throws Exception {
        for (int[] size : new int[][] {{640, 480}, {33, 17}, {1, 1}, {17, 301}}) {
            for (float quality : new float[] {0.5f, 0.9f, 1.0f}) {
                byte[] jpeg = TestImages.jpeg(scene(size[0], size[1]), quality);
                assertSameAsImageIo(jpeg, size[0] + "x" + size[1] + " q" + quality);
            }
        }
    }

    @Test
    void greyAndProgressiveJpegsDecodeToImageIosBytes() throws Exception {
        BufferedImage grey = TestImages.grayPattern(97, 45);
        BufferedImage decoded = assertSameAsImageIo(TestImages.jpeg(grey, 0.9f), "grey");
        assertThat(decoded.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        assertSameAsImageIo(TestImages.progressiveJpeg(scene(200, 150)), "progressive colour");
        assertSameAsImageIo(TestImages.progressiveJpeg(grey), "progressive grey");
    }

    @Test
    void cmykAndYcckJpegsAreDecodedHereToTheImageIoPathsBytes() throws Exception {
        ImageDecoder imageIo = new ImageDecoder(new ImageGuard(), JpegDecoding.IMAGEIO);
        for (String name : new String[] {"cmyk-adobe.jpg", "cmyk-no-adobe.jpg", "cmyk-progressive.jpg", "ycck-420.jpg",
                "ycck-444.jpg"}) {
            byte[] jpeg = PillowDecodeTest.bytes(name);
            BufferedImage fast = turbo.decode(jpeg, guard);
            assertThat(fast).as(name + ": TurboJPEG decodes it, no fallback").isNotNull();
            assertThat(bytes(fast)).as(name).isEqualTo(bytes(imageIo.decode(jpeg)));
        }
        // an Adobe transform of 1 on four channels: libjpeg warns (and reads YCCK), so the ImageIO path reads it
        assertThat(turbo.decode(PillowDecodeTest.bytes("ycck-transform-1.jpg"), guard)).isNull();
    }

    @Test
    void theModelInputIsIdenticalWhicheverDecoderRan() throws Exception {
        // ImageIO decodes only the crop's window, TurboJPEG the whole image: the tensor must not change by a bit
        Preprocessor pre = new Preprocessor(PreprocessSpec.builder().channels(3).size(224, 224).resize(256)
                .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build());
        ImageDecoder imageIo = new ImageDecoder(new ImageGuard(), JpegDecoding.IMAGEIO);
        ImageDecoder fast = new ImageDecoder(new ImageGuard(), JpegDecoding.TURBOJPEG);
        byte[] jpeg = TestImages.jpeg(scene(640, 480), 0.9f);
        FloatBuffer a = pre.newBatchBuffer(1);
        FloatBuffer b = pre.newBatchBuffer(1);
        DecodedImage window = imageIo.decode(jpeg, pre::sourceWindow);
        DecodedImage whole = fast.decode(jpeg, pre::sourceWindow);
        assertThat(window.isWhole()).as("ImageIO decoded a window").isFalse();
        assertThat(whole.isWhole()).isTrue();
        pre.writeInto(window, a, 0);
        pre.writeInto(whole, b, 0);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void whatItCannotDecodeCleanlyIsLeftToImageIo() throws Exception {
        byte[] jpeg = TestImages.jpeg(scene(64, 64), 0.95f);
        // truncated: libjpeg-turbo fills the rest with grey and only warns
        assertThat(turbo.decode(Arrays.copyOf(jpeg, jpeg.length / 2), guard)).isNull();
        // not a JPEG at all
        assertThat(turbo.decode(TestImages.png(scene(8, 8)), guard)).isNull();
        byte[] scrambled = jpeg.clone();
        for (int i = jpeg.length / 3; i < jpeg.length - 2; i += 5) {
            scrambled[i] ^= (byte) 0x5A;
        }
        assertThat(turbo.decode(scrambled, guard)).isNull();
    }

    @Test
    void thePixelLimitComesBeforeAnyPixel() {
        byte[] bomb = TestImages.jpegDeclaring(60_000, 60_000);
        ImageRejectedException e = ImageGuardTest.rejection(() -> turbo.decode(bomb, guard));
        assertThat(e.reasonCode()).isEqualTo("too-many-pixels");
    }

    private BufferedImage assertSameAsImageIo(byte[] jpeg, String what) throws Exception {
        BufferedImage expected = ImageIO.read(new ByteArrayInputStream(jpeg));
        BufferedImage actual = turbo.decode(jpeg, guard);
        assertThat(actual).as(what).isNotNull();
        assertThat(actual.getType()).as(what).isEqualTo(expected.getType());
        assertThat(actual.getWidth()).as(what).isEqualTo(expected.getWidth());
        assertThat(actual.getHeight()).as(what).isEqualTo(expected.getHeight());
        assertThat(bytes(actual)).as(what).isEqualTo(bytes(expected));
        return actual;
    }

    private static byte[] bytes(BufferedImage img) {
        return ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    }

    /** Gradients, edges and noise: every part of the decoder has work to do. */
    private static BufferedImage scene(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random random = new java.util.Random(w * 31L + h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 255 / w + random.nextInt(24)) & 0xFF;
                int g = ((x / 16 + y / 16) % 2 == 0 ? 200 : 40) + random.nextInt(16);
                int b = (y * 255 / h) & 0xFF;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }
}
