package io.mlpstream.job.metrics;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Each subtask's share of the latency windows: summarises its outcomes per tumbling event-time window (event time =
 * {@link LatencySample#decidedAtMs}) into a {@link LatencySummary}, and when the watermark passes a window's end emits
 * the encoded summary, timestamped with the window's last millisecond, before forwarding the watermark. Downstream a
 * single {@code windowAll} over the same windows merges one partial per subtask ({@link LatencyMerge}) instead of
 * receiving every outcome. An outcome whose window the watermark has passed is dropped and counted in
 * {@value #LATE_DROPPED}, as Flink's window operator does with late records. Open summaries are kept in operator list
 * state, so a restored job (at any parallelism) reports each outcome exactly once.
 */
public final class LatencyPartials extends AbstractStreamOperator<byte[]> implements OneInputStreamOperator<LatencySample, byte[]> {
    private static final long serialVersionUID = 1L;

    /** Counter of outcomes dropped because their window had already been emitted (Flink's window operator's name). */
    public static final String LATE_DROPPED = "numLateRecordsDropped";

    private final long windowMs;
    private transient TreeMap<Long, LatencySummary> open;
    private transient ListState<byte[]> openState;
    private transient Counter lateDropped;
    private transient long watermark;

    public LatencyPartials(Duration window) {
        if (window.toMillis() <= 0) {
            throw new IllegalArgumentException("the latency window must be at least 1 ms, got " + window);
        }
        this.windowMs = window.toMillis();
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        open = new TreeMap<>();
        watermark = Long.MIN_VALUE;
        openState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("open-latency-summaries", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        for (byte[] entry : openState.get()) { // after rescaling, several subtasks' windows may land here: merge them
            ByteBuffer in = ByteBuffer.wrap(entry);
            long start = in.getLong();
            byte[] summary = new byte[in.remaining()];
            in.get(summary);
            open.computeIfAbsent(start, s -> new LatencySummary()).merge(LatencySummary.decode(summary));
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        lateDropped = getMetricGroup().counter(LATE_DROPPED);
    }

    /** Outcomes dropped as late so far ({@value #LATE_DROPPED}). */
    long lateDropped() {
        return lateDropped.getCount();
    }

    @Override
    public void processElement(StreamRecord<LatencySample> element) {
        LatencySample sample = element.getValue();
        long start = TimeWindow.getWindowStartWithOffset(sample.decidedAtMs, 0, windowMs);
        if (start + windowMs - 1 <= watermark) {
            lateDropped.inc();
            return;
        }
        open.computeIfAbsent(start, s -> new LatencySummary()).add(sample);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermark = Math.max(watermark, mark.getTimestamp());
        while (!open.isEmpty() && open.firstKey() + windowMs - 1 <= watermark) {
            Map.Entry<Long, LatencySummary> window = open.pollFirstEntry();
            output.collect(new StreamRecord<>(window.getValue().encode(), window.getKey() + windowMs - 1));
        }
        super.processWatermark(mark);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<byte[]> entries = new ArrayList<>(open.size());
        for (Map.Entry<Long, LatencySummary> window : open.entrySet()) {
            byte[] summary = window.getValue().encode();
            entries.add(ByteBuffer.allocate(8 + summary.length).putLong(window.getKey()).put(summary).array());
        }
        openState.update(entries);
    }
}
