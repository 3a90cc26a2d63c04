package io.mlpstream.sql;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The OUTPUT columns the mlpstream provider fills, by name; a model declares any of them, in any order. {@link #TOP_K}
 * and {@link #LATENCY} are rows of named fields, of which a model declares any (see {@link TopKField}, {@link
 * LatencyField}).
 */
enum OutputColumn {
    /** The best label. */
    LABEL("label", DataTypes.STRING(), "STRING"),
    /** The best label's score (softmax probability, or the model's own probability). */
    SCORE("score", DataTypes.FLOAT(), "FLOAT"),
    /** The output.top-k best labels, best first. */
    TOP_K("top_k", null, "ARRAY<ROW<label STRING, `index` INT, score FLOAT>>"),
    MODEL_NAME("model_name", DataTypes.STRING(), "STRING"),
    MODEL_VERSION("model_version", DataTypes.STRING(), "STRING"),
    /** The SHA-256 of the model file, as its card states and the loader verified. */
    MODEL_SHA256("model_sha256", DataTypes.STRING(), "STRING"),
    /** Images in the model run the row was part of. */
    BATCH_SIZE("batch_size", DataTypes.INT(), "INT"),
    /** Microseconds from the row reaching the provider to its result. */
    LATENCY_US("latency_us", DataTypes.BIGINT(), "BIGINT"),
    /**
     * Where the time went, in microseconds, as in the results topic's TaggedImage; the first and last field are measured
     * from the model's second INPUT column, the record's Kafka timestamp.
     */
    LATENCY("latency", null, "ROW<kafka_to_ingest_us BIGINT, queue_wait_us BIGINT, preprocess_us BIGINT, "
            + "inference_us BIGINT, end_to_end_us BIGINT>"),
    /** When the result was ready. */
    PROCESSED_AT("processed_at", null, "TIMESTAMP_LTZ(3)"),
    /** With 'on-error' = 'null': '&lt;stage&gt;: &lt;reason&gt;' for a row that could not be tagged, else NULL. */
    ERROR("error", DataTypes.STRING(), "STRING");

    final String columnName;
    /** The type a model must declare, nullability aside; null for the rows and the timestamp (checked apart). */
    final LogicalType type;
    /** How a model declares it (the rows may declare any of their fields, in any order). */
    final String declaration;

    OutputColumn(String columnName, DataType type, String declaration) {
        this.columnName = columnName;
        this.type = type == null ? null : type.getLogicalType();
        this.declaration = columnName + " " + declaration;
    }

    static OutputColumn named(String name) {
        for (OutputColumn c : values()) {
            if (c.columnName.equals(name)) {
                return c;
            }
        }
        return null;
    }

    static List<String> names() {
        return Arrays.stream(values()).map(c -> c.columnName).toList();
    }

    /** Every column as a model declares it, for messages. */
    static String declarations() {
        return Arrays.stream(values()).map(c -> c.declaration).collect(Collectors.joining(", "));
    }

    /** The fields of a {@link #TOP_K} element. */
    enum TopKField {
        LABEL("label", DataTypes.STRING()),
        INDEX("index", DataTypes.INT()),
        SCORE("score", DataTypes.FLOAT());

        final String fieldName;
        final LogicalType type;

        TopKField(String fieldName, DataType type) {
            this.fieldName = fieldName;
            this.type = type.getLogicalType();
        }
    }

    /** The fields of {@link #LATENCY}: the results topic's latency breakdown (TaggedImage.latency), in microseconds. */
    enum LatencyField {
        KAFKA_TO_INGEST_US("kafka_to_ingest_us", true),
        QUEUE_WAIT_US("queue_wait_us", false),
        PREPROCESS_US("preprocess_us", false),
        INFERENCE_US("inference_us", false),
        END_TO_END_US("end_to_end_us", true);

        final String fieldName;
        /** Measured from the record's Kafka timestamp (the model's second INPUT column). */
        final boolean fromOrigin;

        LatencyField(String fieldName, boolean fromOrigin) {
            this.fieldName = fieldName;
            this.fromOrigin = fromOrigin;
        }
    }
}
