package io.mlpstream.flink;

import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.core.model.ModelException;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.OnnxProtobuf;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link BatchingInferenceFunction} inside Flink's real {@code AsyncWaitOperator} (operator test harness) with the
 * bundled model and a user's own element type (a POJO): elements buffered in a partly filled batch and elements of a
 * batch that is running survive snapshot/restore exactly once; timeouts win over late results; a bad model fails
 * {@code open()} once, without restarts and without leaving a session behind.
 */
class BatchingInferenceFunctionTest {
    private static final long NO_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(10);
    private static final Duration HOLD = Duration.ofHours(1);

    private static DigitsDataset digits;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadDigits() throws IOException {
        digits = DigitsDataset.loadBundled();
    }

    @AfterEach
    void stopRecordingBatches() {
        StallFirstBatch.inferred = null;
    }

    @AfterEach
    void noSessionLeft() {
        assertThat(SharedSessions.openSessions()).as("ORT sessions left open").isZero();
    }

    /** A user's own element type: a Flink POJO with an id and PNG bytes. */
    public static class Photo {
        public String id;
        public byte[] png;

        public Photo() {}

        Photo(String id, byte[] png) {
            this.id = id;
            this.png = png;
        }
    }

    private static final ImageBytes<Photo> PNG = photo -> photo.png;

    private static InferenceSettings settings(String model, int maxBatchSize, Duration maxDelay, int inFlight) {
        return settings(model, maxBatchSize, maxDelay, inFlight, false);
    }

    private static InferenceSettings settings(String model, int maxBatchSize, Duration maxDelay, int inFlight, boolean ahead) {
        return ImageInference.<Photo>builder()
                .modelName(model)
                .modelDevice(io.mlpstream.core.model.Device.CPU)
                .batching(maxBatchSize, maxDelay)
                .batchMaxInFlight(inFlight)
                .batchPreprocessAhead(ahead)
                .asyncTimeout(maxDelay.plus(HOLD))
                .settings();
    }

    private static BatchingInferenceFunction<Photo> function(InferenceSettings settings) {
        return new BatchingInferenceFunction<>(settings, PNG);
    }

    private static BatchingInferenceFunction<Photo> function(InferenceSettings settings, InferenceEngine.BatchHook hook) {
        return new BatchingInferenceFunction<>(settings, PNG, hook);
    }

    private static OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> harness(
            BatchingInferenceFunction<Photo> function, long timeoutMs) throws Exception {
        TypeInformation<Photo> type = TypeInformation.of(Photo.class);
        assertThat(type).as("the element type is a POJO, so its in-flight elements are in checkpoints as such")
                .isInstanceOf(PojoTypeInfo.class);
        TypeSerializer<Photo> serializer = type.createSerializer(new SerializerConfigImpl());
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, timeoutMs, 64, AsyncDataStream.OutputMode.UNORDERED), serializer);
    }

    private static Photo digitRecord(int i) {
        return new Photo("digit-" + i, digits.png(i));
    }

    private static String id(Outcome<Photo> o) {
        return o.prediction != null ? o.prediction.getElement().id : o.failure.getElement().id;
    }

    private static List<String> referenceLabels(int n) {
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            images.add(digits.png(i));
        }
        return TestEvents.referenceLabels(images);
    }

    @SuppressWarnings("unchecked")
    private static List<Outcome<Photo>> outcomes(OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> h) {
        List<Outcome<Photo>> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add(((StreamRecord<Outcome<Photo>>) r).getValue());
            }
        }
        return out;
    }

    /** Blocks every batch of the first operator instance on a latch; says when the first one is held. */
    static final class LatchHook implements InferenceEngine.BatchHook {
        private static final long serialVersionUID = 1L;
        // static: the hook is serialized with the function; the test and the worker share these
        static volatile CountDownLatch entered;
        static volatile CountDownLatch release;

        static void reset() {
            entered = new CountDownLatch(1);
            release = new CountDownLatch(1);
        }

        @Override
        public void beforeInference(List<?> batch) throws InterruptedException {
            entered.countDown();
            release.await();
        }
    }

    @Test
    void recordsBufferedAndRunningAtASnapshotAreEmittedExactlyOnceAfterRestore() throws Exception {
        int maxBatch = 4;
        int running = maxBatch;
        int buffered = 3;
        int n = running + buffered;
        List<String> expected = referenceLabels(n);
        LatchHook.reset();

        OperatorSubtaskState snapshot;
        OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> first =
                harness(function(settings(TestEvents.MODEL, maxBatch, HOLD, 1), new LatchHook()), NO_TIMEOUT_MS);
        try {
            first.open();
            for (int i = 0; i < running; i++) {
                first.processElement(new StreamRecord<>(digitRecord(i), i));
            }
            assertThat(LatchHook.entered.await(30, TimeUnit.SECONDS)).as("the full batch reached the model").isTrue();
            for (int i = running; i < n; i++) {
                first.processElement(new StreamRecord<>(digitRecord(i), i)); // a partly filled batch, held by max-delay
            }
            snapshot = first.snapshot(1L, 1L);
            assertThat(outcomes(first)).as("nothing emitted before the snapshot").isEmpty();
        } finally {
            LatchHook.release.countDown(); // the old instance may finish its batch: its output is discarded, as after a failover
            first.close();
        }

        // a fresh instance from the snapshot, as after a failover; a short max-delay lets the remainder leave
        OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> restored =
                harness(function(settings(TestEvents.MODEL, maxBatch, Duration.ofMillis(20), 1)), NO_TIMEOUT_MS);
        List<Outcome<Photo>> out;
        try {
            restored.initializeState(snapshot);
            restored.open();
            restored.endInput();
            out = outcomes(restored);
        } finally {
            restored.close();
        }

        Map<String, Integer> seen = new HashMap<>();
        for (Outcome<Photo> o : out) {
            assertThat(o.prediction).as("outcome %s", o).isNotNull();
            seen.merge(id(o), 1, Integer::sum);
        }
        int lost = 0;
        int duplicated = 0;
        for (int i = 0; i < n; i++) {
            int count = seen.getOrDefault("digit-" + i, 0);
            lost += count == 0 ? 1 : 0;
            duplicated += Math.max(0, count - 1);
        }
        System.out.printf("%d records in flight (%d buffered, %d running) across snapshot/restore: %d emitted, %d lost, %d duplicated%n",
                n, buffered, running, out.size(), lost, duplicated);
        assertThat(lost).isZero();
        assertThat(duplicated).isZero();
        assertThat(out).hasSize(n);
        for (Outcome<Photo> o : out) {
            int i = Integer.parseInt(id(o).substring("digit-".length()));
            assertThat(o.prediction.topLabel()).as("label of %s", id(o)).isEqualTo(expected.get(i));
            assertThat(o.prediction.getElement().png).isEqualTo(digits.png(i));
        }
    }

    @Test
    void closingWithAPartlyFilledBatchDoesNotFailTheTask() throws Exception {
        OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> h =
                harness(function(settings(TestEvents.MODEL, 4, HOLD, 1)), NO_TIMEOUT_MS);
        List<Throwable> taskFailures = new ArrayList<>();
        h.getEnvironment().setExternalFailureCauseConsumer(taskFailures::add);
        h.open();
        h.processElement(new StreamRecord<>(digitRecord(0), 0));
        h.processElement(new StreamRecord<>(digitRecord(1), 1));
        // as on cancel, failover or stop-with-savepoint without drain: the two records are in the last snapshot
        h.close();
        assertThat(taskFailures)
                .as("closing the operator must not report a task failure for records still in the batcher")
                .isEmpty();
    }

    @Test
    void aTimedOutRecordIsDeadLetteredOnceItsLateResultIsDroppedAndAWaitingBatchOfThemIsNeverInferred() throws Exception {
        long timeoutMs = 1_000;
        LatchHook.reset();
        StallFirstBatch.inferred = new CopyOnWriteArrayList<>();
        OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> h =
                harness(function(settings(TestEvents.MODEL, 2, HOLD, 1), new StallFirstBatch()), timeoutMs);
        List<Outcome<Photo>> out;
        try {
            h.setProcessingTime(0);
            h.open();
            // batch 1 (digits 0, 1) stalls in the model; batch 2 (digits 2, 3) waits behind it (one batch in flight)
            for (int i = 0; i < 4; i++) {
                h.processElement(new StreamRecord<>(digitRecord(i), i));
            }
            assertThat(LatchHook.entered.await(30, TimeUnit.SECONDS)).isTrue();
            h.setProcessingTime(timeoutMs + 1); // all four time out
            LatchHook.release.countDown(); // batch 1 completes its (already completed) futures; batch 2 is skipped
            // batch 3 runs after them on the single worker: once it is out, batch 1's late completions have happened
            for (int i = 4; i < 6; i++) {
                h.processElement(new StreamRecord<>(digitRecord(i), timeoutMs + i));
            }
            h.endInput();
            out = outcomes(h);
        } finally {
            h.close();
        }
        Map<String, Outcome<Photo>> byId = new HashMap<>();
        for (Outcome<Photo> o : out) {
            assertThat(byId.put(id(o), o)).as("second outcome for %s", id(o)).isNull();
        }
        long timedOut = out.stream().filter(o -> o.prediction == null).count();
        System.out.printf("6 records, 4 stalled past the async timeout: %d dead letters (stage timeout), %d tagged, %d duplicates%n",
                timedOut, out.size() - timedOut, out.size() - byId.size());
        assertThat(out).hasSize(6);
        for (int i = 0; i < 4; i++) {
            Outcome<Photo> o = byId.get("digit-" + i);
            assertThat(o.prediction).as("digit-%s", i).isNull();
            assertThat(o.failure.getStage()).isEqualTo(Stage.TIMEOUT);
            assertThat(o.failure.getExceptionClass()).isEqualTo("java.util.concurrent.TimeoutException");
            assertThat(o.failure.getMessage()).contains("async.timeout=");
        }
        List<String> expected = referenceLabels(6);
        for (int i = 4; i < 6; i++) {
            assertThat(byId.get("digit-" + i).prediction.topLabel()).isEqualTo(expected.get(i));
        }
        assertThat(StallFirstBatch.inferred)
                .as("batch 2 timed out before it started: its records are not inferred; batch 1 was already in the model")
                .containsExactly(List.of("digit-0", "digit-1"), List.of("digit-4", "digit-5"));
    }

    @Test
    void withPreprocessAheadTheNextBatchIsPreprocessedWhileTheModelRunsOneButWaitsForIt() throws Exception {
        LatchHook.reset();
        CountingStall.reset();
        OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> h = harness(
                function(settings(TestEvents.MODEL, 2, HOLD, 1, true), new CountingStall()), NO_TIMEOUT_MS);
        List<Outcome<Photo>> out;
        long heldAfterSecondPreparedNanos;
        try {
            h.open();
            for (int i = 0; i < 2; i++) {
                h.processElement(new StreamRecord<>(digitRecord(i), i));
            }
            assertThat(LatchHook.entered.await(30, TimeUnit.SECONDS)).as("batch 1 holds the only model slot").isTrue();
            for (int i = 2; i < 6; i++) {
                h.processElement(new StreamRecord<>(digitRecord(i), i));
            }
            assertThat(CountingStall.secondPrepared.await(30, TimeUnit.SECONDS))
                    .as("batch 2 is decoded and preprocessed while batch 1 is in the model").isTrue();
            // not synchronisation: batch 1 keeps the model slot a while longer, so that batch 2's wait for it is long
            // enough to see in its queue wait (asserted against the time measured here, not against this pause)
            Thread.sleep(100);
            assertThat(CountingStall.prepared.get())
                    .as("batch 3 waits in the batcher: one batch ahead, not more").isEqualTo(2);
            assertThat(outcomes(h)).as("batch 2 waits for the model slot").isEmpty();
            heldAfterSecondPreparedNanos = System.nanoTime() - CountingStall.secondPreparedAtNanos;
            LatchHook.release.countDown();
            h.endInput();
            out = outcomes(h);
        } finally {
            LatchHook.release.countDown();
            h.close();
        }
        assertThat(CountingStall.preparedWhileFirstHeld.get())
                .as("batches preprocessed while batch 1 held the model slot: batch 1 and one ahead").isEqualTo(2);
        assertThat(CountingStall.prepared.get()).as("batches preprocessed").isEqualTo(3);
        List<String> expected = referenceLabels(6);
        assertThat(out).hasSize(6);
        for (Outcome<Photo> o : out) {
            assertThat(o.prediction).as("outcome %s", o).isNotNull();
            int i = Integer.parseInt(id(o).substring("digit-".length()));
            assertThat(o.prediction.topLabel()).as("label of %s", id(o)).isEqualTo(expected.get(i));
            if (i == 2 || i == 3) {
                // it waited at least from its preprocessing until batch 1 let go of the model
                assertThat(o.prediction.getQueueWaitUs()).as("batch 2's wait for the model slot counts as queue wait")
                        .isGreaterThanOrEqualTo(TimeUnit.NANOSECONDS.toMicros(heldAfterSecondPreparedNanos));
            }
        }
    }

    /** Holds the first batch in the model on the latch and counts preprocessed batches. */
    static final class CountingStall extends StallFirstBatch {
        private static final long serialVersionUID = 1L;
        static volatile AtomicInteger prepared;
        /** Batches preprocessed before the test released the first one from the model. */
        static volatile AtomicInteger preparedWhileFirstHeld;
        static volatile CountDownLatch secondPrepared;
        static volatile long secondPreparedAtNanos;

        static void reset() {
            prepared = new AtomicInteger();
            preparedWhileFirstHeld = new AtomicInteger();
            secondPrepared = new CountDownLatch(1);
        }

        @Override
        public void prepared(List<?> batch) {
            if (LatchHook.release.getCount() > 0) {
                preparedWhileFirstHeld.incrementAndGet();
            }
            if (prepared.incrementAndGet() == 2) {
                secondPreparedAtNanos = System.nanoTime();
                secondPrepared.countDown();
            }
        }
    }

    /** Holds only the first batch on the latch; records the keys of every batch that reaches the model, if asked. */
    static class StallFirstBatch implements InferenceEngine.BatchHook {
        private static final long serialVersionUID = 1L;
        static volatile List<List<String>> inferred;
        private transient boolean stalled;

        @Override
        public void beforeInference(List<?> batch) throws InterruptedException {
            if (inferred != null) {
                inferred.add(batch.stream().map(b -> ((Photo) b).id).toList());
            }
            if (!stalled) {
                stalled = true;
                LatchHook.entered.countDown();
                LatchHook.release.await();
            }
        }
    }

    @Test
    void openRefusesAModelWhoseBytesDoNotMatchItsCard() throws Exception {
        byte[] onnx = bundled("model.onnx");
        onnx[onnx.length / 2] ^= 0x01;
        Files.write(dir.resolve("model.onnx"), onnx);
        Files.write(dir.resolve("model.json"), bundled("model.json"));
        assertOpenFails(dir, "refused: sha256 of model.onnx is " + ModelSource.sha256(onnx), "The file was changed or corrupted");
    }

    @Test
    void openRefusesAModelWithExternalData() throws Exception {
        byte[] onnx = OnnxProtobuf.model(OnnxProtobuf.tensor("w", null), OnnxProtobuf.tensor("stolen", "../secrets.bin"));
        Files.write(dir.resolve("model.onnx"), onnx);
        String card = new String(bundled("model.json"), StandardCharsets.UTF_8)
                .replaceAll("\"sha256\"\\s*:\\s*\"[0-9a-f]{64}\"", "\"sha256\": \"" + ModelSource.sha256(onnx) + "\"");
        Files.writeString(dir.resolve("model.json"), card);
        assertOpenFails(dir, "references external data (stolen -> ../secrets.bin)", "Only self-contained ONNX files are accepted");
    }

    private void assertOpenFails(Path modelDir, String... messageParts) throws Exception {
        int before = SharedSessions.openSessions();
        OneInputStreamOperatorTestHarness<Photo, Outcome<Photo>> h =
                harness(function(settings(modelDir.toString(), 4, HOLD, 1)), NO_TIMEOUT_MS);
        try {
            assertThatThrownBy(h::open)
                    .as("a model no restart can fix fails the job once, without restarts")
                    .isInstanceOf(SuppressRestartsException.class)
                    .cause()
                    .isInstanceOf(ModelException.class)
                    .hasMessageContaining(modelDir.toString())
                    .satisfies(e -> {
                        for (String part : messageParts) {
                            assertThat(e).hasMessageContaining(part);
                        }
                        System.out.println("open() refused the model: " + e.getMessage());
                    });
            assertThat(SharedSessions.openSessions()).as("sessions after the failed open").isEqualTo(before).isZero();
        } finally {
            h.close();
        }
        assertThat(SharedSessions.openSessions()).isZero();
    }

    private static byte[] bundled(String file) throws IOException {
        try (InputStream in = ModelSource.class.getClassLoader()
                .getResourceAsStream(ModelSource.BUNDLED_ROOT + TestEvents.MODEL + "/" + file)) {
            assertThat(in).as("bundled %s", file).isNotNull();
            return in.readAllBytes();
        }
    }
}
