package io.mlpstream.operator;

import io.mlpstream.embedded.DigitsDataset;
import io.mlpstream.image.ImageDecoder;
import io.mlpstream.image.ImageGuard;
import io.mlpstream.image.Preprocessor;
import io.mlpstream.model.Device;
import io.mlpstream.model.LoadedModel;
import io.mlpstream.model.ModelSource;
import io.mlpstream.model.SharedSessions;
import io.mlpstream.serde.KafkaRecord;
import io.mlpstream.testutils.PoisonPills;
import io.mlpstream.testutils.PoisonPills.Pill;
import io.mlpstream.testutils.TestEvents;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every poison pill in one batch of {@link BatchInference}: each gets the fate the corpus promises. */
class PoisonPillsTest {

    @Test
    void everyPillMeetsItsFateInOneBatch() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        List<Pill> pills = new ArrayList<>(PoisonPills.corpus(digits));
        pills.addAll(PoisonPills.bombs());
        List<BatchItem> items = new ArrayList<>();
        for (int i = 0; i < pills.size(); i++) {
            KafkaRecord r = new KafkaRecord("images", 0, i, System.currentTimeMillis(), null, pills.get(i).value(), new ArrayList<>());
            items.add(new BatchItem(r, System.nanoTime(), BatchInference.nowEpochMicros()));
        }
        LoadedModel model = ModelSource.load(TestEvents.MODEL);
        Outcome[] outcomes;
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, 1)) {
            BatchInference inference = new BatchInference(lease.runner(), new ImageDecoder(new ImageGuard()),
                    new Preprocessor(model.card().preprocessSpec()), 3, pills.size(), BatchInference::nowEpochMicros);
            outcomes = inference.process(items);
        }
        for (int i = 0; i < pills.size(); i++) {
            Pill pill = pills.get(i);
            Outcome o = outcomes[i];
            System.out.println(pill + ": " + (o.isTagged() ? o.tagged.topLabel() : o.deadLetter.message));
            if (pill.fate() == PoisonPills.Fate.TAGGED) {
                assertThat(o.isTagged()).as("%s: %s", pill, o).isTrue();
                if (pill.digit() >= 0) {
                    String expected = TestEvents.referenceLabels(List.of(digits.png(pill.digit()))).get(0);
                    assertThat(o.tagged.topLabel()).as(pill.name()).isEqualTo(expected);
                }
            } else {
                assertThat(o.isTagged()).as("%s: %s", pill, o).isFalse();
                assertThat(o.deadLetter.stage).as(pill.name()).isEqualTo(pill.stage());
                assertThat(o.deadLetter.message).as(pill.name()).contains(pill.messagePart());
            }
        }
        assertThat(SharedSessions.openSessions()).isZero();
    }
}
