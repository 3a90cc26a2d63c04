package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.mlpstream.core.image.ImageRejectedException.Reason;
import io.mlpstream.testutils.TestImages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageGuardTest {
    /** A header check takes microseconds; this deadline only turns a hang (e.g. decoding the bomb) into a failure. */
    private static final Duration HANG = Duration.ofSeconds(60);

    private final ImageGuard guard = new ImageGuard();

    @Test
    void readsDimensionsOfPngAndJpegFromTheHeader() throws Exception {
        assertThat(guard.check(TestImages.png(TestImages.grayPattern(28, 17))))
                .isEqualTo(new ImageHeader(ImageFormat.PNG, 28, 17));
        assertThat(guard.check(TestImages.jpeg(TestImages.solid(40, 24, 1, 2, 3), 0.9f)))
                .isEqualTo(new ImageHeader(ImageFormat.JPEG, 40, 24));
    }

    @Test
    void refusesPngDeclaringTenBillionPixelsFromTheHeaderAlone() {
        byte[] png = TestImages.pngDeclaring(100_000, 100_000);
        assertThat(png).hasSizeLessThan(100);
        ImageRejectedException e = assertTimeoutPreemptively(HANG,
                () -> rejection(() -> guard.check(png)));
        assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_PIXELS);
        assertThat(e.reasonCode()).isEqualTo("too-many-pixels");
        assertThat(e).hasMessage("image declares 100000 x 100000 = 10000000000 pixels, above the limit of"
                + " 89478485 (image.max-pixels)");
    }

    @Test
    void refusesJpegWhoseSof0Declares60000Squared() {
        byte[] jpeg = TestImages.jpegDeclaring(60_000, 60_000);
        ImageRejectedException e = assertTimeoutPreemptively(HANG,
                () -> rejection(() -> guard.check(jpeg)));
        assertThat(e.reasonCode()).isEqualTo("too-many-pixels");
        assertThat(e).hasMessageContaining("60000 x 60000 = 3600000000 pixels");
    }

    @Test
    void decoderRefusesTheBombBeforeAllocatingPixels() {
        // decoding 60000 x 60000 x 3 bytes would need 10.8 GB; refusal must come first
        byte[] jpeg = TestImages.jpegDeclaring(60_000, 60_000);
        assertThatThrownBy(() -> new ImageDecoder().decode(jpeg))
                .isInstanceOfSatisfying(ImageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_PIXELS));
    }

    @Test
    void limitIsInclusive() throws Exception {
        ImageGuard hundred = new ImageGuard(100);
        assertThat(hundred.check(TestImages.pngDeclaring(10, 10)).pixels()).isEqualTo(100);
        assertThat(hundred.check(TestImages.pngDeclaring(1, 100)).pixels()).isEqualTo(100);
        assertThat(rejection(() -> hundred.check(TestImages.pngDeclaring(101, 1))))
                .hasMessage("image declares 101 x 1 = 101 pixels, above the limit of 100 (image.max-pixels)");
    }

    @Test
    void pixelCountUsesLongArithmetic() {
        // 65536 * 65536 overflows int to 0
        assertThat(rejection(() -> ImageGuard.checkDimensions(ImageFormat.PNG, 65_536, 65_536, 1_000)).reason())
                .isEqualTo(Reason.TOO_MANY_PIXELS);
    }

    @Test
    void nonPositiveDimensionsAreBadDimensions() {
        ImageRejectedException e = rejection(() -> ImageGuard.checkDimensions(ImageFormat.JPEG, 0, 5, 100));
        assertThat(e.reasonCode()).isEqualTo("bad-dimensions");
        assertThat(e).hasMessage("JPEG header declares 0 x 5; width and height must both be at least 1");
        assertThat(rejection(() -> ImageGuard.checkDimensions(ImageFormat.PNG, 3, -1, 100)).reason())
                .isEqualTo(Reason.BAD_DIMENSIONS);
    }

    @Test
    void pngDeclaringZeroWidthIsBadDimensionsThoughImageIoCallsItAnIoError() {
        ImageRejectedException e = rejection(() -> guard.check(TestImages.pngDeclaring(0, 5)));
        assertThat(e.reasonCode()).isEqualTo("bad-dimensions");
        assertThat(e).hasMessage("PNG header declares 0 x 5; width and height must both be at least 1");
        // IHDR widths are unsigned; 2^31 and above are invalid and read as negative
        assertThat(rejection(() -> guard.check(TestImages.pngDeclaring(-2, 5))).reason())
                .isEqualTo(Reason.BAD_DIMENSIONS);
    }

    @Test
    void refusesEmptyInput() {
        assertThat(rejection(() -> guard.check(new byte[0])).reasonCode()).isEqualTo("empty");
        assertThat(rejection(() -> guard.check(null)).reasonCode()).isEqualTo("empty");
    }

    @Test
    void refusesRandomBytes() {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        random[0] = 0x42; // keep clear of both signatures
        ImageRejectedException e = rejection(() -> guard.check(random));
        assertThat(e.reasonCode()).isEqualTo("unsupported-format");
        assertThat(e).hasMessageContaining("4096 bytes starting 42 ").hasMessageContaining("accepted formats are PNG");
    }

    @Test
    void refusesTextPosingAsJpeg() {
        byte[] text = "<html><body>this is image/jpeg, honest</body></html>".getBytes(StandardCharsets.UTF_8);
        ImageRejectedException e = rejection(() -> guard.check(text));
        assertThat(e.reasonCode()).isEqualTo("unsupported-format");
        assertThat(e).hasMessageContaining("looks like text");
    }

    @Test
    void namesOtherWellKnownFormats() {
        byte[] gif = "GIF89a\u0001\u0000\u0001\u0000".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(rejection(() -> guard.check(gif))).hasMessageContaining("looks like GIF")
                .hasMessageContaining("47 49 46 38 39 61");
    }

    @Test
    void jpegSignatureFollowedByGarbageIsCorrupt() {
        byte[] bytes = new byte[2048];
        new Random(7).nextBytes(bytes);
        bytes[0] = (byte) 0xFF;
        bytes[1] = (byte) 0xD8;
        bytes[2] = (byte) 0xFF;
        bytes[3] = (byte) 0x01; // not a marker that can start a JPEG
        assertThat(rejection(() -> guard.check(bytes)).reasonCode()).isEqualTo("corrupt");
    }

    @Test
    void pngCutInsideItsHeaderIsCorrupt() {
        byte[] png = Arrays.copyOf(TestImages.png(TestImages.grayPattern(8, 8)), 20);
        ImageRejectedException e = rejection(() -> guard.check(png));
        assertThat(e.reasonCode()).isEqualTo("corrupt");
        assertThat(e).hasMessageStartingWith("cannot read the PNG header (20 bytes)");
    }

    @Test
    void limitMustBePositive() {
        assertThatThrownBy(() -> new ImageGuard(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("image.max-pixels must be positive, got 0 (default 89478485)");
    }

    static ImageRejectedException rejection(ThrowingCall call) {
        try {
            call.run();
        } catch (ImageRejectedException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected ImageRejectedException, got " + e, e);
        }
        throw new AssertionError("expected ImageRejectedException, got none");
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }
}
