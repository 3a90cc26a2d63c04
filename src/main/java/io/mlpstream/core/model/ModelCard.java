package io.mlpstream.core.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.mlpstream.core.image.PreprocessSpec;

import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The card beside every {@code model.onnx} ({@code model.json}): what the model is, how its input
 * must be prepared, what its outputs mean and how well it did on held-out data. The job reads
 * preprocessing from here, never from code, so a user's own model is just another card.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelCard(
        String name,
        String version,
        String architecture,
        String description,
        String file,
        String sha256,
        Integer opset,
        Input input,
        Output output,
        List<String> labels,
        Map<String, Object> training,
        Double heldOutAccuracy,
        Integer heldOutCount,
        Long parameterCount)
        implements Serializable {

    /**
     * How pixels become the model's input tensor; the optional fields ({@code null} when the card omits them) as
     * models/README.md's card reference describes, with the defaults of {@link PreprocessSpec}.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Input(
            String name,
            String layout,
            int channels,
            int height,
            int width,
            String color,
            Integer resize,
            String interpolation,
            Boolean antialias,
            Double scale,
            double[] mean,
            double[] std,
            String exifOrientation,
            @JsonProperty("crop_pct") Double cropPct,
            @JsonProperty("crop_mode") String cropMode)
            implements Serializable {}

    /** Which output to read and whether it still needs a softmax ({@code logits}) or not ({@code probabilities}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Output(String name, String kind) implements Serializable {
        @JsonIgnore
        public boolean isLogits() {
            return kind == null || "logits".equals(kind);
        }
    }

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);
    /** Indented as the repository's cards ({@code json.dump(card, f, indent=2)}): one array element a line. */
    private static final ObjectMapper WRITER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .setDefaultPrettyPrinter(new DefaultPrettyPrinter()
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n"))
                    .withSeparators(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    /** Parses and validates a card; {@code origin} names where it came from in error messages. */
    public static ModelCard parse(byte[] json, String origin) {
        ModelCard card;
        try {
            card = JSON.readValue(json, ModelCard.class);
        } catch (JsonProcessingException e) {
            throw new ModelException(
                    "Model card " + origin + " is not valid JSON for a model card: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelException("Cannot read model card " + origin + ": " + e.getMessage());
        }
        card.validate(origin);
        return card;
    }

    /** The card as {@code model.json} holds it: indented, absent fields left out. */
    public byte[] toJson() {
        try {
            byte[] json = WRITER.writeValueAsBytes(this);
            byte[] withNewline = java.util.Arrays.copyOf(json, json.length + 1);
            withNewline[json.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a model card is always writable as JSON", e);
        }
    }

    private void validate(String origin) {
        require(name != null && !name.isBlank(), origin, "\"name\" is missing");
        require(file != null && !file.isBlank(), origin, "\"file\" (the ONNX file beside the card) is missing");
        require(
                !file.contains("/") && !file.contains("\\") && !file.equals("..") && !file.equals("."),
                origin,
                "\"file\" must be a plain file name beside the card, not '" + file + "'");
        require(
                sha256 != null && sha256.matches("[0-9a-f]{64}"),
                origin,
                "\"sha256\" must be the 64-digit lowercase hex SHA-256 of " + file + ", got '" + sha256 + "'");
        require(input != null, origin, "\"input\" is missing");
        require(input.name() != null, origin, "\"input.name\" (the ONNX input name) is missing");
        requireOneOf(input.layout(), PreprocessSpec.Layout.values(), "input.layout", origin);
        require(
                input.channels() == 1 || input.channels() == 3,
                origin,
                "\"input.channels\" must be 1 or 3, got " + input.channels());
        require(input.height() > 0 && input.width() > 0, origin, "\"input.height\"/\"input.width\" must be positive");
        require(
                input.mean() != null && input.mean().length == input.channels(),
                origin,
                "\"input.mean\" needs one value per channel (" + input.channels() + ")");
        require(
                input.std() != null && input.std().length == input.channels(),
                origin,
                "\"input.std\" needs one value per channel (" + input.channels() + ")");
        require(
                input.exifOrientation() == null || isExifOrientation(input.exifOrientation()),
                origin,
                "\"input.exifOrientation\" must be \"ignore\" (the default) or \"apply\", got '" + input.exifOrientation() + "'");
        validatePreprocessing(origin);
        require(output != null && output.name() != null, origin, "\"output.name\" (the ONNX output name) is missing");
        require(
                output.kind() == null || output.isLogits() || "probabilities".equals(output.kind()),
                origin,
                "\"output.kind\" must be logits or probabilities, got '" + output.kind() + "'");
        require(labels != null && !labels.isEmpty(), origin, "\"labels\" is missing or empty");
    }

    private static boolean isExifOrientation(String value) {
        try {
            PreprocessSpec.ExifOrientation.parse(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Every optional preprocessing field on its own, then their combination as the image package builds it. */
    private void validatePreprocessing(String origin) {
        Input in = input;
        requireOneOf(in.color(), PreprocessSpec.Color.values(), "input.color", origin);
        requireOneOf(in.interpolation(), PreprocessSpec.Interpolation.values(), "input.interpolation", origin);
        requireOneOf(in.cropMode(), PreprocessSpec.CropMode.values(), "input.crop_mode", origin);
        require(in.cropPct() == null || (in.cropPct() > 0 && in.cropPct() <= 1), origin,
                "\"input.crop_pct\" is " + in.cropPct() + "; accepted: a fraction in (0, 1], the crop's share of the"
                        + " resized image (timm's crop_pct, e.g. 0.875 for a 224 crop of 256)");
        require(in.resize() == null || in.cropPct() == null, origin,
                "\"input.resize\" (" + in.resize() + ") and \"input.crop_pct\" (" + in.cropPct() + ") both set the"
                        + " resize; keep one");
        int longer = Math.max(in.height(), in.width());
        require(in.resize() == null || in.resize() >= longer, origin,
                "\"input.resize\" is " + in.resize() + "; accepted: at least " + longer + " (the longer side of the "
                        + in.height() + "x" + in.width() + " crop), or omit it for " + longer);
        require(in.scale() == null || (in.scale() > 0 && Double.isFinite(in.scale())), origin,
                "\"input.scale\" is " + in.scale() + "; accepted: a positive divisor, 255.0 for [0, 1] inputs");
        PreprocessSpec.Interpolation interpolation = in.interpolation() == null ? PreprocessSpec.DEFAULT_INTERPOLATION
                : PreprocessSpec.Interpolation.parse(in.interpolation());
        require(in.antialias() == null || in.antialias() || interpolation.allowsAntialiasOff(),
                origin, "\"input.antialias\" false is only for bilinear and bicubic (Pillow's " + interpolation
                        + " always antialiases); remove it, or set \"input.interpolation\" to bilinear or bicubic");
        for (int c = 0; c < in.channels(); c++) {
            require(Double.isFinite(in.mean()[c]), origin, "\"input.mean\"[" + c + "] is " + in.mean()[c]
                    + "; accepted: a finite number");
            require(in.std()[c] > 0 && Double.isFinite(in.std()[c]), origin, "\"input.std\"[" + c + "] is "
                    + in.std()[c] + "; accepted: a positive finite number");
        }
        try {
            specBuilder().build();
        } catch (IllegalArgumentException e) {
            throw new ModelException("Model card " + origin + " is invalid: \"input\": " + e.getMessage() + ".");
        }
    }

    private static void requireOneOf(String value, Enum<?>[] accepted, String field, String origin) {
        if (value == null) {
            return;
        }
        for (Enum<?> a : accepted) {
            if (a.toString().equalsIgnoreCase(value.trim())) {
                return;
            }
        }
        throw new ModelException(String.format(Locale.ROOT, "Model card %s is invalid: \"%s\" is \"%s\"; accepted: %s.",
                origin, field, value, Arrays.stream(accepted).map(Object::toString).collect(Collectors.joining(", "))));
    }

    private static void require(boolean ok, String origin, String what) {
        if (!ok) {
            throw new ModelException("Model card " + origin + " is invalid: " + what + ".");
        }
    }

    /**
     * The preprocessing this card prescribes, as the image package's spec.
     *
     * @throws ModelException naming what in {@code input} is unusable (e.g. an unknown interpolation)
     */
    public PreprocessSpec preprocessSpec() {
        try {
            return specBuilder().build();
        } catch (IllegalArgumentException e) {
            throw new ModelException("Model card of '" + name + "' has an unusable \"input\": " + e.getMessage());
        }
    }

    private PreprocessSpec.Builder specBuilder() {
        PreprocessSpec.Builder b = PreprocessSpec.builder()
                .channels(input.channels())
                .size(input.height(), input.width())
                .mean(input.mean())
                .std(toFloats(input.std()));
        if (input.color() != null) {
            b.color(input.color());
        } else {
            b.color(input.channels() == 1 ? PreprocessSpec.Color.GRAYSCALE : PreprocessSpec.Color.RGB);
        }
        if (input.resize() != null) {
            b.resize(input.resize());
        }
        if (input.cropPct() != null) {
            b.cropPct(input.cropPct());
        }
        if (input.cropMode() != null) {
            b.cropMode(input.cropMode());
        }
        if (input.interpolation() != null) {
            b.interpolation(input.interpolation());
        }
        if (input.antialias() != null) {
            b.antialias(input.antialias());
        }
        if (input.scale() != null) {
            b.scale(input.scale().floatValue());
        }
        if (input.exifOrientation() != null) {
            b.exifOrientation(input.exifOrientation());
        }
        return b;
    }

    private static float[] toFloats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    public String versionOrDefault() {
        return version == null ? "unversioned" : version;
    }
}
