package io.mlpstream.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds a model by what the user wrote in the {@code model} option: a directory holding
 * {@code model.json} (+ the ONNX file it names), a path to a {@code model.json}, or the name of a model
 * bundled in the jar ({@code mlpstream/models/<name>/}). Loads the bytes and verifies them against the
 * card's sha256 and refuses external data, so no session is ever created from a model we did not check.
 */
public final class ModelSource {
    public static final String BUNDLED_ROOT = "mlpstream/models/";
    public static final String BUNDLED_INDEX = BUNDLED_ROOT + "index.txt";

    private ModelSource() {}

    /** Resolves, reads and verifies a model. Errors say what was looked for and what would be right. */
    public static LoadedModel load(String model) {
        if (model == null || model.isBlank()) {
            throw new ModelException(
                    "No model given: set 'model' to a bundled model name (" + String.join(", ", bundledNames())
                            + ") or to a directory holding model.json and its ONNX file.");
        }
        Path path = Path.of(model);
        if (Files.isDirectory(path)) {
            return fromFiles(path.resolve("model.json"));
        }
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".json")) {
            return fromFiles(path);
        }
        byte[] bundledCard = readResource(BUNDLED_ROOT + model + "/model.json");
        if (bundledCard != null) {
            String origin = "bundled:" + model;
            String cardFile = origin + "/model.json";
            ModelCard card = ModelCard.parse(bundledCard, cardFile);
            byte[] onnx = readResource(BUNDLED_ROOT + model + "/" + card.file());
            if (onnx == null) {
                throw new ModelException("Bundled model '" + model + "' has a card but no " + card.file() + " in the jar.");
            }
            return verified(card, onnx, origin, cardFile);
        }
        throw new ModelException(
                "Model '" + model + "' not found: it is neither a directory with model.json, nor a model.json file, "
                        + "nor a bundled model (bundled: " + String.join(", ", bundledNames())
                        + "). Fix the 'model' option.");
    }

    private static LoadedModel fromFiles(Path cardPath) {
        if (!Files.isRegularFile(cardPath)) {
            throw new ModelException(
                    "Model directory " + cardPath.getParent() + " has no model.json: write a model card there "
                            + "(see models/README.md) or point 'model' at a bundled model.");
        }
        byte[] cardBytes = readFile(cardPath);
        ModelCard card = ModelCard.parse(cardBytes, cardPath.toString());
        Path onnxPath = cardPath.resolveSibling(card.file());
        if (!Files.isRegularFile(onnxPath)) {
            throw new ModelException(
                    "Model card " + cardPath + " names \"file\": \"" + card.file() + "\" but " + onnxPath + " does not exist.");
        }
        return verified(card, readFile(onnxPath), cardPath.getParent().toString(), cardPath.toString());
    }

    /**
     * Checks ONNX bytes against their card: the sha256 must match and no tensor may reference external data.
     * {@code origin} names the model in the error; {@code cardFile} is the card's path as messages name it.
     */
    public static LoadedModel verified(ModelCard card, byte[] onnx, String origin, String cardFile) {
        String actual = sha256(onnx);
        if (!actual.equals(card.sha256())) {
            throw new ModelException(
                    "Model " + origin + " refused: sha256 of " + card.file() + " is " + actual + " but its card says "
                            + card.sha256() + ". The file was changed or corrupted; re-export it or fix the card.");
        }
        List<String> external = OnnxExternalData.externalReferences(onnx);
        if (!external.isEmpty()) {
            throw new ModelException(
                    "Model " + origin + " refused: it references external data (" + String.join(", ", external)
                            + "). Only self-contained ONNX files are accepted; re-export with all weights embedded.");
        }
        return new LoadedModel(card, onnx, origin, cardFile);
    }

    /** Names of the models bundled in the jar, from the bundled index. */
    public static List<String> bundledNames() {
        byte[] index = readResource(BUNDLED_INDEX);
        if (index == null) {
            return List.of();
        }
        return Arrays.stream(new String(index, StandardCharsets.UTF_8).split("\\R"))
                .map(String::strip)
                .filter(s -> !s.isEmpty() && !s.startsWith("#"))
                .toList();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }

    private static byte[] readFile(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ModelException("Cannot read " + path + ": " + e.getMessage());
        }
    }

    private static byte[] readResource(String name) {
        ClassLoader loader = ModelSource.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read bundled resource " + name, e);
        }
    }
}
