package io.mlpstream.core.inference;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageGuard;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.BatchOutcomes;
import io.mlpstream.testutils.BatchOutcomes.Outcome;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One batch through the real model: each element gets exactly one outcome, in order; bad ones fail alone. */
class BatchInferenceTest {
    /** An element of the test: a name, and the image bytes or a failure to throw instead. */
    record Element(String name, byte[] image, Exception refusal) {}

    private static final ImageBytes<Element> IMAGE = e -> {
        if (e.refusal() != null) {
            throw e.refusal();
        }
        return e.image();
    };

    private static DigitsDataset digits;
    private static LoadedModel model;
    private static SharedSessions.Lease lease;
    private static BatchInference<Element> inference;

    @BeforeAll
    static void open() throws Exception {
        digits = DigitsDataset.loadBundled();
        model = ModelSource.load("mixer-digits");
        lease = SharedSessions.acquire(model, Device.CPU, 1);
        inference = new BatchInference<>(lease.runner(), new ImageTranslator(model.card(), new ImageDecoder(new ImageGuard(10_000)), 3),
                IMAGE, 32, BatchInference::nowEpochMicros);
    }

    @AfterAll
    static void close() {
        lease.close();
        assertThat(SharedSessions.openSessions()).isZero();
    }

    private static Element digit(int i) {
        return new Element("d" + i, digits.png(i), null);
    }

    @Test
    void aMixedBatchYieldsOneOutcomePerElementInOrder() throws Exception {
        List<Element> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(digit(i * 150));
        }
        batch.add(3, new Element("garbage", "garbage".getBytes(StandardCharsets.UTF_8), null));
        batch.add(5, new Element("refused", null, new RejectedInputException("validate", "not for this model")));
        batch.add(7, new Element("bomb", bigPng(200, 200), null));
        batch.add(9, new Element("broken", null, new IllegalStateException("no image field")));

        List<Outcome> out = BatchOutcomes.run(inference, batch);

        assertThat(out).hasSize(14);
        assertThat(out.get(3).stage()).isEqualTo(Stage.DECODE);
        assertThat(out.get(5).stage()).isEqualTo("validate");
        assertThat(out.get(5).error()).hasMessage("not for this model");
        assertThat(out.get(7).stage()).isEqualTo(Stage.DECODE);
        assertThat(out.get(7).error().getMessage()).contains("40000").contains("10000");
        assertThat(out.get(9).stage()).isEqualTo(Stage.INPUT);
        assertThat(out.get(9).error()).isInstanceOf(IllegalStateException.class).hasMessage("no image field");
        int digit = 0;
        for (int i = 0; i < out.size(); i++) {
            if (i == 3 || i == 5 || i == 7 || i == 9) {
                continue;
            }
            Outcome o = out.get(i);
            assertThat(o.classified()).as("outcome %d: %s", i, o).isTrue();
            assertThat(o.timings().batchSize()).isEqualTo(10);
            assertThat(o.classification().labels()).hasSize(3);
            // batch-of-10 answers equal batch-of-1 answers
            Outcome alone = BatchOutcomes.run(inference, List.of(digit(digit * 150))).get(0);
            assertThat(o.classification().labels()).containsExactly(alone.classification().labels());
            assertThat(o.classification().scores()[0]).isCloseTo(alone.classification().scores()[0], Offset.offset(1e-5f));
            assertThat(o.timings().inferenceNanos()).isPositive();
            assertThat(o.timings().queueWaitNanos()).isGreaterThanOrEqualTo(0);
            digit++;
        }
    }

    @Test
    void mostHeldOutDigitsAreRecognised() {
        List<Element> batch = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            batch.add(digit(i * 61));
        }
        List<Outcome> out = BatchOutcomes.run(inference, batch);
        int correct = 0;
        for (int i = 0; i < out.size(); i++) {
            correct += out.get(i).classification().topLabel().equals(String.valueOf(digits.label(i * 61))) ? 1 : 0;
        }
        assertThat(correct).isGreaterThanOrEqualTo(29);
    }

    @Test
    void aJpegInColourIsConvertedAndClassified() throws Exception {
        BufferedImage gray = ImageIO.read(new ByteArrayInputStream(digits.png(7)));
        BufferedImage rgb = new BufferedImage(gray.getWidth(), gray.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        rgb.getGraphics().drawImage(gray, 0, 0, null);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(rgb, "jpeg", jpeg);
        Outcome o = BatchOutcomes.run(inference, List.of(new Element("jpeg", jpeg.toByteArray(), null))).get(0);
        assertThat(o.classified()).as("%s", o).isTrue();
        assertThat(o.classification().topLabel()).isEqualTo(String.valueOf(digits.label(7)));
    }

    @Test
    void aBatchWhereNoImageDecodesRunsNoModelAndFailsEachElement() {
        List<Outcome> out = BatchOutcomes.run(inference, List.of(
                new Element("a", new byte[0], null), new Element("b", new byte[] {1, 2, 3}, null)));
        assertThat(out).extracting(Outcome::stage).containsExactly(Stage.DECODE, Stage.DECODE);
    }

    private static byte[] bigPng(int w, int h) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "png", out);
        return out.toByteArray();
    }
}
