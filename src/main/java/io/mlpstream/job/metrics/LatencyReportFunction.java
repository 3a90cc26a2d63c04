package io.mlpstream.job.metrics;

import io.mlpstream.job.serde.LatencyReportSerializer;

import org.apache.flink.streaming.api.functions.windowing.ProcessAllWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Turns a window's merged {@link LatencySummary} (encoded) into an encoded {@code LatencyReport}. */
public final class LatencyReportFunction extends ProcessAllWindowFunction<byte[], byte[], TimeWindow> {
    private static final long serialVersionUID = 1L;

    private final String modelName;

    public LatencyReportFunction(String modelName) {
        this.modelName = modelName;
    }

    @Override
    public void process(Context context, Iterable<byte[]> elements, Collector<byte[]> out) {
        for (byte[] summary : elements) {
            TimeWindow w = context.window();
            out.collect(LatencyReportSerializer.encode(
                    LatencyReports.of(LatencySummary.decode(summary), w.getStart(), w.getEnd(), modelName)));
        }
    }
}
