package io.mlpstream.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PreprocessSpecTest {

    static PreprocessSpec.Builder imagenet() {
        return PreprocessSpec.builder().channels(3).size(224, 224).resize(256).color("rgb")
                .interpolation("bicubic").mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f);
    }

    @Test
    void buildsWithDefaultsAndCountsFloats() {
        PreprocessSpec spec = PreprocessSpec.builder().channels(1).color("grayscale").size(28, 28).build();
        assertThat(spec.resize()).isEqualTo(28);
        assertThat(spec.interpolation()).isEqualTo(PreprocessSpec.Interpolation.BILINEAR);
        assertThat(spec.scale()).isEqualTo(255f);
        assertThat(spec.mean()).containsExactly(0f);
        assertThat(spec.std()).containsExactly(1f);
        assertThat(spec.layout()).isEqualTo(PreprocessSpec.Layout.NCHW);
        assertThat(spec.exifOrientation()).as("as torchvision's PIL loading").isEqualTo(PreprocessSpec.ExifOrientation.IGNORE);
        assertThat(spec.floatsPerImage()).isEqualTo(784);
        assertThat(imagenet().build().floatsPerImage()).isEqualTo(3 * 224 * 224);
    }

    @Test
    void isImmutableAndComparedByValue() {
        float[] mean = {0.5f, 0.5f, 0.5f};
        PreprocessSpec spec = imagenet().mean(mean).build();
        mean[0] = 9f;
        spec.mean()[1] = 9f;
        assertThat(spec.mean()).containsExactly(0.5f, 0.5f, 0.5f);
        assertThat(spec).isEqualTo(imagenet().mean(0.5f, 0.5f, 0.5f).build())
                .hasSameHashCodeAs(imagenet().mean(0.5f, 0.5f, 0.5f).build())
                .isNotEqualTo(imagenet().build())
                .isEqualTo(spec.toBuilder().build());
        PreprocessSpec upright = spec.toBuilder().exifOrientation("apply").build();
        assertThat(upright).isNotEqualTo(spec).isEqualTo(upright.toBuilder().build());
        assertThat(upright.exifOrientation()).isEqualTo(PreprocessSpec.ExifOrientation.APPLY);
    }

    @Test
    void messagesNameTheBadValue() {
        assertThatThrownBy(() -> imagenet().channels(4).build()).hasMessage("channels must be 1 or 3, got 4");
        assertThatThrownBy(() -> imagenet().channels(1).mean(0f).std(1f).build())
                .hasMessage("channels = 1 needs color \"grayscale\", got \"rgb\"; use channels = 3 for rgb");
        assertThatThrownBy(() -> imagenet().size(0, 224).build())
                .hasMessage("height and width must be positive, got 0 x 224");
        assertThatThrownBy(() -> imagenet().resize(200).build()).hasMessage(
                "resize 200 is smaller than the 224 x 224 crop; the shorter side must be resized to at least 224");
        assertThatThrownBy(() -> imagenet().scale(0f).build())
                .hasMessage("scale must be a positive finite divisor (typically 255.0), got 0.0");
        assertThatThrownBy(() -> imagenet().mean(0.5f).build())
                .hasMessage("mean has 1 values [0.5], expected one per channel (3)");
        assertThatThrownBy(() -> imagenet().std(1f, 0f, 1f).build())
                .hasMessage("std[1] must be positive and finite, got 0.0");
        assertThatThrownBy(() -> imagenet().interpolation("lanczos4")).hasMessage("unknown interpolation \"lanczos4\";"
                + " expected one of \"nearest\", \"bilinear\", \"bicubic\", \"box\", \"hamming\", \"lanczos\"");
        assertThatThrownBy(() -> imagenet().cropMode("letterbox"))
                .hasMessage("unknown crop mode \"letterbox\"; expected one of \"center\", \"squash\", \"border\"");
        assertThatThrownBy(() -> imagenet().cropPct(0.875).build())
                .hasMessage("resize 256 and crop_pct 0.875 both set the scale size; give one of them");
        assertThatThrownBy(() -> imagenet().resize(0).cropPct(1.5).build())
                .hasMessage("crop_pct must be in (0, 1], got 1.5 (0.875: a 224 crop of 256)");
        assertThatThrownBy(() -> imagenet().interpolation("hamming").antialias(false).build())
                .hasMessage("antialias false needs interpolation \"bilinear\" or \"bicubic\", got \"hamming\";"
                        + " Pillow's hamming filter always antialiases");
        assertThatThrownBy(() -> imagenet().color("bgr"))
                .hasMessage("unknown color \"bgr\"; expected one of \"grayscale\", \"rgb\"");
        assertThatThrownBy(() -> imagenet().layout("NHWC"))
                .hasMessage("unknown layout \"NHWC\"; expected one of \"NCHW\"");
        assertThatThrownBy(() -> imagenet().exifOrientation("rotate"))
                .hasMessage("unknown exifOrientation \"rotate\"; expected one of \"ignore\", \"apply\"");
    }

    @Test
    void cropPctSetsTheScaleSizeAsTimmDoes() {
        PreprocessSpec spec = imagenet().resize(0).cropPct(0.875).build();
        assertThat(spec.scaleHeight()).isEqualTo(256);
        assertThat(spec.resize()).isZero();
        assertThat(imagenet().resize(0).size(224, 320).cropPct(0.9).build())
                .satisfies(s -> assertThat(new int[] {s.scaleHeight(), s.scaleWidth()}).containsExactly(248, 355));
        assertThat(spec.toBuilder().build()).isEqualTo(spec).isNotEqualTo(imagenet().build());
        assertThat(imagenet().build().cropMode()).isEqualTo(PreprocessSpec.CropMode.CENTER);
    }

    @Test
    void theBorderFillIsTheMeanColourRoundedAsPythonRoundsTheCardsDoubles() {
        PreprocessSpec spec = imagenet().mean(0.485, 0.456, 0.406).build();
        assertThat(new int[] {spec.fill(0), spec.fill(1), spec.fill(2)}).containsExactly(124, 116, 104);
        // 255 * 0.3 is 76.49999999999999 in double precision: 76; from the float 0.3f it would be 77
        assertThat(imagenet().mean(0.3, 0.5, 0.1).build().fill(0)).isEqualTo(76);
        assertThat(imagenet().mean(0.3, 0.5, 0.1).build().fill(1)).as("127.5, half to even").isEqualTo(128);
        assertThat(imagenet().mean(2.0, -1.0, 0.1).build().fill(0)).as("clamped").isEqualTo(255);
    }

    @Test
    void grayscaleMayFeedThreeChannels() {
        PreprocessSpec spec = imagenet().color("grayscale").build();
        assertThat(spec.channels()).isEqualTo(3);
        assertThat(spec.color()).isEqualTo(PreprocessSpec.Color.GRAYSCALE);
    }
}
