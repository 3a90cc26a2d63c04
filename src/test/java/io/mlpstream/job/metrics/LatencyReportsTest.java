package io.mlpstream.job.metrics;

import io.mlpstream.avro.LatencyReport;
import io.mlpstream.job.serde.LatencyReportSerializer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyReportsTest {

    private static LatencySample tagged(long e2e, int batch) {
        LatencySample r = new LatencySample();
        r.kafkaToIngestUs = 1;
        r.queueWaitUs = 2;
        r.preprocessUs = 3;
        r.inferenceUs = 4;
        r.endToEndUs = e2e;
        r.batchSize = batch;
        return r;
    }

    @Test
    void nearestRankPercentiles() {
        long[] values = new long[100];
        for (int i = 0; i < 100; i++) {
            values[i] = 100 - i; // 1..100, unsorted
        }
        Percentiles p = new Percentiles(values, 100);
        assertThat(p.at(50)).isEqualTo(50);
        assertThat(p.at(95)).isEqualTo(95);
        assertThat(p.at(99)).isEqualTo(99);
        assertThat(p.max()).isEqualTo(100);
        assertThat(new Percentiles(new long[0], 0).at(99)).isZero();
    }

    @Test
    void aWindowReportCountsResultsDeadLettersAndBatchSizes() throws Exception {
        LatencySummary a = new LatencySummary();
        LatencySummary b = new LatencySummary();
        for (int i = 1; i <= 60; i++) {
            a.add(tagged(i * 1000L, 4));
        }
        for (int i = 61; i <= 100; i++) {
            b.add(tagged(i * 1000L, 8));
        }
        b.add(LatencySample.failure(0));
        LatencySummary merged = LatencySummary.decode(a.encode());
        merged.merge(LatencySummary.decode(b.encode()));

        LatencyReport report = LatencyReportSerializer.decode(
                LatencyReportSerializer.encode(LatencyReports.of(merged, 10_000, 12_000, "mixer-digits")));
        assertThat(report.getCount()).isEqualTo(100);
        assertThat(report.getDeadLetters()).isEqualTo(1);
        assertThat(report.getThroughputPerSecond()).isEqualTo(50.0);
        assertThat(report.getMeanBatchSize()).isEqualTo((60 * 4 + 40 * 8) / 100.0);
        assertThat(report.getStages()).hasSize(5);
        assertThat(report.getStages().get(4).getStage()).isEqualTo("endToEnd");
        // above 2,047 µs the percentiles are the histogram's, within 0.1 %; the maximum is exact
        assertThat((double) report.getStages().get(4).getP50Us()).isCloseTo(50_000, within(50.0));
        assertThat((double) report.getStages().get(4).getP99Us()).isCloseTo(99_000, within(99.0));
        assertThat(report.getStages().get(4).getMaxUs()).isEqualTo(100_000);
        assertThat(report.getStages().get(3).getP95Us()).isEqualTo(4);
    }
}
