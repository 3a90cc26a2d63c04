package io.mlpstream.job;

import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.OnnxSignature;
import io.mlpstream.core.model.TimmDataConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code card from-timm-config}: writes the {@code model.json} of an exported timm model from its data config
 * (preprocessing), its ONNX file (input and output names and shapes, file name, sha256) and a labels file, beside the
 * ONNX file, checked as the job checks a card before it loads one.
 */
final class CardCommand implements Command {
    static final String FROM_TIMM_CONFIG = "from-timm-config";
    static final String ONNX = "onnx";
    static final String LABELS = "labels";
    static final String NAME = "name";
    static final String OUTPUT = "output";
    static final String OUTPUT_KIND = "output-kind";
    static final String FORCE = "force";
    static final String CARD_FILE = "model.json";

    @Override
    public String name() {
        return "card";
    }

    @Override
    public String usage() {
        return FROM_TIMM_CONFIG + " CONFIG.json --onnx FILE --labels FILE --name NAME [--output NAME]"
                + " [--output-kind logits|probabilities] [--force]";
    }

    @Override
    public String description() {
        return "Writes model.json beside the ONNX file of an exported timm model. CONFIG.json is the dict"
                + " timm.data.resolve_data_config (or the model's pretrained_cfg) returns, written with json.dump: input"
                + " size, interpolation, mean/std, crop_pct, crop_mode. The input and output names and shapes come from"
                + " the ONNX graph (--output names the output when there are several); the labels file holds one class"
                + " name per line, in output order; --output-kind is logits (default: the job applies a softmax) or"
                + " probabilities (the graph ends in one). --force overwrites an existing model.json.";
    }

    @Override
    public List<String> valueFlags() {
        return List.of(ONNX, LABELS, NAME, OUTPUT, OUTPUT_KIND);
    }

    @Override
    public List<String> switches() {
        return List.of(FORCE);
    }

    @Override
    public int run(CommandLine cl, PrintStream out) {
        List<String> args = cl.arguments();
        if (args.isEmpty() || !args.get(0).equals(FROM_TIMM_CONFIG)) {
            throw new ConfigException("'card' needs what to write a card from: " + FROM_TIMM_CONFIG
                    + (args.isEmpty() ? "" : ", got '" + args.get(0) + "'") + ". Usage: mlpstream card " + usage());
        }
        if (args.size() != 2) {
            throw new ConfigException("'card " + FROM_TIMM_CONFIG + "' takes one timm config file, got "
                    + (args.size() - 1) + " (" + String.join(" ", args.subList(1, args.size())) + "). Usage: mlpstream card "
                    + usage());
        }
        Path configPath = Path.of(args.get(1));
        Path onnxPath = Path.of(required(cl, ONNX));
        Path labelsPath = Path.of(required(cl, LABELS));
        String name = required(cl, NAME);
        String kind = cl.flag(OUTPUT_KIND, "logits");
        if (!kind.equals("logits") && !kind.equals("probabilities")) {
            throw new ConfigException("--" + OUTPUT_KIND + " is '" + kind + "'; accepted: logits (the graph ends in a"
                    + " Linear layer), probabilities (it ends in a softmax).");
        }

        TimmDataConfig config = TimmDataConfig.parse(read(configPath), configPath.toString());
        byte[] onnx = read(onnxPath);
        OnnxSignature signature = OnnxSignature.read(onnx, onnxPath.toString());
        OnnxSignature.Port input = input(signature, config, onnxPath);
        OnnxSignature.Port output = output(signature, cl.flag(OUTPUT, null), onnxPath);
        List<String> labels = labels(labelsPath, output, config, onnxPath);

        Path cardPath = onnxPath.toAbsolutePath().resolveSibling(CARD_FILE);
        String description = (config.architecture() != null ? config.architecture() : "a timm model")
                + " exported to ONNX; preprocessing from the timm data config " + configPath.getFileName();
        ModelCard card = new ModelCard(name, null, config.architecture(), description,
                onnxPath.getFileName().toString(), ModelSource.sha256(onnx), null, config.input(input.name()),
                new ModelCard.Output(output.name(), kind), labels, null, null, null, null);
        byte[] json = card.toJson();
        LoadedModel checked = ModelSource.verified(ModelCard.parse(json, cardPath.toString()), onnx, onnxPath.toString(),
                cardPath.toString());
        if (Files.exists(cardPath) && !cl.has(FORCE)) {
            throw new ConfigException(cardPath + " exists; add --" + FORCE + " to overwrite it.");
        }
        write(cardPath, json);

        ModelCard.Input in = checked.card().input();
        out.printf(Locale.ROOT, "Wrote %s: %s, input '%s' [N, %d, %d, %d], %s, crop_pct %s (%s), mean %s, std %s;"
                        + " output '%s' (%s, %d labels).%n", cardPath, name, in.name(), in.channels(), in.height(),
                in.width(), in.interpolation(), in.cropPct(), in.cropMode(), Arrays.toString(in.mean()),
                Arrays.toString(in.std()), output.name(), kind, labels.size());
        if (!config.defaulted().isEmpty()) {
            out.println("Not in " + configPath.getFileName() + ", so timm's defaults: "
                    + String.join(", ", config.defaulted()) + ".");
        }
        for (String note : config.notes()) {
            out.println("Note: " + note + ".");
        }
        return 0;
    }

    private static String required(CommandLine cl, String flag) {
        String v = cl.flag(flag, null);
        if (v == null || v.isBlank()) {
            throw new ConfigException("'card " + FROM_TIMM_CONFIG + "' needs --" + flag + ". Usage: mlpstream card "
                    + new CardCommand().usage());
        }
        return v;
    }

    /** The graph's one image input, as the config describes it. */
    private static OnnxSignature.Port input(OnnxSignature signature, TimmDataConfig config, Path onnxPath) {
        if (signature.inputs().size() != 1) {
            throw new ConfigException(onnxPath + " has " + signature.inputs().size() + " inputs " + signature.inputs()
                    + "; a card feeds one image tensor [N, C, H, W]: export the model with one input.");
        }
        OnnxSignature.Port input = signature.inputs().get(0);
        long[] want = {-1, config.channels(), config.height(), config.width()};
        boolean ok = input.shape() != null && input.shape().length == 4 && "FLOAT".equals(input.type());
        for (int i = 1; ok && i < 4; i++) {
            ok = input.shape()[i] < 0 || input.shape()[i] == want[i];
        }
        if (!ok) {
            throw new ConfigException(String.format(Locale.ROOT, "%s's input is %s but the timm config's input_size is"
                            + " [%d, %d, %d]: a float32 [N, %d, %d, %d] input is needed; export at that size or use the"
                            + " config of this export.", onnxPath, input, config.channels(), config.height(),
                    config.width(), config.channels(), config.height(), config.width()));
        }
        return input;
    }

    private static OnnxSignature.Port output(OnnxSignature signature, String wanted, Path onnxPath) {
        if (wanted == null) {
            if (signature.outputs().size() != 1) {
                throw new ConfigException(onnxPath + " has " + signature.outputs().size() + " outputs "
                        + signature.outputs() + "; name the one to read with --" + OUTPUT + " NAME.");
            }
            return signature.outputs().get(0);
        }
        return signature.outputs().stream().filter(p -> p.name().equals(wanted)).findFirst()
                .orElseThrow(() -> new ConfigException("--" + OUTPUT + " is '" + wanted + "' but " + onnxPath
                        + "'s outputs are " + signature.outputs() + "."));
    }

    /** One label per line; their count must be the output's class count (and the config's num_classes). */
    private static List<String> labels(Path labelsPath, OnnxSignature.Port output, TimmDataConfig config,
            Path onnxPath) {
        List<String> lines = new ArrayList<>(new String(read(labelsPath), StandardCharsets.UTF_8).lines().toList());
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                throw new ConfigException(labelsPath + " line " + (i + 1) + " is empty: one class name per line, in"
                        + " output order.");
            }
            lines.set(i, lines.get(i).strip());
        }
        if (lines.isEmpty()) {
            throw new ConfigException(labelsPath + " holds no labels: one class name per line, in output order.");
        }
        long[] shape = output.shape();
        if (shape == null || shape.length != 2 || !"FLOAT".equals(output.type())) {
            throw new ConfigException(onnxPath + "'s output is " + output + "; a card reads float32 [N, classes].");
        }
        if (shape[1] > 0 && shape[1] != lines.size()) {
            throw new ConfigException(String.format(Locale.ROOT, "%s holds %d labels but %s's output %s has %d"
                    + " classes: one label per class, in output order.", labelsPath, lines.size(), onnxPath, output,
                    shape[1]));
        }
        if (config.numClasses() != null && config.numClasses() != lines.size()) {
            throw new ConfigException(String.format(Locale.ROOT, "%s holds %d labels but the timm config's num_classes"
                    + " is %d: one label per class, in output order.", labelsPath, lines.size(), config.numClasses()));
        }
        return List.copyOf(lines);
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ConfigException("Cannot read " + path + ": " + e.getMessage());
        }
    }

    private static void write(Path path, byte[] json) {
        Path temp = path.resolveSibling(path.getFileName() + ".partial");
        try {
            Files.write(temp, json);
            Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ConfigException("Cannot write " + path + ": " + e);
        }
    }
}
