package io.mlpstream.job.serde;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageGuard;
import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.ImageTranslator;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.BatchOutcomes;
import io.mlpstream.testutils.BatchOutcomes.Outcome;
import io.mlpstream.testutils.PoisonPills;
import io.mlpstream.testutils.PoisonPills.Pill;
import io.mlpstream.testutils.TestEvents;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every poison pill of the input topic in one batch, through the job's {@link ImageEventImages}: each gets the fate the corpus promises. */
class PoisonPillsTest {

    @Test
    void everyPillMeetsItsFateInOneBatch() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        List<Pill> pills = new ArrayList<>(PoisonPills.corpus(digits));
        pills.addAll(PoisonPills.bombs());
        List<KafkaRecord> records = new ArrayList<>();
        for (int i = 0; i < pills.size(); i++) {
            records.add(new KafkaRecord("images", 0, i, System.currentTimeMillis(), null, pills.get(i).value(), new ArrayList<>()));
        }
        LoadedModel model = ModelSource.load(TestEvents.MODEL);
        List<Outcome> outcomes;
        try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, 1)) {
            BatchInference<KafkaRecord> inference = new BatchInference<>(lease.runner(),
                    new ImageTranslator(model.card(), new ImageDecoder(new ImageGuard()), 3),
                    new ImageEventImages(model.card().name()), pills.size(), BatchInference::nowEpochMicros);
            outcomes = BatchOutcomes.run(inference, records);
        }
        for (int i = 0; i < pills.size(); i++) {
            Pill pill = pills.get(i);
            Outcome o = outcomes.get(i);
            System.out.println(pill + ": " + (o.classified() ? o.classification().topLabel() : o.error().getMessage()));
            if (pill.fate() == PoisonPills.Fate.TAGGED) {
                assertThat(o.classified()).as("%s: %s", pill, o).isTrue();
                if (pill.digit() >= 0) {
                    String expected = TestEvents.referenceLabels(List.of(digits.png(pill.digit()))).get(0);
                    assertThat(o.classification().topLabel()).as(pill.name()).isEqualTo(expected);
                }
            } else {
                assertThat(o.classified()).as("%s: %s", pill, o).isFalse();
                assertThat(o.stage()).as(pill.name()).isEqualTo(pill.stage());
                assertThat(o.error().getMessage()).as(pill.name()).contains(pill.messagePart());
            }
        }
        assertThat(SharedSessions.openSessions()).isZero();
    }
}
