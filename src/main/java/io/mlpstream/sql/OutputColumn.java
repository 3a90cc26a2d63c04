package io.mlpstream.sql;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.logical.LogicalType;

import java.util.List;

/**
 * The OUTPUT columns the mlpstream provider fills, by name; a model declares any of them, in any order. {@link #TOP_K}
 * and {@link #LATENCY} are rows of named fields, of which a model declares any (see {@link TopKField}, {@link
 * LatencyField}).
 */
enum OutputColumn {
    LABEL("label", DataTypes.STRING(), "the best label"),
    SCORE("score", DataTypes.FLOAT(), "the best label's score (softmax probability)"),
    TOP_K("top_k", null, "the output.top-k best labels, best first: ROW<label STRING, index INT, score FLOAT> "
            + "(any of the three fields)"),
    MODEL_NAME("model_name", DataTypes.STRING(), "the model card's name"),
    MODEL_VERSION("model_version", DataTypes.STRING(), "the model card's version"),
    MODEL_SHA256("model_sha256", DataTypes.STRING(), "the SHA-256 of the model file"),
    BATCH_SIZE("batch_size", DataTypes.INT(), "images in the model run the row was part of"),
    LATENCY_US("latency_us", DataTypes.BIGINT(), "microseconds from the row reaching the provider to its result"),
    LATENCY("latency", null, "where the time went, in microseconds: ROW<kafka_to_ingest_us, queue_wait_us, "
            + "preprocess_us, inference_us, end_to_end_us> (any of the five, all BIGINT; the first and last are measured "
            + "from the model's second INPUT column, the record's Kafka timestamp)"),
    PROCESSED_AT("processed_at", DataTypes.TIMESTAMP_LTZ(3), "when the result was ready (TIMESTAMP_LTZ of any precision)"),
    ERROR("error", DataTypes.STRING(), "with 'on-error' = 'null': '<stage>: <reason>' for a row that could not be tagged, "
            + "else NULL");

    final String columnName;
    /** The type a model must declare, nullability aside; null for the rows and the timestamp (checked apart). */
    final LogicalType type;
    final String meaning;

    OutputColumn(String columnName, org.apache.flink.table.types.DataType type, String meaning) {
        this.columnName = columnName;
        this.type = type == null ? null : type.getLogicalType();
        this.meaning = meaning;
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
        return java.util.Arrays.stream(values()).map(c -> c.columnName).toList();
    }

    /** The fields of a {@link #TOP_K} element. */
    enum TopKField {
        LABEL("label", DataTypes.STRING()),
        INDEX("index", DataTypes.INT()),
        SCORE("score", DataTypes.FLOAT());

        final String fieldName;
        final LogicalType type;

        TopKField(String fieldName, org.apache.flink.table.types.DataType type) {
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
