package io.mlpstream.job;

import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.core.inference.Classification;
import io.mlpstream.core.inference.ImageClassifier;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.testutils.OnnxProtobuf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mlpstream card from-timm-config} on committed timm data configs ({@code src/test/resources/timm-config}:
 * {@code resmlp_12_224.fb_in1k.json} is that model's pretrained config as timm's {@code timm/models/mlp_mixer.py}
 * defines it, {@code mixer_s16_224.json} what {@code resolve_data_config} returns for mixer_s16_224), with an ONNX
 * classifier of the configs' input and output shapes built here; no timm needed. The card it writes must load
 * as the job loads cards and run.
 */
class CardCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int card(String... args) {
        List<String> all = new ArrayList<>(List.of("card"));
        all.addAll(List.of(args));
        return new Cli(Cli.jobCommands()).run(all.toArray(String[]::new), new PrintStream(out, true),
                new PrintStream(err, true));
    }

    private String errorLine() {
        String e = err.toString(StandardCharsets.UTF_8).strip();
        assertThat(e.lines()).as("one line: %s", e).hasSize(1);
        return e;
    }

    private static Path config(String name) throws Exception {
        return Path.of(CardCommandTest.class.getResource("/timm-config/" + name).toURI());
    }

    private Path onnx(int channels, int height, int width, int classes) throws Exception {
        return Files.write(dir.resolve("model.onnx"),
                OnnxProtobuf.classifier("input", channels, height, width, "logits", classes));
    }

    private Path labels(int n) throws Exception {
        return Files.write(dir.resolve("labels.txt"), IntStream.range(0, n).mapToObj(i -> "class-" + i).toList());
    }

    private Path writeConfig(String json) throws Exception {
        return Files.writeString(dir.resolve("cfg.json"), json);
    }

    @Test
    void writesACardTheJobLoadsAndRunsFromTimmsPretrainedConfig() throws Exception {
        Path onnx = onnx(3, 224, 224, 1000);
        int code = card("from-timm-config", config("resmlp_12_224.fb_in1k.json").toString(), "--onnx", onnx.toString(),
                "--labels", labels(1000).toString(), "--name", "resmlp12-imagenet");

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("Wrote " + dir.resolve("model.json").toAbsolutePath() + ": resmlp12-imagenet,"
                        + " input 'input' [N, 3, 224, 224], bicubic, crop_pct 0.875 (center)")
                .contains("output 'logits' (logits, 1000 labels)")
                .contains("so timm's defaults: crop_mode."); // pretrained configs of older timm versions have none
        LoadedModel model = ModelSource.load(dir.toString());
        ModelCard card = model.card();
        assertThat(card.name()).isEqualTo("resmlp12-imagenet");
        assertThat(card.architecture()).isEqualTo("resmlp_12_224");
        assertThat(card.file()).isEqualTo("model.onnx");
        assertThat(card.sha256()).isEqualTo(ModelSource.sha256(Files.readAllBytes(onnx)));
        assertThat(card.input().name()).isEqualTo("input");
        assertThat(card.input().mean()).containsExactly(0.485, 0.456, 0.406);
        assertThat(card.input().std()).containsExactly(0.229, 0.224, 0.225);
        assertThat(card.input().scale()).isEqualTo(255.0);
        assertThat(card.output()).isEqualTo(new ModelCard.Output("logits", "logits"));
        assertThat(card.labels()).hasSize(1000).startsWith("class-0").endsWith("class-999");
        PreprocessSpec spec = card.preprocessSpec();
        assertThat(spec.interpolation()).isEqualTo(PreprocessSpec.Interpolation.BICUBIC);
        assertThat(spec.cropMode()).isEqualTo(PreprocessSpec.CropMode.CENTER);
        assertThat(spec.cropPct()).isEqualTo(0.875);
        assertThat(spec.scaleHeight()).as("timm's scale_size: floor(224 / 0.875)").isEqualTo(256);
        assertThat(spec.color()).isEqualTo(PreprocessSpec.Color.RGB);

        byte[] photo;
        try (InputStream in = CardCommandTest.class.getResourceAsStream("/resize-reference/photo.jpg")) {
            photo = in.readAllBytes();
        }
        try (ImageClassifier classifier = ImageClassifier.open(dir.toString())) {
            Classification c = classifier.classify(photo);
            float sum = 0;
            for (float s : c.scores()) {
                sum += s;
            }
            assertThat(c.scores()).hasSize(1000);
            assertThat(sum).as("softmax of the logits").isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-3f));
        }
    }

    @Test
    void takesTheDictResolveDataConfigReturns() throws Exception {
        int code = card("from-timm-config", config("mixer_s16_224.json").toString(), "--onnx",
                onnx(3, 224, 224, 1000).toString(), "--labels", labels(1000).toString(), "--name", "mixer-s16");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).doesNotContain("defaults");
        ModelCard card = ModelSource.load(dir.toString()).card();
        assertThat(card.input().mean()).containsExactly(0.5, 0.5, 0.5);
        assertThat(card.input().interpolation()).isEqualTo("bicubic");
        assertThat(card.input().cropMode()).isEqualTo("center");
        String json = Files.readString(dir.resolve("model.json"));
        assertThat(json).contains("\"crop_pct\": 0.875", "\"crop_mode\": \"center\"", "\"interpolation\": \"bicubic\"")
                .doesNotContain("null", "\"resize\"");
    }

    @Test
    void keysTheConfigLeavesOutTakeTimmsDefaultsAndAreNamed() throws Exception {
        int code = card("from-timm-config", writeConfig("{\"input_size\": [3, 224, 224]}").toString(), "--onnx",
                onnx(3, 224, 224, 10).toString(), "--labels", labels(10).toString(), "--name", "defaults");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Not in cfg.json, so timm's defaults: interpolation, crop_mode, crop_pct,"
                + " mean, std.");
        ModelCard.Input in = ModelSource.load(dir.toString()).card().input();
        assertThat(in.interpolation()).isEqualTo("bicubic");
        assertThat(in.cropPct()).isEqualTo(0.875);
        assertThat(in.mean()).containsExactly(0.485, 0.456, 0.406);
    }

    @Test
    void aNonSquareCenterCropIsBilinearAsTimmsEvalTransformMakesIt() throws Exception {
        Path cfg = writeConfig("{\"input_size\": [3, 192, 256], \"interpolation\": \"bicubic\", \"crop_pct\": 0.9}");
        int code = card("from-timm-config", cfg.toString(), "--onnx", onnx(3, 192, 256, 10).toString(), "--labels",
                labels(10).toString(), "--name", "wide");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Note: interpolation: bilinear, not bicubic: for a non-square scale size"
                + " (213 x 284)");
        assertThat(ModelSource.load(dir.toString()).card().input().interpolation()).isEqualTo("bilinear");
    }

    @Test
    void borderAndSquashComeThrough() throws Exception {
        Path cfg = writeConfig("{\"input_size\": [3, 224, 224], \"interpolation\": \"lanczos\", \"crop_pct\": 1.0,"
                + " \"crop_mode\": \"border\"}");
        assertThat(card("from-timm-config", cfg.toString(), "--onnx", onnx(3, 224, 224, 10).toString(), "--labels",
                labels(10).toString(), "--name", "border")).as(err.toString()).isZero();
        PreprocessSpec spec = ModelSource.load(dir.toString()).card().preprocessSpec();
        assertThat(spec.cropMode()).isEqualTo(PreprocessSpec.CropMode.BORDER);
        assertThat(spec.interpolation()).isEqualTo(PreprocessSpec.Interpolation.LANCZOS);
        assertThat(spec.scaleHeight()).isEqualTo(224);
    }

    @Test
    void whatDoesNotFitIsRefusedInOneLine() throws Exception {
        Path cfg = config("resmlp_12_224.fb_in1k.json");
        Path labels = labels(1000);
        Path wrongSize = onnx(3, 256, 256, 1000);
        assertThat(card("from-timm-config", cfg.toString(), "--onnx", wrongSize.toString(), "--labels", labels.toString(),
                "--name", "x")).isEqualTo(2);
        assertThat(errorLine()).contains("'s input is input FLOAT [-1, 3, 256, 256] but the timm config's input_size is"
                + " [3, 224, 224]");
        assertThat(dir.resolve("model.json")).doesNotExist();

        err.reset();
        Path onnx = onnx(3, 224, 224, 1000);
        assertThat(card("from-timm-config", cfg.toString(), "--onnx", onnx.toString(), "--labels",
                labels(999).toString(), "--name", "x")).isEqualTo(2);
        assertThat(errorLine()).contains("holds 999 labels but").contains("has 1000 classes");

        err.reset();
        Path random = writeConfig("{\"input_size\": [3, 224, 224], \"interpolation\": \"random\"}");
        assertThat(card("from-timm-config", random.toString(), "--onnx", onnx.toString(), "--labels",
                labels(1000).toString(), "--name", "x")).isEqualTo(2);
        assertThat(errorLine()).isEqualTo("mlpstream: timm config " + random + ": \"interpolation\" is \"random\";"
                + " accepted: nearest, bilinear, bicubic, box, hamming, lanczos");

        err.reset();
        assertThat(card("from-timm-config", cfg.toString(), "--labels", labels.toString(), "--name", "x")).isEqualTo(2);
        assertThat(errorLine()).contains("'card from-timm-config' needs --onnx.");

        err.reset();
        assertThat(card("from-hf", cfg.toString())).isEqualTo(2);
        assertThat(errorLine()).contains("'card' needs what to write a card from: from-timm-config, got 'from-hf'");

        err.reset();
        assertThat(card("from-timm-config", cfg.toString(), "--onnx", onnx.toString(), "--labels", labels.toString(),
                "--name", "x", "--output-kind", "softmax")).isEqualTo(2);
        assertThat(errorLine()).contains("--output-kind is 'softmax'; accepted: logits");
    }

    @Test
    void anExistingCardIsOnlyReplacedWithForce() throws Exception {
        Path cfg = config("mixer_s16_224.json");
        Path onnx = onnx(3, 224, 224, 1000);
        Path labels = labels(1000);
        Files.writeString(dir.resolve("model.json"), "{}");
        assertThat(card("from-timm-config", cfg.toString(), "--onnx", onnx.toString(), "--labels", labels.toString(),
                "--name", "x")).isEqualTo(2);
        assertThat(errorLine()).endsWith("model.json exists; add --force to overwrite it.");
        assertThat(Files.readString(dir.resolve("model.json"))).isEqualTo("{}");
        assertThat(card("from-timm-config", cfg.toString(), "--onnx", onnx.toString(), "--labels", labels.toString(),
                "--name", "x", "--force")).isZero();
        assertThat(ModelSource.load(dir.toString()).card().name()).isEqualTo("x");
    }
}
