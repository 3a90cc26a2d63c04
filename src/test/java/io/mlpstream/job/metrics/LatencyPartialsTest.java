package io.mlpstream.job.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** {@link LatencyPartials} in Flink's operator harness: windows, watermarks, late outcomes, snapshot and rescale. */
class LatencyPartialsTest {

    private static final Duration WINDOW = Duration.ofSeconds(10);

    private static LatencySample result(long decidedAtMs, long endToEndUs) {
        LatencySample s = new LatencySample();
        s.decidedAtMs = decidedAtMs;
        s.endToEndUs = endToEndUs;
        s.batchSize = 4;
        return s;
    }

    private static OneInputStreamOperatorTestHarness<LatencySample, byte[]> harness(int maxParallelism, int parallelism,
            int subtask) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new LatencyPartials(WINDOW), maxParallelism, parallelism, subtask);
    }

    private static void add(OneInputStreamOperatorTestHarness<LatencySample, byte[]> h, LatencySample s) throws Exception {
        h.processElement(s, s.decidedAtMs);
    }

    /** Output in order: summaries as "window-end-1:count/deadLetters", watermarks as "W:timestamp". */
    private static List<String> output(OneInputStreamOperatorTestHarness<LatencySample, byte[]> h) {
        List<String> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                LatencySummary summary = LatencySummary.decode((byte[]) r.getValue());
                out.add(r.getTimestamp() + ":" + summary.count() + "/" + summary.deadLetters());
            } else if (o instanceof Watermark w) {
                out.add("W:" + w.getTimestamp());
            }
        }
        return out;
    }

    @Test
    void emitsEachWindowsSummaryBeforeTheWatermarkThatClosesIt() throws Exception {
        try (OneInputStreamOperatorTestHarness<LatencySample, byte[]> h = harness(1, 1, 0)) {
            h.open();
            add(h, result(1_000, 10));
            add(h, result(9_999, 20));
            add(h, result(10_000, 30)); // the next window
            add(h, LatencySample.failure(4_000));
            h.processWatermark(new Watermark(9_998));
            h.processWatermark(new Watermark(9_999));
            add(h, result(9_000, 40)); // its window is gone: late
            add(h, result(25_000, 50));
            h.processWatermark(new Watermark(Long.MAX_VALUE)); // end of input

            assertThat(output(h)).containsExactly("W:9998", "9999:2/1", "W:9999", "19999:1/0", "29999:1/0",
                    "W:" + Long.MAX_VALUE);
            assertThat(((LatencyPartials) h.getOneInputOperator()).lateDropped()).isEqualTo(1);
        }
    }

    @Test
    void openWindowsSurviveASnapshotAndARescaleExactlyOnce() throws Exception {
        OperatorSubtaskState a;
        OperatorSubtaskState b;
        try (OneInputStreamOperatorTestHarness<LatencySample, byte[]> h0 = harness(128, 2, 0);
                OneInputStreamOperatorTestHarness<LatencySample, byte[]> h1 = harness(128, 2, 1)) {
            h0.open();
            h1.open();
            for (int i = 0; i < 30; i++) {
                add(i % 2 == 0 ? h0 : h1, result(i * 1_000L, i));
            }
            add(h1, LatencySample.failure(25_000));
            a = h0.snapshot(1, 1);
            b = h1.snapshot(1, 1);
        }
        OperatorSubtaskState atParallelismOne = AbstractStreamOperatorTestHarness.repartitionOperatorState(
                AbstractStreamOperatorTestHarness.repackageState(a, b), 128, 2, 1, 0);
        try (OneInputStreamOperatorTestHarness<LatencySample, byte[]> one = harness(128, 1, 0)) {
            one.setup();
            one.initializeState(atParallelismOne);
            one.open();
            one.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(output(one)).containsExactly("9999:10/0", "19999:10/0", "29999:10/1", "W:" + Long.MAX_VALUE);
        }
    }
}
