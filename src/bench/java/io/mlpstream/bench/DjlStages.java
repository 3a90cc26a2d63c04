package io.mlpstream.bench;

import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.job.serde.KafkaRecord;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.GlobalWindows;
import org.apache.flink.streaming.api.windowing.triggers.CountTrigger;
import org.apache.flink.streaming.api.windowing.triggers.ProcessingTimeoutTrigger;
import org.apache.flink.streaming.api.windowing.triggers.PurgingTrigger;

import java.time.Duration;

/**
 * The DJL peers as inference stages of our Kafka job (same source, same sinks, same results): per record in a process
 * function, and batched in keyed count windows of {@link #BATCH} fired after {@link #MAX_DELAY} at the latest, as our
 * job's batch.max-size and batch.max-delay in the comparison.
 */
final class DjlStages {
    static final int BATCH = 32;
    static final Duration MAX_DELAY = Duration.ofMillis(10);

    private DjlStages() {}

    /** DJL, one {@code predict} per record. */
    static final InferenceJob.InferenceStage PER_RECORD = (records, spec, images) -> {
        SingleOutputStreamOperator<Prediction<KafkaRecord>> predictions = records
                .process(new DjlPerRecordFunction(spec.inference().modelName(), spec.inference().outputTopK(), images),
                        Prediction.typeInfo(records.getType()))
                .name("djl per-record predict");
        return new InferenceJob.Inferred(predictions, predictions.getSideOutput(DjlPerRecordFunction.FAILURES));
    };

    /**
     * DJL, one {@code batchPredict} per count window. The windows are keyed by the record's partition, through one key
     * per subtask chosen to land on that subtask, so that every subtask batches (as every subtask of our operator does)
     * rather than wherever the partitions' hashes fall.
     */
    static final InferenceJob.InferenceStage BATCHED = (records, spec, images) -> {
        int parallelism = spec.jobParallelism() > 0 ? spec.jobParallelism() : records.getExecutionEnvironment().getParallelism();
        int[] keys = keysPerSubtask(parallelism, spec.jobMaxParallelism());
        SingleOutputStreamOperator<Prediction<KafkaRecord>> windowed = records
                .keyBy(r -> keys[r.partition % keys.length], Types.INT)
                .window(GlobalWindows.create())
                .trigger(PurgingTrigger.of(ProcessingTimeoutTrigger.of(CountTrigger.of(BATCH), MAX_DELAY, false, true)))
                .process(new DjlWindowFunction(spec.inference().modelName(), spec.inference().outputTopK(), images),
                        Prediction.typeInfo(records.getType()))
                .name("djl batchPredict, count window " + BATCH);
        // a global window stamps what it emits with Long.MAX_VALUE, which no Kafka topic accepts: back to the input
        // record's timestamp, as the other jobs' results carry
        DataStream<Prediction<KafkaRecord>> predictions = windowed.assignTimestampsAndWatermarks(
                WatermarkStrategy.<Prediction<KafkaRecord>>noWatermarks().withTimestampAssigner((p, t) -> p.getElement().timestamp))
                .name("djl results: input timestamps");
        DataStream<InferenceFailure<KafkaRecord>> failures = windowed.getSideOutput(DjlWindowFunction.FAILURES).assignTimestampsAndWatermarks(
                WatermarkStrategy.<InferenceFailure<KafkaRecord>>noWatermarks().withTimestampAssigner((f, t) -> f.getElement().timestamp))
                .name("djl failures: input timestamps");
        return new InferenceJob.Inferred(predictions, failures);
    };

    /** keys[i]: the smallest int key Flink assigns to subtask i. */
    static int[] keysPerSubtask(int parallelism, int maxParallelism) {
        int[] keys = new int[parallelism];
        int found = 0;
        boolean[] taken = new boolean[parallelism];
        for (int k = 0; found < parallelism; k++) {
            int subtask = KeyGroupRangeAssignment.assignKeyToParallelOperator(k, maxParallelism, parallelism);
            if (!taken[subtask]) {
                taken[subtask] = true;
                keys[subtask] = k;
                found++;
            }
        }
        return keys;
    }
}
