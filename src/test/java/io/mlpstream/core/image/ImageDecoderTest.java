package io.mlpstream.core.image;

import static io.mlpstream.core.image.ImageGuardTest.rejection;
import static org.assertj.core.api.Assertions.assertThat;

import io.mlpstream.testutils.TestImages;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every case runs with each JPEG decoder ({@link ImageDecoderWithImageIoTest}, {@link ImageDecoderWithTurboJpegTest}):
 * verdicts and messages must not depend on which one decodes.
 */
abstract class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(new ImageGuard(), decoding());

    abstract JpegDecoding decoding();

    @Test
    void decodesGrayPngExactly() throws Exception {
        BufferedImage img = decoder.decode(TestImages.png(TestImages.grayPattern(28, 28)));
        assertThat(img.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        assertThat(img.getRaster().getSample(5, 9, 0)).isEqualTo(TestImages.grayPatternAt(5, 9));
    }

    @Test
    void jpegLargerThanThePixelLimitIsRefusedFromTheHeader() {
        ImageRejectedException e = rejection(() -> decoder.decode(TestImages.jpegDeclaring(60_000, 60_000)));
        assertThat(e.reasonCode()).isEqualTo("too-many-pixels");
        assertThat(e).hasMessage("image declares 60000 x 60000 = 3600000000 pixels, above the limit of 89478485 (image.max-pixels)");
    }

    @Test
    void pngCutInHalfIsCorrupt() {
        byte[] png = TestImages.firstHalf(TestImages.png(TestImages.grayPattern(64, 64)));
        ImageRejectedException e = rejection(() -> decoder.decode(png));
        assertThat(e.reasonCode()).isEqualTo("corrupt");
        assertThat(e).hasMessageStartingWith("cannot decode PNG 64 x 64 (");
    }

    @Test
    void jpegCutInHalfIsCorruptThoughImageIoOnlyWarns() {
        byte[] jpeg = TestImages.firstHalf(TestImages.jpeg(noise(64, 64), 0.95f));
        ImageRejectedException e = rejection(() -> decoder.decode(jpeg));
        assertThat(e.reasonCode()).isEqualTo("corrupt");
        assertThat(e).hasMessageContaining("JPEG 64 x 64");
    }

    @Test
    void aWindowedDecodeStillRefusesAJpegTruncatedBelowTheWindow() {
        byte[] jpeg = TestImages.jpeg(noise(256, 256), 0.95f);
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length * 9 / 10); // scan data of the last rows missing
        ImageRejectedException e = rejection(() -> decoder.decode(cut, (w, h) -> new java.awt.Rectangle(64, 0, 128, 64)));
        assertThat(e.reasonCode()).isEqualTo("corrupt");
    }

    @Test
    void windowsRunToTheBottomRowAndCoverNothingOutsideTheImage() {
        assertThat(ImageDecoder.regionToBottom(new java.awt.Rectangle(10, 20, 30, 40), 100, 80))
                .isEqualTo(new java.awt.Rectangle(10, 20, 30, 60));
        assertThat(ImageDecoder.regionToBottom(new java.awt.Rectangle(-5, -5, 500, 500), 100, 80)).as("all of it").isNull();
        assertThat(ImageDecoder.regionToBottom(new java.awt.Rectangle(200, 0, 10, 10), 100, 80)).as("outside: all").isNull();
        assertThat(ImageDecoder.regionToBottom(null, 100, 80)).isNull();
    }

    @Test
    void jpegMissingOnlyItsEoiMarkerStillDecodes() throws Exception {
        // ImageIO warns "Truncated File - Missing EOI marker", but every scanline is there; Pillow accepts it too
        byte[] jpeg = TestImages.jpeg(TestImages.solid(16, 16, 10, 20, 30), 0.95f);
        byte[] withoutEoi = Arrays.copyOf(jpeg, jpeg.length - 2);
        BufferedImage img = decoder.decode(withoutEoi);
        assertThat(img.getWidth()).isEqualTo(16);
        assertThat(img.getRaster().getSample(8, 8, 0)).isCloseTo(10, org.assertj.core.api.Assertions.within(3));
    }

    @Test
    void pngWithScrambledDataIsCorruptNotARuntimeException() {
        byte[] png = TestImages.png(noise(32, 32));
        for (int i = 60; i < png.length - 20; i += 3) {
            png[i] ^= (byte) 0x5A;
        }
        assertThat(rejection(() -> decoder.decode(png)).reasonCode()).isEqualTo("corrupt");
    }

    @Test
    void jpegWithScrambledDataNeverLeaksARawException() {
        byte[] jpeg = TestImages.jpeg(noise(32, 32), 0.9f);
        for (int cut = 4; cut < jpeg.length; cut += 37) {
            byte[] damaged = Arrays.copyOf(jpeg, cut);
            try {
                decoder.decode(damaged);
            } catch (ImageRejectedException expected) {
                // fine: any reason
            } catch (Exception | AssertionError e) {
                throw new AssertionError("cut at " + cut + " leaked " + e, e);
            }
        }
    }

    @Test
    void decodes16BitGrayAndGrayAlphaPngs() throws Exception {
        BufferedImage deep = decoder.decode(TestImages.png(TestImages.gray16(4, 3, 0xABCD)));
        assertThat(deep.getType()).isEqualTo(BufferedImage.TYPE_USHORT_GRAY);
        assertThat(deep.getRaster().getSample(3, 2, 0)).isEqualTo(0xABCD);

        BufferedImage grayAlpha = decoder.decode(TestImages.png(TestImages.grayAlpha(5, 4)));
        assertThat(grayAlpha.getRaster().getNumBands()).isEqualTo(2);
        assertThat(grayAlpha.getRaster().getSample(4, 3, 0)).isEqualTo(TestImages.grayPatternAt(4, 3));
        assertThat(grayAlpha.getRaster().getSample(4, 3, 1)).isEqualTo(36);
    }

    @Test
    void aCmykJpegCutShortIsCorruptAndOneDeclaringTooManyPixelsIsRefusedFromItsHeader() throws Exception {
        for (String name : new String[] {"cmyk-adobe.jpg", "ycck-420.jpg"}) {
            byte[] jpeg = PillowDecodeTest.bytes(name);
            ImageRejectedException cut = rejection(() -> decoder.decode(Arrays.copyOf(jpeg, jpeg.length * 2 / 3)));
            assertThat(cut.reasonCode()).as(name).isEqualTo("corrupt");
            assertThat(cut).hasMessageContaining("JPEG 75 x 61");
            byte[] bomb = declaring(jpeg, 60_000, 60_000);
            for (PreprocessSpec.ExifOrientation exif : PreprocessSpec.ExifOrientation.values()) {
                ImageRejectedException e = rejection(() -> decoder.decode(bomb, null, exif));
                assertThat(e.reasonCode()).as(name).isEqualTo("too-many-pixels");
            }
        }
    }

    @Test
    void anUprightImageIsStillRefusedFromItsHeaderWhenItDeclaresTooManyPixels() throws Exception {
        byte[] bomb = declaring(PillowDecodeTest.bytes("exif-6.jpg"), 60_000, 60_000);
        ImageRejectedException e = rejection(() -> decoder.decode(bomb, null, PreprocessSpec.ExifOrientation.APPLY));
        assertThat(e.reasonCode()).isEqualTo("too-many-pixels");
    }

    /** {@code jpeg} with its frame header declaring another size (the scan data left as it is). */
    static byte[] declaring(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        int at = 2;
        while ((out[at + 1] & 0xFF) < 0xC0 || (out[at + 1] & 0xFF) > 0xC2) {
            at += 2 + (((out[at + 2] & 0xFF) << 8) | (out[at + 3] & 0xFF));
        }
        out[at + 5] = (byte) (height >> 8);
        out[at + 6] = (byte) height;
        out[at + 7] = (byte) (width >> 8);
        out[at + 8] = (byte) width;
        return out;
    }

    static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random random = new java.util.Random(1);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return img;
    }
}
