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
        assertThatThrownBy(() -> imagenet().interpolation("lanczos"))
                .hasMessage("unknown interpolation \"lanczos\"; expected one of \"nearest\", \"bilinear\", \"bicubic\"");
        assertThatThrownBy(() -> imagenet().color("bgr"))
                .hasMessage("unknown color \"bgr\"; expected one of \"grayscale\", \"rgb\"");
        assertThatThrownBy(() -> imagenet().layout("NHWC"))
                .hasMessage("unknown layout \"NHWC\"; expected one of \"NCHW\"");
        assertThatThrownBy(() -> imagenet().exifOrientation("rotate"))
                .hasMessage("unknown exifOrientation \"rotate\"; expected one of \"ignore\", \"apply\"");
    }

    @Test
    void grayscaleMayFeedThreeChannels() {
        PreprocessSpec spec = imagenet().color("grayscale").build();
        assertThat(spec.channels()).isEqualTo(3);
        assertThat(spec.color()).isEqualTo(PreprocessSpec.Color.GRAYSCALE);
    }
}
