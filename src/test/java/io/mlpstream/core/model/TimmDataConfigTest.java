package io.mlpstream.core.model;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** timm data configs as timm's resolve_data_config reads them: its defaults, its shorthands, what is not supported. */
class TimmDataConfigTest {
    private static TimmDataConfig parse(String json) {
        return TimmDataConfig.parse(json.getBytes(StandardCharsets.UTF_8), "cfg.json");
    }

    @Test
    void falsyValuesTakeTimmsDefaults() {
        TimmDataConfig c = parse("{\"input_size\": [3, 288, 288], \"crop_pct\": null, \"interpolation\": \"\","
                + " \"mean\": []}");
        assertThat(c.cropPct()).isEqualTo(0.875);
        assertThat(c.interpolation()).isEqualTo("bicubic");
        assertThat(c.mean()).containsExactly(0.485, 0.456, 0.406);
        assertThat(c.defaulted()).containsExactly("interpolation", "crop_mode", "crop_pct", "mean", "std");
        assertThat(c.height()).isEqualTo(288);
    }

    @Test
    void oneMeanServesEveryChannel() {
        TimmDataConfig c = parse("{\"input_size\": [3, 224, 224], \"mean\": [0.5], \"std\": 0.25}");
        assertThat(c.mean()).containsExactly(0.5, 0.5, 0.5);
        assertThat(c.std()).containsExactly(0.25, 0.25, 0.25);
        TimmDataConfig gray = parse("{\"input_size\": [1, 28, 28], \"mean\": [0.1307], \"std\": [0.3081]}");
        assertThat(gray.input("x").color()).isEqualTo("grayscale");
    }

    @Test
    void whatTheCardCannotSayIsRefused() {
        assertThatThrownBy(() -> parse("{\"crop_border_pixels\": 2}")).hasMessage("timm config cfg.json:"
                + " \"crop_border_pixels\" is 2; accepted: 0 or absent (trimming a border first is not supported)");
        assertThatThrownBy(() -> parse("{\"crop_pct\": 1.14}"))
                .hasMessage("timm config cfg.json: \"crop_pct\" is 1.14; accepted: a fraction in (0, 1], e.g. 0.875");
        assertThatThrownBy(() -> parse("{\"input_size\": [224, 224]}")).hasMessage("timm config cfg.json:"
                + " \"input_size\" is [224,224]; accepted: [channels, height, width], e.g. [3, 224, 224]");
        assertThatThrownBy(() -> parse("{\"input_size\": [1, 28, 28]}")).hasMessage("timm config cfg.json has no"
                + " \"mean\"; a 1-channel model needs one (timm's default is ImageNet's, for 3 channels)");
        assertThatThrownBy(() -> parse("{\"crop_mode\": \"letterbox\"}")).hasMessage("timm config cfg.json:"
                + " \"crop_mode\" is \"letterbox\"; accepted: center, squash, border");
        assertThatThrownBy(() -> parse("[1, 2]")).hasMessage("timm config cfg.json must be a JSON object (the data"
                + " config dict), got array");
    }
}
