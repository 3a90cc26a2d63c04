package io.mlpstream.job.metrics;

import io.mlpstream.job.serde.LatencyReportSerializer;

import org.apache.flink.streaming.api.functions.windowing.ProcessAllWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Turns a window's samples into an encoded {@code LatencyReport}. */
public final class LatencyReportFunction extends ProcessAllWindowFunction<LatencySamples, byte[], TimeWindow> {
    private static final long serialVersionUID = 1L;

    private final String modelName;

    public LatencyReportFunction(String modelName) {
        this.modelName = modelName;
    }

    @Override
    public void process(Context context, Iterable<LatencySamples> elements, Collector<byte[]> out) {
        for (LatencySamples samples : elements) {
            TimeWindow w = context.window();
            out.collect(LatencyReportSerializer.encode(LatencyReports.of(samples, w.getStart(), w.getEnd(), modelName)));
        }
    }
}
