package io.mlpstream.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.mlpstream.core.image.PreprocessSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A timm data config as a model card's input: the dict {@code timm.data.resolve_data_config} returns, or a model's
 * {@code pretrained_cfg}, written out as JSON ({@code json.dump(dict(cfg), f)}; tuples become lists). The keys read:
 * {@code input_size}, {@code interpolation}, {@code mean}, {@code std}, {@code crop_pct}, {@code crop_mode}, and, to
 * check and describe, {@code num_classes} and {@code architecture}; the rest is ignored. A key absent, null or empty
 * gets the value {@code resolve_data_config} gives it: input_size (3, 224, 224), bicubic, ImageNet's mean and std,
 * crop_pct 0.875, crop_mode center.
 *
 * @param defaulted the keys that took that default, for the user to see
 * @param notes what the card does differently from the config's words, to reproduce timm's eval transforms
 */
public record TimmDataConfig(int channels, int height, int width, String interpolation, double[] mean, double[] std,
        double cropPct, String cropMode, Integer numClasses, String architecture, List<String> defaulted,
        List<String> notes) {

    /** timm.data.constants. */
    static final double[] IMAGENET_DEFAULT_MEAN = {0.485, 0.456, 0.406};
    static final double[] IMAGENET_DEFAULT_STD = {0.229, 0.224, 0.225};
    static final double DEFAULT_CROP_PCT = 0.875;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses and checks a config; {@code origin} names it in error messages. */
    public static TimmDataConfig parse(byte[] json, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelException("timm config " + origin + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new ModelException("timm config " + origin + " must be a JSON object (the data config dict), got "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        List<String> defaulted = new ArrayList<>();
        List<String> notes = new ArrayList<>();

        int[] size = {3, 224, 224};
        JsonNode inputSize = present(root, "input_size");
        if (inputSize == null) {
            defaulted.add("input_size");
        } else {
            if (!inputSize.isArray() || inputSize.size() != 3 || !allInts(inputSize)) {
                throw invalid(origin, "input_size", inputSize, "[channels, height, width], e.g. [3, 224, 224]");
            }
            for (int i = 0; i < 3; i++) {
                size[i] = inputSize.get(i).asInt();
            }
            if (size[0] != 1 && size[0] != 3) {
                throw invalid(origin, "input_size", inputSize, "1 or 3 channels first, e.g. [3, 224, 224]");
            }
            if (size[1] <= 0 || size[2] <= 0) {
                throw invalid(origin, "input_size", inputSize, "a positive height and width, e.g. [3, 224, 224]");
            }
        }
        int channels = size[0];

        String interpolation = text(root, "interpolation", "bicubic", defaulted);
        requireOneOf(origin, "interpolation", interpolation, PreprocessSpec.Interpolation.values());
        String cropMode = text(root, "crop_mode", "center", defaulted);
        requireOneOf(origin, "crop_mode", cropMode, PreprocessSpec.CropMode.values());

        double cropPct = DEFAULT_CROP_PCT;
        JsonNode pct = present(root, "crop_pct");
        if (pct == null || (pct.isNumber() && pct.asDouble() == 0)) { // timm: `crop_pct or DEFAULT_CROP_PCT`
            defaulted.add("crop_pct");
        } else if (!pct.isNumber() || !(pct.asDouble() > 0 && pct.asDouble() <= 1)) {
            throw invalid(origin, "crop_pct", pct, "a fraction in (0, 1], e.g. 0.875");
        } else {
            cropPct = pct.asDouble();
        }

        double[] mean = perChannel(root, "mean", IMAGENET_DEFAULT_MEAN, channels, origin, defaulted);
        double[] std = perChannel(root, "std", IMAGENET_DEFAULT_STD, channels, origin, defaulted);
        for (double s : std) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw invalid(origin, "std", root.get("std"), "positive numbers, one per channel");
            }
        }

        JsonNode borderPixels = present(root, "crop_border_pixels");
        if (borderPixels != null && !(borderPixels.isNumber() && borderPixels.asInt() == 0)) {
            throw invalid(origin, "crop_border_pixels", borderPixels, "0 or absent (trimming a border first is not"
                    + " supported)");
        }
        Integer numClasses = null;
        JsonNode classes = present(root, "num_classes");
        if (classes != null) {
            if (!classes.canConvertToInt() || classes.asInt() <= 0) {
                throw invalid(origin, "num_classes", classes, "a positive whole number");
            }
            numClasses = classes.asInt();
        }
        JsonNode arch = present(root, "architecture");
        String architecture = arch != null && arch.isTextual() ? arch.asText() : null;

        if (cropMode.equals("center") && Math.floor(size[1] / cropPct) != Math.floor(size[2] / cropPct)
                && !interpolation.equals("bilinear")) {
            notes.add(String.format(Locale.ROOT, "interpolation: bilinear, not %s: for a non-square scale size (%d x %d)"
                            + " timm's center crop resizes with ResizeKeepRatio, which it builds without the interpolation",
                    interpolation, (int) Math.floor(size[1] / cropPct), (int) Math.floor(size[2] / cropPct)));
            interpolation = "bilinear";
        }
        return new TimmDataConfig(channels, size[1], size[2], interpolation, mean, std, cropPct, cropMode, numClasses,
                architecture, List.copyOf(defaulted), List.copyOf(notes));
    }

    /** The card's input: the config's preprocessing, for the graph input {@code name}. */
    public ModelCard.Input input(String name) {
        return new ModelCard.Input(name, PreprocessSpec.Layout.NCHW.id(), channels, height, width,
                channels == 1 ? PreprocessSpec.Color.GRAYSCALE.id() : PreprocessSpec.Color.RGB.id(), null, interpolation,
                null, (double) PreprocessSpec.DEFAULT_SCALE, mean.clone(), std.clone(), null, cropPct, cropMode);
    }

    /** A key's value, or null when absent, JSON null, an empty string or an empty list (timm's "falsy"). */
    private static JsonNode present(JsonNode root, String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty()) || (v.isArray() && v.isEmpty())) {
            return null;
        }
        return v;
    }

    private static String text(JsonNode root, String key, String defaultValue, List<String> defaulted) {
        JsonNode v = present(root, key);
        if (v == null) {
            defaulted.add(key);
            return defaultValue;
        }
        return v.isTextual() ? v.asText().trim().toLowerCase(Locale.ROOT) : v.toString();
    }

    /** One value per channel; a single value applies to every channel, as resolve_data_config does. */
    private static double[] perChannel(JsonNode root, String key, double[] defaultValue, int channels, String origin,
            List<String> defaulted) {
        JsonNode v = present(root, key);
        if (v == null) {
            defaulted.add(key);
            if (channels != defaultValue.length) {
                throw new ModelException("timm config " + origin + " has no \"" + key + "\"; a " + channels
                        + "-channel model needs one (timm's default is ImageNet's, for 3 channels)");
            }
            return defaultValue.clone();
        }
        if (v.isNumber()) {
            double[] all = new double[channels];
            Arrays.fill(all, v.asDouble());
            return all;
        }
        if (!v.isArray() || (v.size() != channels && v.size() != 1)) {
            throw invalid(origin, key, v, "a list of " + channels + " numbers, one per channel");
        }
        double[] values = new double[channels];
        for (int c = 0; c < channels; c++) {
            JsonNode e = v.get(v.size() == 1 ? 0 : c);
            if (!e.isNumber() || !Double.isFinite(e.asDouble())) {
                throw invalid(origin, key, v, "a list of " + channels + " numbers, one per channel");
            }
            values[c] = e.asDouble();
        }
        return values;
    }

    private static boolean allInts(JsonNode array) {
        for (JsonNode e : array) {
            if (!e.canConvertToInt() || !e.isIntegralNumber()) {
                return false;
            }
        }
        return true;
    }

    private static void requireOneOf(String origin, String key, String value, Enum<?>[] accepted) {
        for (Enum<?> a : accepted) {
            if (a.toString().equals(value)) {
                return;
            }
        }
        throw new ModelException(String.format(Locale.ROOT, "timm config %s: \"%s\" is \"%s\"; accepted: %s", origin,
                key, value, Arrays.stream(accepted).map(Object::toString).collect(Collectors.joining(", "))));
    }

    private static ModelException invalid(String origin, String key, JsonNode value, String accepted) {
        return new ModelException(String.format(Locale.ROOT, "timm config %s: \"%s\" is %s; accepted: %s", origin, key,
                value, accepted));
    }
}
