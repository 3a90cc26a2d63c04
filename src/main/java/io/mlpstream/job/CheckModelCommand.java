package io.mlpstream.job;

import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelPreflight;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.flink.InferenceOptions;
import io.mlpstream.flink.InferenceSettings;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * {@code check-model}: what the job checks before submission and every TaskManager when it opens the model, on its own:
 * the card, the checksum, and the card held against the graph in an ONNX Runtime session ({@link ModelPreflight}).
 */
final class CheckModelCommand implements Command {
    @Override
    public String name() {
        return "check-model";
    }

    @Override
    public String usage() {
        return "DIR|model.json|BUNDLED_NAME [--config FILE] [--set key=value]...";
    }

    @Override
    public String description() {
        return "Loads a model as the job does (model.json and the ONNX file it names, sha256, no external data), opens "
                + "it in ONNX Runtime on the CPU and checks every field of the card against the graph: input and output "
                + "names, float32, shape and rank, channels and size, one label per class, the preprocessing, the batch "
                + "dimension against batch.max-size, and one run of blank images. Prints the model and OK, or one line "
                + "per problem naming the file and the field (exit code 2). Without DIR it checks the job's model.name "
                + "(from --config / --set).";
    }

    @Override
    public int run(CommandLine cl, PrintStream out) {
        if (cl.arguments().size() > 1) {
            throw new ConfigException("'check-model' takes one model (a directory, a model.json or a bundled name), got "
                    + cl.arguments() + ".");
        }
        InferenceSettings settings = InferenceJobSpec.from(cl.jobConfig()).inference();
        String model = cl.arguments().isEmpty() ? settings.modelName() : cl.arguments().get(0);
        LoadedModel loaded = ModelSource.load(model);
        ModelPreflight.check(loaded, settings.batchMaxSize());
        ModelCard card = loaded.card();
        ModelCard.Input in = card.input();
        out.printf(Locale.ROOT, "%s v%s%s from %s%n", card.name(), card.versionOrDefault(),
                card.architecture() == null ? "" : " (" + card.architecture() + ")", loaded.cardFile());
        PreprocessSpec spec = card.preprocessSpec();
        out.printf(Locale.ROOT, "  input   %s: %s %d x %d, shorter side resized to %d (%s%s), center crop%n", in.name(),
                spec.color(), spec.height(), spec.width(), spec.resize(), spec.interpolation(),
                spec.antialias() ? ", antialiased" : "");
        out.printf(Locale.ROOT, "  output  %s: %s over %d labels (%s)%n", card.output().name(),
                card.output().isLogits() ? "logits" : "probabilities", card.labels().size(), labels(card.labels()));
        out.printf(Locale.ROOT, "OK: the card matches %s (checked in ONNX Runtime, %s=%d)%n", loaded.onnxFile(),
                InferenceOptions.BATCH_MAX_SIZE.key(), settings.batchMaxSize());
        return 0;
    }

    private static String labels(List<String> labels) {
        return labels.size() <= 5 ? String.join(", ", labels)
                : String.join(", ", labels.subList(0, 3)) + ", ..., " + labels.get(labels.size() - 1);
    }
}
