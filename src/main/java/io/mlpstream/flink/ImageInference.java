package io.mlpstream.flink;

import io.mlpstream.core.image.JpegDecoding;
import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.ModelPreflight;
import io.mlpstream.core.model.ModelSource;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Micro-batched ONNX Runtime image classification for any {@link DataStream}: elements are grouped into batches (by
 * size, or a delay after a batch's first element), each batch is decoded, preprocessed as the model's card says and run
 * in ONE model run on a session shared by all subtasks of a TaskManager, and every element comes out as a {@link
 * Prediction} — or, on the {@link #failures()} side output, as an {@link InferenceFailure}. Elements in flight are in
 * Flink's checkpoints (Flink's async I/O operator holds them), so with a transactional sink the results are exactly
 * once through failures and restarts.
 *
 * <pre>{@code
 * ImageInference<MyEvent> inference = ImageInference.<MyEvent>builder()
 *         .modelName("mixer-digits")                 // a bundled model, or a directory with model.json
 *         .imageBytes(MyEvent::getJpeg)              // encoded PNG or JPEG
 *         .batching(32, Duration.ofMillis(10))
 *         .build();
 * SingleOutputStreamOperator<Prediction<MyEvent>> predictions = inference.apply(events);
 * DataStream<InferenceFailure<MyEvent>> failures = predictions.getSideOutput(inference.failures());
 * }</pre>
 *
 * <p>Every setting is an {@link InferenceOptions} option with a builder method of the same name in camel case;
 * {@link Builder#build()} checks them together and names the option that is wrong.
 */
public final class ImageInference<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The operators' uid unless {@link Builder#uid} says otherwise. */
    public static final String DEFAULT_UID = "mlpstream-inference";
    /** The operator's name in the job graph, the web UI and metric scopes unless {@link Builder#name} says otherwise. */
    public static final String DEFAULT_NAME = "mlpstream inference";

    private final InferenceSettings settings;
    private final ImageBytes<T> imageBytes;
    private final String uid;
    private final String name;
    private transient OutputTag<InferenceFailure<T>> failures;

    private ImageInference(InferenceSettings settings, ImageBytes<T> imageBytes, String uid, String name) {
        this.settings = settings;
        this.imageBytes = imageBytes;
        this.uid = uid;
        this.name = name;
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** A builder that starts from validated settings (e.g. the Kafka job's, read from its options). */
    public static <T> Builder<T> builder(InferenceSettings settings) {
        Builder<T> b = new Builder<>();
        b.modelName = settings.modelName();
        b.modelDevice = settings.modelDevice();
        b.modelIntraOpThreads = settings.modelIntraOpThreads();
        b.batchMaxSize = settings.batchMaxSize();
        b.batchMaxDelay = settings.batchMaxDelay();
        b.batchMaxInFlight = settings.batchMaxInFlight();
        b.batchPreprocessAhead = settings.batchPreprocessAhead();
        b.asyncCapacity = settings.asyncCapacity();
        b.asyncTimeout = settings.asyncTimeout();
        b.asyncOrdered = settings.asyncOrdered();
        b.outputTopK = settings.outputTopK();
        b.imageMaxPixels = settings.imageMaxPixels();
        b.imageJpegDecoder = settings.imageJpegDecoder();
        return b;
    }

    public InferenceSettings settings() {
        return settings;
    }

    /**
     * Adds the operator to {@code input}'s job: Flink's async I/O operator (uid {@code <uid>}) running the micro-batching
     * function, then a chained split (uid {@code <uid>-failures}) that sends failures to {@link #failures()}. Loads,
     * verifies (card, checksum) and opens the model here first and holds its card against the graph ({@link
     * ModelPreflight}), so a model that is missing, tampered or contradicts its card fails before the job is submitted,
     * with one line per problem.
     *
     * @throws io.mlpstream.core.model.ModelException naming the file and the field to fix
     */
    public SingleOutputStreamOperator<Prediction<T>> apply(DataStream<T> input) {
        ModelPreflight.check(ModelSource.load(settings.modelName()), settings.batchMaxSize());
        TypeInformation<T> elementType = input.getType();
        failures = new OutputTag<>(uid + "-failures", InferenceFailure.typeInfo(elementType));
        BatchingInferenceFunction<T> function = new BatchingInferenceFunction<>(settings, imageBytes);
        long timeoutMs = settings.asyncTimeout().toMillis();
        SingleOutputStreamOperator<Outcome<T>> outcomes = settings.asyncOrdered()
                ? AsyncDataStream.orderedWait(input, function, timeoutMs, TimeUnit.MILLISECONDS, settings.asyncCapacity())
                : AsyncDataStream.unorderedWait(input, function, timeoutMs, TimeUnit.MILLISECONDS, settings.asyncCapacity());
        outcomes.returns(Outcome.typeInfo(elementType)).uid(uid).name(name);
        return outcomes.process(new OutcomeSplitter<>(failures), Prediction.typeInfo(elementType))
                .uid(uid + "-failures")
                .name(name + ": failures");
    }

    /** The side output of {@link #apply}'s stream that carries the failures. Call after {@link #apply}. */
    public OutputTag<InferenceFailure<T>> failures() {
        if (failures == null) {
            throw new IllegalStateException("failures() is the side output of the stream apply(...) returns: call apply first");
        }
        return failures;
    }

    /**
     * Settings with named defaults (those of {@link InferenceOptions}); {@link #build()} rejects bad values and
     * combinations with one line that names the option.
     */
    public static final class Builder<T> {
        private String modelName = InferenceOptions.MODEL_NAME.defaultValue();
        private Device modelDevice = Device.parse(InferenceOptions.MODEL_DEVICE.defaultValue());
        private int modelIntraOpThreads = InferenceOptions.MODEL_INTRA_OP_THREADS.defaultValue();
        private int batchMaxSize = InferenceOptions.BATCH_MAX_SIZE.defaultValue();
        private Duration batchMaxDelay = InferenceOptions.BATCH_MAX_DELAY.defaultValue();
        private int batchMaxInFlight = InferenceOptions.BATCH_MAX_IN_FLIGHT.defaultValue();
        private boolean batchPreprocessAhead = InferenceOptions.BATCH_PREPROCESS_AHEAD.defaultValue();
        private int asyncCapacity = InferenceOptions.ASYNC_CAPACITY.defaultValue();
        private Duration asyncTimeout = InferenceOptions.ASYNC_TIMEOUT.defaultValue();
        private boolean asyncOrdered = InferenceOptions.ASYNC_ORDERED.defaultValue();
        private int outputTopK = InferenceOptions.OUTPUT_TOP_K.defaultValue();
        private long imageMaxPixels = InferenceOptions.IMAGE_MAX_PIXELS.defaultValue();
        private JpegDecoding imageJpegDecoder = JpegDecoding.parse(InferenceOptions.IMAGE_JPEG_DECODER.defaultValue());
        private ImageBytes<T> imageBytes;
        private String uid = DEFAULT_UID;
        private String name = DEFAULT_NAME;

        private Builder() {}

        /** Every {@link InferenceOptions} option set in {@code config}; the others keep their current value. */
        public Builder<T> configure(ReadableConfig config) {
            read(config, InferenceOptions.MODEL_NAME, this::modelName);
            read(config, InferenceOptions.MODEL_DEVICE, v -> modelDevice(parse(InferenceOptions.MODEL_DEVICE, v, Device::parse)));
            read(config, InferenceOptions.MODEL_INTRA_OP_THREADS, this::modelIntraOpThreads);
            read(config, InferenceOptions.BATCH_MAX_SIZE, this::batchMaxSize);
            read(config, InferenceOptions.BATCH_MAX_DELAY, this::batchMaxDelay);
            read(config, InferenceOptions.BATCH_MAX_IN_FLIGHT, this::batchMaxInFlight);
            read(config, InferenceOptions.BATCH_PREPROCESS_AHEAD, this::batchPreprocessAhead);
            read(config, InferenceOptions.ASYNC_CAPACITY, this::asyncCapacity);
            read(config, InferenceOptions.ASYNC_TIMEOUT, this::asyncTimeout);
            read(config, InferenceOptions.ASYNC_ORDERED, this::asyncOrdered);
            read(config, InferenceOptions.OUTPUT_TOP_K, this::outputTopK);
            read(config, InferenceOptions.IMAGE_MAX_PIXELS, this::imageMaxPixels);
            read(config, InferenceOptions.IMAGE_JPEG_DECODER,
                    v -> imageJpegDecoder(parse(InferenceOptions.IMAGE_JPEG_DECODER, v, JpegDecoding::parse)));
            return this;
        }

        private static <V> void read(ReadableConfig config, ConfigOption<V> option, Consumer<V> setter) {
            Optional<V> value;
            try {
                value = config.getOptional(option);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(InferenceOptions.unparsable(option, e), e);
            }
            value.ifPresent(setter);
        }

        /** How to get the encoded image out of an element. Required. */
        public Builder<T> imageBytes(ImageBytes<T> imageBytes) {
            this.imageBytes = Objects.requireNonNull(imageBytes, "imageBytes");
            return this;
        }

        /** {@code model.name}: a bundled model's name, or a directory holding model.json and its ONNX file. */
        public Builder<T> modelName(String modelName) {
            this.modelName = Objects.requireNonNull(modelName, "modelName");
            return this;
        }

        public Builder<T> modelDevice(Device modelDevice) {
            this.modelDevice = Objects.requireNonNull(modelDevice, "modelDevice");
            return this;
        }

        public Builder<T> modelIntraOpThreads(int modelIntraOpThreads) {
            this.modelIntraOpThreads = modelIntraOpThreads;
            return this;
        }

        /** {@code batch.max-size} and {@code batch.max-delay} together. */
        public Builder<T> batching(int batchMaxSize, Duration batchMaxDelay) {
            return batchMaxSize(batchMaxSize).batchMaxDelay(batchMaxDelay);
        }

        public Builder<T> batchMaxSize(int batchMaxSize) {
            this.batchMaxSize = batchMaxSize;
            return this;
        }

        public Builder<T> batchMaxDelay(Duration batchMaxDelay) {
            this.batchMaxDelay = Objects.requireNonNull(batchMaxDelay, "batchMaxDelay");
            return this;
        }

        public Builder<T> batchMaxInFlight(int batchMaxInFlight) {
            this.batchMaxInFlight = batchMaxInFlight;
            return this;
        }

        public Builder<T> batchPreprocessAhead(boolean batchPreprocessAhead) {
            this.batchPreprocessAhead = batchPreprocessAhead;
            return this;
        }

        public Builder<T> asyncCapacity(int asyncCapacity) {
            this.asyncCapacity = asyncCapacity;
            return this;
        }

        public Builder<T> asyncTimeout(Duration asyncTimeout) {
            this.asyncTimeout = Objects.requireNonNull(asyncTimeout, "asyncTimeout");
            return this;
        }

        public Builder<T> asyncOrdered(boolean asyncOrdered) {
            this.asyncOrdered = asyncOrdered;
            return this;
        }

        public Builder<T> outputTopK(int outputTopK) {
            this.outputTopK = outputTopK;
            return this;
        }

        public Builder<T> imageMaxPixels(long imageMaxPixels) {
            this.imageMaxPixels = imageMaxPixels;
            return this;
        }

        public Builder<T> imageJpegDecoder(JpegDecoding imageJpegDecoder) {
            this.imageJpegDecoder = Objects.requireNonNull(imageJpegDecoder, "imageJpegDecoder");
            return this;
        }

        /** The uid of the async operator; the failure split gets {@code <uid>-failures}. Unique per job. */
        public Builder<T> uid(String uid) {
            this.uid = Objects.requireNonNull(uid, "uid");
            return this;
        }

        /** The async operator's name; it appears in metric scopes, so keep it stable. */
        public Builder<T> name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Checks the settings together; the message names the option to fix. */
        public ImageInference<T> build() {
            return new ImageInference<>(settings(), imageBytes == null ? missingImageBytes() : imageBytes, uid, name);
        }

        /** The validated settings alone, for users of the operator's pieces without a DataStream (the SQL provider). */
        public InferenceSettings settings() {
            check(!modelName.isBlank(), "model.name is empty: name a bundled model (e.g. mixer-digits) or a model directory.");
            check(batchMaxSize >= 1 && batchMaxSize <= 4096,
                    "batch.max-size=%d is out of range: use 1 to 4096 (32 is a good start).", batchMaxSize);
            check(batchMaxInFlight >= 1 && batchMaxInFlight <= 64,
                    "batch.max-in-flight=%d is out of range: use 1 to 64 (2 overlaps decoding with inference).", batchMaxInFlight);
            check(!batchMaxDelay.isNegative(), "batch.max-delay=%s must not be negative.", batchMaxDelay);
            int minCapacity = InferenceSettings.minAsyncCapacity(batchMaxSize, batchMaxInFlight, batchPreprocessAhead);
            check(asyncCapacity == 0 || asyncCapacity >= minCapacity,
                    "async.capacity=%d is too small for batch.max-size=%d with batch.max-in-flight=%d: a batch could never fill "
                            + "and every batch would wait for batch.max-delay. Use at least %d (batch.max-size x "
                            + "(batch.max-in-flight + 1, + 1 more with batch.preprocess-ahead)), or 0 for that automatically.",
                    asyncCapacity, batchMaxSize, batchMaxInFlight, minCapacity);
            check(asyncTimeout.compareTo(batchMaxDelay) > 0,
                    "async.timeout=%s must exceed batch.max-delay=%s plus the time of %d batches in the model; otherwise "
                            + "records time out while they wait to be batched. Raise async.timeout (e.g. 30 s).",
                    asyncTimeout, batchMaxDelay, batchMaxInFlight);
            check(outputTopK >= 1, "output.top-k=%d must be at least 1.", outputTopK);
            check(imageMaxPixels >= 1, "image.max-pixels=%d must be positive.", imageMaxPixels);
            check(modelIntraOpThreads >= 0, "model.intra-op-threads=%d must be 0 (one per core) or positive.", modelIntraOpThreads);
            check(!uid.isBlank(), "the operator's uid must not be empty.");
            return new InferenceSettings(modelName.strip(), modelDevice, modelIntraOpThreads, batchMaxSize, batchMaxDelay,
                    batchMaxInFlight, batchPreprocessAhead, asyncCapacity == 0 ? minCapacity : asyncCapacity, asyncTimeout,
                    asyncOrdered, outputTopK, imageMaxPixels, imageJpegDecoder);
        }

        private static <T> ImageBytes<T> missingImageBytes() {
            throw new IllegalArgumentException("imageBytes is not set: tell the builder how to get the encoded image out of "
                    + "an element, e.g. .imageBytes(MyEvent::getJpeg).");
        }

        private static <V> V parse(ConfigOption<String> option, String value, Function<String, V> parser) {
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option.key() + ": " + e.getMessage(), e);
            }
        }

        private static void check(boolean ok, String format, Object... args) {
            if (!ok) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, format, args));
            }
        }
    }
}
