package io.mlpstream.core.model;

import io.mlpstream.core.image.PreprocessSpec;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A card's preprocessing fields: each unsupported value is refused when the card is parsed, in one line that names
 * the card, the field and what is accepted; what the card omits takes the documented default.
 */
class ModelCardTest {
    private static final String ORIGIN = "/models/x/model.json";

    /** An RGB 224 card whose "input" ends with {@code extra} (e.g. {@code , "crop_pct": 0.9}). */
    private static String card(String extra) {
        return """
                {"name": "x", "file": "model.onnx", "sha256": "%s",
                 "input": {"name": "input", "channels": 3, "height": 224, "width": 224,
                           "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]%s},
                 "output": {"name": "logits"},
                 "labels": ["a", "b"]}
                """.formatted("a".repeat(64), extra);
    }

    private static ModelCard parse(String extra) {
        return ModelCard.parse(card(extra).getBytes(StandardCharsets.UTF_8), ORIGIN);
    }

    private static void refused(String extra, String message) {
        assertThatThrownBy(() -> parse(extra))
                .isInstanceOf(ModelException.class)
                .hasMessage("Model card " + ORIGIN + " is invalid: " + message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void unsupportedValuesAreRefusedNamingTheFieldAndWhatIsAccepted() {
        refused(", \"interpolation\": \"lanczos4\"", "\"input.interpolation\" is \"lanczos4\"; accepted: nearest,"
                + " bilinear, bicubic, box, hamming, lanczos.");
        refused(", \"crop_mode\": \"letterbox\"", "\"input.crop_mode\" is \"letterbox\"; accepted: center, squash,"
                + " border.");
        refused(", \"crop_pct\": 1.15", "\"input.crop_pct\" is 1.15; accepted: a fraction in (0, 1], the crop's share"
                + " of the resized image (timm's crop_pct, e.g. 0.875 for a 224 crop of 256).");
        refused(", \"crop_pct\": 0", "\"input.crop_pct\" is 0.0; accepted: a fraction in (0, 1], the crop's share"
                + " of the resized image (timm's crop_pct, e.g. 0.875 for a 224 crop of 256).");
        refused(", \"resize\": 256, \"crop_pct\": 0.875", "\"input.resize\" (256) and \"input.crop_pct\" (0.875) both"
                + " set the resize; keep one.");
        refused(", \"resize\": 200", "\"input.resize\" is 200; accepted: at least 224 (the longer side of the 224x224"
                + " crop), or omit it for 224.");
        refused(", \"interpolation\": \"lanczos\", \"antialias\": false", "\"input.antialias\" false is only for"
                + " bilinear and bicubic (Pillow's lanczos always antialiases); remove it, or set"
                + " \"input.interpolation\" to bilinear or bicubic.");
        refused(", \"color\": \"bgr\"", "\"input.color\" is \"bgr\"; accepted: grayscale, rgb.");
        refused(", \"layout\": \"NHWC\"", "\"input.layout\" is \"NHWC\"; accepted: NCHW.");
        refused(", \"scale\": 0", "\"input.scale\" is 0.0; accepted: a positive divisor, 255.0 for [0, 1] inputs.");
        assertThatThrownBy(() -> ModelCard.parse(card("").replace("0.229, 0.224", "0.229, 0")
                .getBytes(StandardCharsets.UTF_8), ORIGIN)).hasMessage("Model card " + ORIGIN + " is invalid:"
                + " \"input.std\"[1] is 0.0; accepted: a positive finite number.");
        assertThatThrownBy(() -> ModelCard.parse(card("").replace("\"channels\": 3", "\"channels\": 1")
                .replace("[0.485, 0.456, 0.406]", "[0.5]").replace("[0.229, 0.224, 0.225]", "[0.5]")
                .replace("}", ", \"color\": \"rgb\"}").getBytes(StandardCharsets.UTF_8), ORIGIN))
                .hasMessage("Model card " + ORIGIN + " is invalid: \"input\": channels = 1 needs color \"grayscale\","
                        + " got \"rgb\"; use channels = 3 for rgb.");
    }

    @Test
    void omittedFieldsTakeTheDocumentedDefaults() {
        PreprocessSpec spec = parse("").preprocessSpec();
        assertThat(spec.color()).isEqualTo(PreprocessSpec.Color.RGB);
        assertThat(spec.interpolation()).as("bilinear, not timm's bicubic").isEqualTo(PreprocessSpec.Interpolation.BILINEAR);
        assertThat(spec.resize()).as("no margin: the longer side of the crop").isEqualTo(224);
        assertThat(spec.cropPct()).isZero();
        assertThat(spec.scaleHeight()).isEqualTo(224);
        assertThat(spec.cropMode()).isEqualTo(PreprocessSpec.CropMode.CENTER);
        assertThat(spec.antialias()).isTrue();
        assertThat(spec.scale()).isEqualTo(255f);
    }

    @Test
    void timmsWordsAreUnderstood() {
        PreprocessSpec spec = parse(", \"interpolation\": \"lanczos\", \"crop_pct\": 0.9, \"crop_mode\": \"squash\"")
                .preprocessSpec();
        assertThat(spec.interpolation()).isEqualTo(PreprocessSpec.Interpolation.LANCZOS);
        assertThat(spec.cropMode()).isEqualTo(PreprocessSpec.CropMode.SQUASH);
        assertThat(spec.scaleHeight()).as("floor(224 / 0.9)").isEqualTo(248);
        assertThat(spec.scaleWidth()).isEqualTo(248);
        for (String filter : new String[] {"nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"}) {
            assertThat(parse(", \"interpolation\": \"" + filter + "\"").preprocessSpec().interpolation().id())
                    .isEqualTo(filter);
        }
    }

    @Test
    void aWrittenCardReadsBackTheSame() {
        ModelCard card = parse(", \"interpolation\": \"hamming\", \"crop_pct\": 0.95, \"crop_mode\": \"border\"");
        ModelCard again = ModelCard.parse(card.toJson(), "again");
        assertThat(again.preprocessSpec()).isEqualTo(card.preprocessSpec());
        assertThat(new String(card.toJson(), StandardCharsets.UTF_8)).contains("\"crop_pct\": 0.95",
                "\"crop_mode\": \"border\"").doesNotContain("null", "logits\": true");
    }
}
