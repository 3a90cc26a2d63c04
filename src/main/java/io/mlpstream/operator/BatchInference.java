package io.mlpstream.operator;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.image.ImageDecoder;
import io.mlpstream.image.ImageRejectedException;
import io.mlpstream.image.Preprocessor;
import io.mlpstream.model.ModelCard;
import io.mlpstream.model.ModelRunner;
import io.mlpstream.serde.ImageEventCodec;
import io.mlpstream.serde.KafkaRecord;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One micro-batch from Kafka records to outcomes: Avro decode → image guard + decode → preprocess
 * straight into the batch's direct buffer → ONE model run → softmax/top-k. Every record yields
 * exactly one outcome, in input order; a record that fails any stage becomes a dead letter with that
 * stage and the reason, and never fails the batch. No Flink in here: the async function is only glue.
 *
 * <p>Thread-safe: each worker thread gets its own reusable batch buffer. {@link #process} is
 * {@link #prepare} then {@link #infer}; calling them apart lets a thread preprocess its batch while
 * other threads' batches are in the model.
 */
public final class BatchInference {
    private final ModelRunner runner;
    private final ModelCard card;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final TopK topK;
    private final int maxBatchSize;
    private final LongSupplier epochMicros;
    private final ThreadLocal<FloatBuffer> buffers;

    public BatchInference(
            ModelRunner runner, ImageDecoder decoder, Preprocessor preprocessor, int topK, int maxBatchSize, LongSupplier epochMicros) {
        this.runner = runner;
        this.card = runner.card();
        this.decoder = decoder;
        this.preprocessor = preprocessor;
        this.topK = new TopK(card.labels(), topK, card.output().isLogits());
        this.maxBatchSize = maxBatchSize;
        this.epochMicros = epochMicros;
        this.buffers = ThreadLocal.withInitial(() -> preprocessor.newBatchBuffer(maxBatchSize));
    }

    /** Wall clock in epoch microseconds. */
    public static long nowEpochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** Processes one batch; the result has one outcome per item, in the same order. */
    public Outcome[] process(List<BatchItem> items) {
        return infer(prepare(items));
    }

    /**
     * A batch decoded and preprocessed into this thread's batch buffer, ready for its model run. It must be
     * inferred ({@link #infer}) on the same thread, before that thread prepares another batch.
     */
    public static final class Prepared {
        private final List<BatchItem> items;
        private final Outcome[] outcomes;
        private final ImageEvent[] events;
        private final int[] slots;
        private final FloatBuffer batch;
        private final int good;
        private final long start;
        private final long preprocessed;

        private Prepared(List<BatchItem> items, Outcome[] outcomes, ImageEvent[] events, int[] slots, FloatBuffer batch,
                int good, long start, long preprocessed) {
            this.items = items;
            this.outcomes = outcomes;
            this.events = events;
            this.slots = slots;
            this.batch = batch;
            this.good = good;
            this.start = start;
            this.preprocessed = preprocessed;
        }

        /** Images that reached the batch buffer (the rest are already dead letters). */
        public int images() {
            return good;
        }
    }

    /**
     * The CPU half of a batch: Avro decode, validation, image decode and preprocessing into this thread's
     * batch buffer. Records that fail here already carry their dead letter.
     */
    public Prepared prepare(List<BatchItem> items) {
        int n = items.size();
        if (n > maxBatchSize) {
            throw new IllegalArgumentException("batch of " + n + " exceeds maxBatchSize " + maxBatchSize);
        }
        long start = System.nanoTime();
        Outcome[] outcomes = new Outcome[n];
        ImageEvent[] events = new ImageEvent[n];
        int[] slots = new int[n];
        FloatBuffer batch = buffers.get();
        int good = 0;
        for (int i = 0; i < n; i++) {
            KafkaRecord record = items.get(i).record();
            slots[i] = -1;
            ImageEvent event;
            try {
                event = ImageEventCodec.decode(record.value);
            } catch (ImageEventCodec.UndecodableEventException e) {
                outcomes[i] = Outcome.deadLetter(DeadLetter.of(record, DeadLetter.STAGE_DESERIALIZE, e));
                continue;
            }
            String asked = event.getModelName();
            if (asked != null && !asked.isEmpty() && !asked.equals(card.name())) {
                outcomes[i] = Outcome.deadLetter(DeadLetter.of(record, DeadLetter.STAGE_VALIDATE, new IllegalArgumentException(
                        "event " + event.getEventId() + " asks for model '" + asked + "' but this job serves '" + card.name()
                                + "'; route it to a job serving that model or leave modelName empty")));
                continue;
            }
            try {
                preprocessor.writeInto(decoder.decode(bytesOf(event.getImage()), preprocessor::sourceWindow), batch, good);
            } catch (ImageRejectedException e) {
                outcomes[i] = Outcome.deadLetter(DeadLetter.of(record, DeadLetter.STAGE_DECODE, e));
                continue;
            } catch (RuntimeException e) {
                outcomes[i] = Outcome.deadLetter(DeadLetter.of(record, DeadLetter.STAGE_PREPROCESS, e));
                continue;
            }
            events[i] = event;
            slots[i] = good++;
        }
        return new Prepared(items, outcomes, events, slots, batch, good, start, System.nanoTime());
    }

    /**
     * The model half: ONE run over the prepared images, then softmax/top-k. Time between {@link #prepare}
     * and this call (waiting for a free inference slot) counts as queue wait.
     */
    public Outcome[] infer(Prepared p) {
        List<BatchItem> items = p.items;
        Outcome[] outcomes = p.outcomes;
        int n = items.size();
        long inferStart = System.nanoTime();
        float[] output = null;
        Exception inferenceError = null;
        if (p.good > 0) {
            try {
                output = runner.run(p.batch, p.good);
            } catch (Exception e) {
                inferenceError = e;
            }
        }
        long inferred = System.nanoTime();
        long now = epochMicros.getAsLong();
        long preprocessNanos = p.preprocessed - p.start;
        for (int i = 0; i < n; i++) {
            if (p.slots[i] < 0) {
                continue;
            }
            BatchItem item = items.get(i);
            if (inferenceError != null) {
                outcomes[i] = Outcome.deadLetter(DeadLetter.of(item.record(), DeadLetter.STAGE_INFERENCE, inferenceError));
                continue;
            }
            outcomes[i] = Outcome.tagged(result(item, p.events[i], topK.top(output, p.slots[i]), p.good,
                    inferStart - item.enqueuedNanos() - preprocessNanos, preprocessNanos, inferred - inferStart, now));
        }
        return outcomes;
    }

    private TaggedResult result(
            BatchItem item, ImageEvent event, TopK.Prediction p, int batchSize,
            long queueNanos, long preprocessNanos, long inferenceNanos, long nowMicros) {
        KafkaRecord record = item.record();
        TaggedResult r = new TaggedResult();
        r.eventId = event.getEventId();
        r.source = event.getSource();
        r.captureTimeMs = event.getCaptureTime().toEpochMilli();
        r.modelName = card.name();
        r.modelVersion = card.versionOrDefault();
        r.modelSha256 = card.sha256();
        r.labels = p.labels();
        r.classIndices = p.classIndices();
        r.scores = p.scores();
        long kafkaMicros = record.timestamp * 1_000L;
        // producer and TaskManager clocks may differ: reported as measured, never clamped
        r.kafkaToIngestUs = item.ingestEpochMicros() - kafkaMicros;
        r.queueWaitUs = queueNanos / 1_000;
        r.preprocessUs = preprocessNanos / 1_000;
        r.inferenceUs = inferenceNanos / 1_000;
        r.endToEndUs = nowMicros - kafkaMicros;
        r.batchSize = batchSize;
        r.processedAtMs = nowMicros / 1_000;
        r.attributes = new HashMap<>(event.getAttributes());
        r.inputTopic = record.topic;
        r.inputPartition = record.partition;
        r.inputOffset = record.offset;
        return r;
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }
}
