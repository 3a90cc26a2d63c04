package io.mlpstream.core.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.mlpstream.core.image.PreprocessSpec;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

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

    /** How pixels become the model's input tensor. */
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
            String exifOrientation)
            implements Serializable {}

    /** Which output to read and whether it still needs a softmax ({@code logits}) or not ({@code probabilities}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Output(String name, String kind) implements Serializable {
        public boolean isLogits() {
            return kind == null || "logits".equals(kind);
        }
    }

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

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
        require(
                input.layout() == null || "NCHW".equals(input.layout()),
                origin,
                "\"input.layout\" must be NCHW, got '" + input.layout() + "'");
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
            return buildPreprocessSpec();
        } catch (IllegalArgumentException e) {
            throw new ModelException("Model card of '" + name + "' has an unusable \"input\": " + e.getMessage());
        }
    }

    private PreprocessSpec buildPreprocessSpec() {
        PreprocessSpec.Builder b = PreprocessSpec.builder()
                .channels(input.channels())
                .size(input.height(), input.width())
                .mean(toFloats(input.mean()))
                .std(toFloats(input.std()));
        if (input.color() != null) {
            b.color(input.color());
        } else {
            b.color(input.channels() == 1 ? PreprocessSpec.Color.GRAYSCALE : PreprocessSpec.Color.RGB);
        }
        if (input.resize() != null) {
            b.resize(input.resize());
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
        return b.build();
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
