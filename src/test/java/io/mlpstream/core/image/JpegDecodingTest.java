package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * What {@code image.jpeg-decoder} does on a machine without libturbojpeg, tested here by loading a library name that
 * does not exist: {@code auto} and {@code imageio} decode with ImageIO, {@code turbojpeg} refuses with one line that
 * says what to install.
 */
class JpegDecodingTest {

    @Test
    void withoutLibturbojpegAutoFallsBackToImageIoAndTurbojpegRefusesWithOneLine() {
        TurboJpeg.Loaded missing = TurboJpeg.load("turbojpeg-not-installed");
        assertThat(missing.decoder()).isNull();
        System.out.println("reason: " + missing.reason());
        assertThat(missing.reason()).doesNotContain("\n")
                .startsWith("libturbojpeg (2.0 or later) could not be loaded (Unable to load library 'turbojpeg-not-installed'")
                .endsWith("install libturbojpeg0 (Debian/Ubuntu) or libjpeg-turbo (RHEL/Fedora) on every TaskManager");
        assertThat(JpegDecoding.AUTO.resolve(missing)).as("auto: ImageIO").isNull();
        assertThat(JpegDecoding.IMAGEIO.resolve(missing)).isNull();
        assertThatThrownBy(() -> JpegDecoding.TURBOJPEG.resolve(missing))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("image.jpeg-decoder=turbojpeg, but " + missing.reason() + " (or set image.jpeg-decoder=auto)");
    }

    @Test
    void withLibturbojpegAutoAndTurbojpegUseIt() {
        TurboJpeg.Loaded loaded = TurboJpeg.LOADED;
        assertThat(loaded.decoder()).as("libturbojpeg0 is installed for the suite (.ci/run): %s", loaded.reason()).isNotNull();
        assertThat(JpegDecoding.AUTO.resolve(loaded)).isSameAs(loaded.decoder());
        assertThat(JpegDecoding.TURBOJPEG.resolve(loaded)).isSameAs(loaded.decoder());
        assertThat(JpegDecoding.IMAGEIO.resolve(loaded)).isNull();
    }

    @Test
    void parsesTheOptionInAnyCaseAndNamesTheChoicesOtherwise() {
        assertThat(JpegDecoding.parse(" TurboJPEG ")).isEqualTo(JpegDecoding.TURBOJPEG);
        assertThat(JpegDecoding.parse("auto")).isEqualTo(JpegDecoding.AUTO);
        assertThatThrownBy(() -> JpegDecoding.parse("libjpeg"))
                .hasMessage("'libjpeg' is not a JPEG decoder: use auto, turbojpeg or imageio");
    }
}
