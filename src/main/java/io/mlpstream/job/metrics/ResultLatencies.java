package io.mlpstream.job.metrics;

import io.mlpstream.flink.InferenceMetrics;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.serde.KafkaRecord;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A result's latencies for the metrics window ({@link LatencySample}), and its end-to-end latency, from the Kafka
 * record's timestamp to the result being ready, as the Flink histogram {@value #END_TO_END_US} (µs) in the operator's
 * group and variables ({@link InferenceMetrics}): in Prometheus
 * {@code flink_taskmanager_job_task_operator_mlpstream_model_version_endToEndUs{model=..., version=...}}.
 */
public final class ResultLatencies extends RichMapFunction<Prediction<KafkaRecord>, LatencySample> {
    private static final long serialVersionUID = 1L;
    /** Histogram: from the Kafka record's timestamp (its producer's, or the broker's) to the result being ready. */
    public static final String END_TO_END_US = "endToEndUs";
    private static final int HISTOGRAM_WINDOW = 4096;

    private final String modelName;
    private final String modelVersion;
    private transient Histogram endToEnd;

    public ResultLatencies(String modelName, String modelVersion) {
        this.modelName = modelName;
        this.modelVersion = modelVersion;
    }

    @Override
    public void open(OpenContext openContext) {
        endToEnd = getRuntimeContext().getMetricGroup()
                .addGroup(InferenceMetrics.GROUP)
                .addGroup(InferenceMetrics.MODEL, modelName)
                .addGroup(InferenceMetrics.VERSION, modelVersion)
                .histogram(END_TO_END_US, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    }

    @Override
    public LatencySample map(Prediction<KafkaRecord> prediction) {
        LatencySample sample = LatencySample.of(prediction);
        endToEnd.update(sample.endToEndUs);
        return sample;
    }
}
