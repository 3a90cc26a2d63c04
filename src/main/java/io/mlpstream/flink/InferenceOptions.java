package io.mlpstream.flink;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * The inference operator's options, each with its default and what it means, in one place. The same keys configure the
 * DataStream API ({@link ImageInference.Builder#configure}), the Kafka job (its YAML file and {@code --set}) and the SQL
 * model provider ({@code CREATE MODEL ... WITH (...)}). Each has a builder method of the same name in camel case
 * ({@code batch.max-size} is {@code batchMaxSize}).
 */
public final class InferenceOptions {
    private InferenceOptions() {}

    public static final ConfigOption<String> MODEL_NAME = ConfigOptions.key("model.name")
            .stringType()
            .defaultValue("mixer-digits")
            .withDescription("A bundled model's name, or a directory holding model.json and the ONNX file it names "
                    + "(the same path on the client and on every TaskManager).");
    public static final ConfigOption<String> MODEL_DEVICE = ConfigOptions.key("model.device")
            .stringType()
            .defaultValue("auto")
            .withDescription("auto (a GPU when the gpu build finds one, else the CPU; with Flink's external resource "
                    + "'gpu', the GPUs Flink assigned the TaskManager, spread over its subtasks), cpu, or cuda:N (fail "
                    + "rather than fall back; with Flink's GPUs, one of them).");
    public static final ConfigOption<Integer> MODEL_INTRA_OP_THREADS = ConfigOptions.key("model.intra-op-threads")
            .intType()
            .defaultValue(1)
            .withDescription("ONNX Runtime threads per model run; 0 = one per core. Every subtask runs up to "
                    + "batch.max-in-flight batches at once on the shared session: keep parallelism per TaskManager x "
                    + "batch.max-in-flight x threads near the TaskManager's cores.");

    public static final ConfigOption<Integer> BATCH_MAX_SIZE = ConfigOptions.key("batch.max-size")
            .intType()
            .defaultValue(32)
            .withDescription("A batch is due as soon as it holds this many images.");
    public static final ConfigOption<Duration> BATCH_MAX_DELAY = ConfigOptions.key("batch.max-delay")
            .durationType()
            .defaultValue(Duration.ofMillis(10))
            .withDescription("...or this long after its first image arrived, whichever comes first. The latency a "
                    + "record may spend waiting for company; under load batches fill before it passes.");
    public static final ConfigOption<Integer> BATCH_MAX_IN_FLIGHT = ConfigOptions.key("batch.max-in-flight")
            .intType()
            .defaultValue(2)
            .withDescription("Batches in the model at once per subtask. A due batch starts when one of these slots is "
                    + "free; while all are busy it keeps growing up to batch.max-size (dynamic batching). 2 overlaps "
                    + "one batch's decoding and results with another's model run, which suits models that are cheap "
                    + "next to the work around them; use 1 for compute-bound models when parallelism x "
                    + "batch.max-in-flight would exceed the cores.");
    public static final ConfigOption<Boolean> BATCH_PREPROCESS_AHEAD = ConfigOptions.key("batch.preprocess-ahead")
            .booleanType()
            .defaultValue(false)
            .withDescription("Decode and preprocess one more batch per subtask while batch.max-in-flight batches are in "
                    + "the model, so it is ready when a slot frees (it leaves as soon as it is due instead of growing). "
                    + "For models that leave CPU cores idle while they run (a GPU); where the model already fills every "
                    + "core, the extra thread only competes with it.");

    public static final ConfigOption<Integer> ASYNC_CAPACITY = ConfigOptions.key("async.capacity")
            .intType()
            .defaultValue(0)
            .withDescription("Records in flight in the operator per subtask (in the batcher, in batches, or done and "
                    + "waiting to be emitted); they are in every checkpoint. 0 = batch.max-size x (batch.max-in-flight "
                    + "+ 1), plus batch.max-size with batch.preprocess-ahead: the least that lets batches fill.");
    public static final ConfigOption<Duration> ASYNC_TIMEOUT = ConfigOptions.key("async.timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("A record without a result after this long fails with stage timeout (a dead letter in the "
                    + "Kafka job), and is left out of its batch if that has not started.");
    public static final ConfigOption<Boolean> ASYNC_ORDERED = ConfigOptions.key("async.ordered")
            .booleanType()
            .defaultValue(false)
            .withDescription("Emit results in input order (true) or as soon as they are ready (false: lower latency).");

    public static final ConfigOption<Integer> OUTPUT_TOP_K = ConfigOptions.key("output.top-k")
            .intType()
            .defaultValue(3)
            .withDescription("Labels per result, best first.");

    public static final ConfigOption<Long> IMAGE_MAX_PIXELS = ConfigOptions.key("image.max-pixels")
            .longType()
            .defaultValue(89_478_485L)
            .withDescription("Images whose header declares more pixels fail at stage decode before any pixel is "
                    + "decoded (decompression bombs); the default is Pillow's limit.");
    public static final ConfigOption<String> IMAGE_JPEG_DECODER = ConfigOptions.key("image.jpeg-decoder")
            .stringType()
            .defaultValue("auto")
            .withDescription("auto (TurboJPEG when the TaskManager has libturbojpeg.so.0, from package libturbojpeg0: "
                    + "the same pixels as ImageIO, less CPU; else ImageIO), turbojpeg (fail without it), or imageio.");

    /** The one-line message for a value of {@code option} that does not parse, naming the option and an example. */
    public static String unparsable(ConfigOption<?> option, IllegalArgumentException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        Object example = option.defaultValue() instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : option.defaultValue();
        return "Option '" + option.key() + "' has a value that is not valid: " + root.getMessage() + " (e.g. " + option.key()
                + ": " + example + ").";
    }

    /** The key of {@code known} closest to a mistyped {@code key} (edit distance; ties go to the first in sort order). */
    public static String closest(String key, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key, k);
            if (d < bestDistance || (d == bestDistance && k.compareTo(best) < 0)) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Every option, in the order of the configuration reference. */
    public static List<ConfigOption<?>> all() {
        return List.of(
                MODEL_NAME, MODEL_DEVICE, MODEL_INTRA_OP_THREADS,
                BATCH_MAX_SIZE, BATCH_MAX_DELAY, BATCH_MAX_IN_FLIGHT, BATCH_PREPROCESS_AHEAD,
                ASYNC_CAPACITY, ASYNC_TIMEOUT, ASYNC_ORDERED,
                OUTPUT_TOP_K, IMAGE_MAX_PIXELS, IMAGE_JPEG_DECODER);
    }
}
