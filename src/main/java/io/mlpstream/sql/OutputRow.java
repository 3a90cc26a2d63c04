package io.mlpstream.sql;

import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;

import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

import java.io.Serializable;
import java.util.List;

/**
 * Builds a model's OUTPUT row (its declared columns, in their order) from a prediction, or from a failure under
 * 'on-error' = 'null'. Checked by {@link ModelSchema}; shipped with the predict function.
 */
final class OutputRow implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One declared column and, for the two row columns, its declared fields in order. */
    record Slot(OutputColumn column, List<OutputColumn.TopKField> topK, List<OutputColumn.LatencyField> latency)
            implements Serializable {
        static Slot of(OutputColumn column) {
            return new Slot(column, List.of(), List.of());
        }
    }

    private final List<Slot> slots;

    OutputRow(List<Slot> slots) {
        this.slots = List.copyOf(slots);
    }

    List<Slot> slots() {
        return slots;
    }

    /**
     * The row of a prediction.
     *
     * @param originMicros epoch microseconds of the record's Kafka timestamp (the second INPUT column), or null
     */
    RowData of(Prediction<?> p, Long originMicros) {
        GenericRowData row = new GenericRowData(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            row.setField(i, switch (s.column()) {
                case LABEL -> StringData.fromString(p.topLabel());
                case SCORE -> p.topScore();
                case TOP_K -> topK(p, s.topK());
                case MODEL_NAME -> StringData.fromString(p.getModelName());
                case MODEL_VERSION -> StringData.fromString(p.getModelVersion());
                case MODEL_SHA256 -> StringData.fromString(p.getModelSha256());
                case BATCH_SIZE -> p.getBatchSize();
                case LATENCY_US -> p.operatorLatencyUs();
                case LATENCY -> latency(p, s.latency(), originMicros);
                case PROCESSED_AT -> timestamp(p.getCompletedAtUs());
                case ERROR -> null;
            });
        }
        return row;
    }

    /** The row of a failure under 'on-error' = 'null': NULL everywhere but the 'error' column. */
    RowData of(InferenceFailure<?> failure) {
        GenericRowData row = new GenericRowData(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).column() == OutputColumn.ERROR) {
                row.setField(i, StringData.fromString(failure.getStage() + ": " + failure.getMessage()));
            }
        }
        return row;
    }

    private static GenericArrayData topK(Prediction<?> p, List<OutputColumn.TopKField> fields) {
        Object[] entries = new Object[p.getLabels().length];
        for (int k = 0; k < entries.length; k++) {
            GenericRowData entry = new GenericRowData(fields.size());
            for (int f = 0; f < fields.size(); f++) {
                entry.setField(f, switch (fields.get(f)) {
                    case LABEL -> StringData.fromString(p.getLabels()[k]);
                    case INDEX -> p.getClassIndices()[k];
                    case SCORE -> p.getScores()[k];
                });
            }
            entries[k] = entry;
        }
        return new GenericArrayData(entries);
    }

    private static GenericRowData latency(Prediction<?> p, List<OutputColumn.LatencyField> fields, Long originMicros) {
        GenericRowData row = new GenericRowData(fields.size());
        for (int f = 0; f < fields.size(); f++) {
            row.setField(f, switch (fields.get(f)) {
                // producer and TaskManager clocks may differ: reported as measured, never clamped (as the Kafka job does)
                case KAFKA_TO_INGEST_US -> originMicros == null ? null : p.getIngestedAtUs() - originMicros;
                case QUEUE_WAIT_US -> p.getQueueWaitUs();
                case PREPROCESS_US -> p.getPreprocessUs();
                case INFERENCE_US -> p.getInferenceUs();
                case END_TO_END_US -> originMicros == null ? null : p.getCompletedAtUs() - originMicros;
            });
        }
        return row;
    }

    private static TimestampData timestamp(long epochMicros) {
        return TimestampData.fromEpochMillis(Math.floorDiv(epochMicros, 1_000), (int) Math.floorMod(epochMicros, 1_000) * 1_000);
    }

    /** Epoch microseconds of a TIMESTAMP_LTZ value. */
    static long epochMicros(TimestampData t) {
        return t.getMillisecond() * 1_000 + t.getNanoOfMillisecond() / 1_000;
    }
}
