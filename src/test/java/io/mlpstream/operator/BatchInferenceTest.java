package io.mlpstream.operator;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.embedded.DigitsDataset;
import io.mlpstream.image.ImageDecoder;
import io.mlpstream.image.ImageGuard;
import io.mlpstream.image.Preprocessor;
import io.mlpstream.model.Device;
import io.mlpstream.model.LoadedModel;
import io.mlpstream.model.ModelSource;
import io.mlpstream.model.SharedSessions;
import io.mlpstream.serde.ImageEventCodec;
import io.mlpstream.serde.KafkaRecord;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One batch through the real model: each record gets exactly one outcome, in order, bad ones as dead letters. */
class BatchInferenceTest {
    private static DigitsDataset digits;
    private static LoadedModel model;
    private static SharedSessions.Lease lease;
    private static BatchInference inference;

    @BeforeAll
    static void open() throws Exception {
        digits = DigitsDataset.loadBundled();
        model = ModelSource.load("mixer-digits");
        lease = SharedSessions.acquire(model, Device.CPU, 1);
        inference = new BatchInference(lease.runner(), new ImageDecoder(new ImageGuard(10_000)),
                new Preprocessor(model.card().preprocessSpec()), 3, 32, BatchInference::nowEpochMicros);
    }

    @AfterAll
    static void close() {
        lease.close();
        assertThat(SharedSessions.openSessions()).isZero();
    }

    private static BatchItem item(long offset, byte[] value) {
        KafkaRecord r = new KafkaRecord("images", 0, offset, System.currentTimeMillis(), null, value, new ArrayList<>());
        return new BatchItem(r, System.nanoTime(), BatchInference.nowEpochMicros());
    }

    private static byte[] event(String id, byte[] image, String model) {
        return ImageEventCodec.encode(ImageEvent.newBuilder().setEventId(id).setSource("test").setCaptureTime(Instant.now())
                .setContentType("image/png").setImage(ByteBuffer.wrap(image)).setModelName(model)
                .setAttributes(Map.of("k", "v")).build());
    }

    @Test
    void aMixedBatchYieldsOneOutcomePerRecordInOrder() throws Exception {
        List<BatchItem> items = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            items.add(item(i, event("d" + i, digits.png(i * 150), null)));
        }
        items.add(3, item(100, "garbage".getBytes(StandardCharsets.UTF_8)));
        items.add(5, item(101, event("other-model", digits.png(0), "resnet50")));
        items.add(7, item(102, event("bomb", bigPng(200, 200), null)));

        Outcome[] out = inference.process(items);

        assertThat(out).hasSize(13);
        assertThat(out[3].deadLetter.stage).isEqualTo(DeadLetter.STAGE_DESERIALIZE);
        assertThat(out[5].deadLetter.stage).isEqualTo(DeadLetter.STAGE_VALIDATE);
        assertThat(out[5].deadLetter.message).contains("asks for model 'resnet50' but this job serves 'mixer-digits'");
        assertThat(out[7].deadLetter.stage).isEqualTo(DeadLetter.STAGE_DECODE);
        assertThat(out[7].deadLetter.message).contains("40000").contains("10000");
        int digit = 0;
        for (int i = 0; i < out.length; i++) {
            if (i == 3 || i == 5 || i == 7) {
                continue;
            }
            TaggedResult r = out[i].tagged;
            assertThat(r).as("outcome %d", i).isNotNull();
            assertThat(r.eventId).isEqualTo("d" + digit);
            assertThat(r.batchSize).isEqualTo(10);
            assertThat(r.labels).hasSize(3);
            assertThat(r.attributes).containsEntry("k", "v");
            // batch-of-10 answers equal batch-of-1 answers
            Outcome alone = inference.process(List.of(item(0, event("d" + digit, digits.png(digit * 150), null))))[0];
            assertThat(r.labels).containsExactly(alone.tagged.labels);
            assertThat(r.scores[0]).isCloseTo(alone.tagged.scores[0], org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(r.inferenceUs).isPositive();
            assertThat(r.endToEndUs).isGreaterThanOrEqualTo(r.inferenceUs);
            digit++;
        }
    }

    @Test
    void mostHeldOutDigitsAreRecognised() {
        List<BatchItem> items = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            items.add(item(i, event("d" + i, digits.png(i * 61), null)));
        }
        Outcome[] out = inference.process(items);
        int correct = 0;
        for (int i = 0; i < out.length; i++) {
            correct += out[i].tagged.labels[0].equals(String.valueOf(digits.label(i * 61))) ? 1 : 0;
        }
        assertThat(correct).isGreaterThanOrEqualTo(29);
    }

    @Test
    void aJpegInColourIsConvertedAndTagged() throws Exception {
        BufferedImage gray = ImageIO.read(new java.io.ByteArrayInputStream(digits.png(7)));
        BufferedImage rgb = new BufferedImage(gray.getWidth(), gray.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        rgb.getGraphics().drawImage(gray, 0, 0, null);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(rgb, "jpeg", jpeg);
        Outcome o = inference.process(List.of(item(0, event("jpeg", jpeg.toByteArray(), "mixer-digits"))))[0];
        assertThat(o.isTagged()).as("%s", o).isTrue();
        assertThat(o.tagged.labels[0]).isEqualTo(String.valueOf(digits.label(7)));
    }

    private static byte[] bigPng(int w, int h) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "png", out);
        return out.toByteArray();
    }
}
