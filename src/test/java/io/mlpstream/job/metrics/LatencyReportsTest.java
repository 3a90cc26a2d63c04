package io.mlpstream.job.metrics;

import io.mlpstream.avro.LatencyReport;
import io.mlpstream.job.serde.LatencyReportSerializer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

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
        LatencySamples a = new LatencySamples();
        LatencySamples b = new LatencySamples();
        for (int i = 1; i <= 60; i++) {
            a.add(tagged(i * 1000L, 4));
        }
        for (int i = 61; i <= 100; i++) {
            b.add(tagged(i * 1000L, 8));
        }
        b.add(LatencySample.failure(0));
        LatencySamples merged = a.merge(b);

        LatencyReport report = LatencyReportSerializer.decode(
                LatencyReportSerializer.encode(LatencyReports.of(merged, 10_000, 12_000, "mixer-digits")));
        assertThat(report.getCount()).isEqualTo(100);
        assertThat(report.getDeadLetters()).isEqualTo(1);
        assertThat(report.getThroughputPerSecond()).isEqualTo(50.0);
        assertThat(report.getMeanBatchSize()).isEqualTo((60 * 4 + 40 * 8) / 100.0);
        assertThat(report.getStages()).hasSize(5);
        assertThat(report.getStages().get(4).getStage()).isEqualTo("endToEnd");
        assertThat(report.getStages().get(4).getP50Us()).isEqualTo(50_000);
        assertThat(report.getStages().get(4).getP99Us()).isEqualTo(99_000);
        assertThat(report.getStages().get(4).getMaxUs()).isEqualTo(100_000);
        assertThat(report.getStages().get(3).getP95Us()).isEqualTo(4);
    }
}
