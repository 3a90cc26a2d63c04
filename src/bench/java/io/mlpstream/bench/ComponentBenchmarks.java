package io.mlpstream.bench;

import io.mlpstream.core.image.DecodedImage;
import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageRejectedException;
import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.core.image.Preprocessor;
import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.Classification;
import io.mlpstream.core.inference.ImageTranslator;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelRunner;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.serde.ImageEventCodec;
import io.mlpstream.job.serde.KafkaRecord;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The floors of {@link CpuComponents}: what each piece of per-record work costs alone, one thread, warm, on the same
 * inputs as the ceiling run (the model's held-out digit PNGs in ImageEvents). Every score is µs per record: the batch
 * benchmarks divide by their {@value #BATCH} records ({@link OperationsPerInvocation}). Run by {@link ComponentFloors}.
 */
@State(Scope.Thread)
public class ComponentBenchmarks {
    static final int BATCH = 32;

    /** The model directory (the trivial model of the ceiling run). */
    @Param("")
    public String modelDir;

    private ModelCard card;
    private byte[][] events;
    private byte[][] images;
    private DecodedImage[] decoded;
    private ImageEventCodec codec;
    private ImageDecoder decoder;
    private Preprocessor preprocessor;
    private PreprocessSpec.ExifOrientation exif;
    private ImageTranslator translator;
    private SharedSessions.Lease lease;
    private ModelRunner runner;
    private FloatBuffer one;
    private FloatBuffer batch;
    private FloatBuffer scratch;
    private float[] output;
    private KafkaRecord record;
    private Prediction<KafkaRecord> prediction;
    private TypeSerializer<KafkaRecord> recordSerializer;
    private TypeSerializer<Prediction<KafkaRecord>> predictionSerializer;
    private TaggedImageSerializer resultSerializer;
    private ExecutorService worker;
    private final LinkedBlockingQueue<Integer> mailbox = new LinkedBlockingQueue<>();
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        LoadedModel model = ModelSource.load(modelDir);
        card = model.card();
        List<byte[]> pngs = BenchInputs.forCard(card, 64).images();
        images = pngs.toArray(new byte[0][]);
        events = new byte[images.length][];
        for (int i = 0; i < images.length; i++) {
            events[i] = TestEvents.encoded("e-" + i, images[i], "image/png", "bench");
        }
        codec = ImageEventCodec.ours();
        decoder = new ImageDecoder();
        preprocessor = new Preprocessor(card.preprocessSpec());
        exif = card.preprocessSpec().exifOrientation();
        translator = new ImageTranslator(card, decoder, 5);
        decoded = new DecodedImage[images.length];
        for (int i = 0; i < images.length; i++) {
            decoded[i] = decoder.decode(images[i], preprocessor::sourceWindow, exif);
        }
        lease = SharedSessions.acquire(model, Device.CPU, 1);
        runner = lease.runner();
        one = translator.newBatchBuffer(1);
        batch = translator.newBatchBuffer(BATCH);
        scratch = translator.newBatchBuffer(1);
        translator.writeInput(images[0], one, 0);
        for (int i = 0; i < BATCH; i++) {
            translator.writeInput(images[i % images.length], batch, i);
        }
        output = runner.run(batch, BATCH);
        record = new KafkaRecord("bench-in", 0, 12_345L, System.currentTimeMillis(), "e-0".getBytes(), events[0], new ArrayList<>());
        prediction = prediction(record, translator.classify(output, 0));
        recordSerializer = TypeInformation.of(KafkaRecord.class).createSerializer(new SerializerConfigImpl());
        predictionSerializer = Prediction.typeInfo(TypeInformation.of(KafkaRecord.class)).createSerializer(new SerializerConfigImpl());
        resultSerializer = new TaggedImageSerializer("bench-out", codec, Integer.MAX_VALUE);
        worker = Executors.newSingleThreadExecutor();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        worker.shutdownNow();
        lease.close();
    }

    private int nextIndex() {
        next = (next + 1) % images.length;
        return next;
    }

    private Prediction<KafkaRecord> prediction(KafkaRecord element, Classification c) {
        long now = System.currentTimeMillis() * 1_000;
        return Prediction.of(element, card, c, new BatchInference.Timings(BATCH, 1_000_000, 100_000, 500_000, now + 2_000), now);
    }

    /** Avro decode of one ImageEvent (single-object encoding), as the operator and the results serializer do. */
    @Benchmark
    public Object avroDecode() throws Exception {
        return codec.decode(events[nextIndex()]);
    }

    /** Header guard + decode of one 28×28 PNG digit (ImageIO), the pixels the preprocessing needs. */
    @Benchmark
    public Object imageDecode() throws ImageRejectedException {
        return decoder.decode(images[nextIndex()], preprocessor::sourceWindow, exif);
    }

    /** Preprocessing of one decoded digit into a slot of the batch tensor. */
    @Benchmark
    public Object preprocess() {
        preprocessor.writeInto(decoded[nextIndex()], scratch, 0);
        return scratch;
    }

    /** Guard, decode and preprocess of one PNG, the operator's whole CPU half per image. */
    @Benchmark
    public Object decodeAndPreprocess() throws ImageRejectedException {
        translator.writeInput(images[nextIndex()], scratch, 0);
        return scratch;
    }

    /** One ONNX Runtime run of the model on one image. */
    @Benchmark
    public float[] ortRunBatch1() throws Exception {
        return runner.run(one, 1);
    }

    /** One ONNX Runtime run on {@value #BATCH} images, per image. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[] ortRunBatch32() throws Exception {
        return runner.run(batch, BATCH);
    }

    /** Top-k of one output row and the Prediction the operator emits for it. */
    @Benchmark
    public Object resultBuilding() {
        return prediction(record, translator.classify(output, nextIndex() % BATCH));
    }

    /** Flink's copy of one KafkaRecord (PojoSerializer), as between chained operators without object reuse. */
    @Benchmark
    public Object kafkaRecordCopy() {
        return recordSerializer.copy(record);
    }

    /** Flink's copy of one Prediction&lt;KafkaRecord&gt; (its KafkaRecord included). */
    @Benchmark
    public Object predictionCopy() {
        return predictionSerializer.copy(prediction);
    }

    /** The results topic's serializer on one prediction: it decodes the event again, builds and encodes a TaggedImage. */
    @Benchmark
    public ProducerRecord<byte[], byte[]> resultSerializer() {
        return resultSerializer.serialize(prediction, null, System.currentTimeMillis());
    }

    /**
     * {@value #BATCH} records through futures and two thread hand-offs, per record: each gets a CompletableFuture whose
     * completion a worker thread runs for the whole batch, and each completion is handed back to this thread through a
     * queue (the async operator's mailbox), as one micro-batch does.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int futureHandOff() throws InterruptedException {
        List<CompletableFuture<Integer>> futures = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            f.thenAccept(mailbox::add);
            futures.add(f);
        }
        worker.execute(() -> {
            for (int i = 0; i < futures.size(); i++) {
                futures.get(i).complete(i);
            }
        });
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += mailbox.take();
        }
        return sum;
    }
}
