package io.mlpstream.sql;

import io.mlpstream.core.model.ModelCard;
import io.mlpstream.flink.InferenceOptions;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A model's declared INPUT and OUTPUT, checked against what the mlpstream provider reads and fills and against the
 * model's card, each problem one line that names the column and the fix.
 *
 * <p>INPUT: the encoded image ({@code BYTES}), optionally followed by the record's Kafka timestamp ({@code
 * TIMESTAMP_LTZ}), from which {@code latency.kafka_to_ingest_us} and {@code latency.end_to_end_us} are measured. OUTPUT:
 * any of the {@link OutputColumn}s, by name, in any order.
 */
final class ModelSchema {
    private static final LogicalType BYTES = DataTypes.BYTES().getLogicalType();

    private final String model;
    private final OutputRow outputRow;
    private final boolean hasOrigin;

    private ModelSchema(String model, OutputRow outputRow, boolean hasOrigin) {
        this.model = model;
        this.outputRow = outputRow;
        this.hasOrigin = hasOrigin;
    }

    OutputRow outputRow() {
        return outputRow;
    }

    /** Whether the model's INPUT has the record's Kafka timestamp after the image. */
    boolean hasOrigin() {
        return hasOrigin;
    }

    /**
     * Checks the schemas.
     *
     * @param model the model's name, for messages
     */
    static ModelSchema check(String model, ResolvedSchema input, ResolvedSchema output, ModelCard card, int topK,
            OnError onError) {
        boolean hasOrigin = checkInput(model, input);
        List<OutputRow.Slot> slots = new ArrayList<>();
        for (Column c : output.getColumns()) {
            if (!c.isPhysical()) {
                throw invalid(model, "OUTPUT column '%s' is not a physical column; declare only plain columns.", c.getName());
            }
            OutputRow.Slot slot = slot(model, c, onError);
            if (slot.latency().stream().anyMatch(f -> f.fromOrigin) && !hasOrigin) {
                throw invalid(model, "OUTPUT column '%s' has fields measured from the record's Kafka timestamp, which the "
                                + "model does not take: declare INPUT (%s BYTES, kafka_timestamp TIMESTAMP_LTZ(3)) and pass "
                                + "that column second in ML_PREDICT's DESCRIPTOR (or drop kafka_to_ingest_us and end_to_end_us).",
                        c.getName(), input.getColumnNames().get(0));
            }
            if (slot.column() == OutputColumn.TOP_K && topK > card.labels().size()) {
                throw invalid(model, "%s=%d asks for more labels than model '%s' v%s has (%d): use at most %d.",
                        InferenceOptions.OUTPUT_TOP_K.key(), topK, card.name(), card.versionOrDefault(), card.labels().size(),
                        card.labels().size());
            }
            slots.add(slot);
        }
        if (slots.stream().allMatch(s -> s.column() == OutputColumn.ERROR)) {
            throw invalid(model, "OUTPUT has no prediction column: declare at least one of %s.",
                    String.join(", ", OutputColumn.names().subList(0, OutputColumn.names().size() - 1)));
        }
        return new ModelSchema(model, new OutputRow(slots), hasOrigin);
    }

    private static boolean checkInput(String model, ResolvedSchema input) {
        List<Column> columns = input.getColumns();
        for (Column c : columns) {
            if (!c.isPhysical()) {
                throw invalid(model, "INPUT column '%s' is not a physical column; declare INPUT (image BYTES).", c.getName());
            }
        }
        if (columns.isEmpty() || columns.size() > 2) {
            throw invalid(model, "INPUT has %d columns; the provider takes the encoded image, optionally followed by the "
                    + "record's Kafka timestamp: declare INPUT (image BYTES) or INPUT (image BYTES, kafka_timestamp "
                    + "TIMESTAMP_LTZ(3)).", columns.size());
        }
        Column image = columns.get(0);
        if (!image.getDataType().getLogicalType().copy(true).equals(BYTES)) {
            throw invalid(model, "INPUT column '%s' is %s, but the provider reads encoded images (PNG or JPEG bytes): "
                            + "declare it BYTES (e.g. INPUT (%s BYTES)).",
                    image.getName(), image.getDataType().getLogicalType().asSummaryString(), image.getName());
        }
        if (columns.size() == 2) {
            Column origin = columns.get(1);
            if (!origin.getDataType().getLogicalType().is(LogicalTypeRoot.TIMESTAMP_WITH_LOCAL_TIME_ZONE)) {
                throw invalid(model, "INPUT column '%s' is %s; the second INPUT column is the record's Kafka timestamp, "
                                + "from which latency is measured: declare it TIMESTAMP_LTZ(3).",
                        origin.getName(), origin.getDataType().getLogicalType().asSummaryString());
            }
            return true;
        }
        return false;
    }

    private static OutputRow.Slot slot(String model, Column c, OnError onError) {
        OutputColumn column = OutputColumn.named(c.getName());
        LogicalType type = c.getDataType().getLogicalType();
        if (column == null) {
            throw invalid(model, "OUTPUT column '%s' is not one the mlpstream provider fills; did you mean '%s'? It fills "
                            + "any of: %s.",
                    c.getName(), InferenceOptions.closest(c.getName(), OutputColumn.names()), OutputColumn.declarations());
        }
        if (onError == OnError.NULL && !type.isNullable()) {
            throw invalid(model, "OUTPUT column '%s' is NOT NULL, but with 'on-error' = 'null' a row that cannot be tagged "
                    + "has NULL there: drop NOT NULL.", c.getName());
        }
        if (column == OutputColumn.ERROR && onError != OnError.NULL) {
            throw invalid(model, "OUTPUT column 'error' is only filled with 'on-error' = 'null' (this model fails the job on "
                    + "a bad image): set 'on-error' = 'null' or drop the column.");
        }
        return switch (column) {
            case TOP_K -> new OutputRow.Slot(column, topKFields(model, c), List.of());
            case LATENCY -> new OutputRow.Slot(column, List.of(), latencyFields(model, c));
            case PROCESSED_AT -> {
                if (!type.is(LogicalTypeRoot.TIMESTAMP_WITH_LOCAL_TIME_ZONE)) {
                    throw mismatch(model, c, "TIMESTAMP_LTZ(3)");
                }
                yield OutputRow.Slot.of(column);
            }
            default -> {
                if (!type.copy(true).equals(column.type)) {
                    throw mismatch(model, c, column.type.asSummaryString());
                }
                yield OutputRow.Slot.of(column);
            }
        };
    }

    private static List<OutputColumn.TopKField> topKFields(String model, Column c) {
        String expected = "ARRAY<ROW<label STRING, `index` INT, score FLOAT>> (any of the three fields, in any order)";
        LogicalType type = c.getDataType().getLogicalType();
        if (!(type instanceof ArrayType array) || !(array.getElementType() instanceof RowType row)) {
            throw mismatch(model, c, expected);
        }
        List<OutputColumn.TopKField> fields = new ArrayList<>();
        for (RowType.RowField f : row.getFields()) {
            OutputColumn.TopKField field = Arrays.stream(OutputColumn.TopKField.values())
                    .filter(k -> k.fieldName.equals(f.getName())).findFirst().orElse(null);
            if (field == null || !f.getType().copy(true).equals(field.type)) {
                throw invalid(model, "OUTPUT column '%s' has field '%s %s'; its elements are %s.", c.getName(), f.getName(),
                        f.getType().asSummaryString(), expected);
            }
            fields.add(field);
        }
        checkDistinct(model, c, fields.stream().map(f -> f.fieldName).toList());
        return fields;
    }

    private static List<OutputColumn.LatencyField> latencyFields(String model, Column c) {
        String expected = "ROW<kafka_to_ingest_us BIGINT, queue_wait_us BIGINT, preprocess_us BIGINT, inference_us BIGINT, "
                + "end_to_end_us BIGINT> (any of the five, in any order)";
        if (!(c.getDataType().getLogicalType() instanceof RowType row)) {
            throw mismatch(model, c, expected);
        }
        List<OutputColumn.LatencyField> fields = new ArrayList<>();
        for (RowType.RowField f : row.getFields()) {
            OutputColumn.LatencyField field = Arrays.stream(OutputColumn.LatencyField.values())
                    .filter(k -> k.fieldName.equals(f.getName())).findFirst().orElse(null);
            if (field == null || !f.getType().copy(true).equals(DataTypes.BIGINT().getLogicalType())) {
                throw invalid(model, "OUTPUT column '%s' has field '%s %s'; it is %s.", c.getName(), f.getName(),
                        f.getType().asSummaryString(), expected);
            }
            fields.add(field);
        }
        checkDistinct(model, c, fields.stream().map(f -> f.fieldName).toList());
        return fields;
    }

    private static void checkDistinct(String model, Column c, List<String> names) {
        Set<String> seen = new HashSet<>();
        List<String> repeated = names.stream().filter(n -> !seen.add(n)).collect(Collectors.toList());
        if (!repeated.isEmpty()) {
            throw invalid(model, "OUTPUT column '%s' declares field '%s' twice.", c.getName(), repeated.get(0));
        }
    }

    private static ValidationException mismatch(String model, Column c, String expected) {
        return invalid(model, "OUTPUT column '%s' is %s, but the provider fills it as %s: declare %s %s.", c.getName(),
                c.getDataType().getLogicalType().asSummaryString(), expected, c.getName(), expected);
    }

    static ValidationException invalid(String model, String format, Object... args) {
        return new ValidationException("Model '" + model + "': " + String.format(Locale.ROOT, format, args));
    }

    @Override
    public String toString() {
        return "ModelSchema{" + model + ", " + outputRow.slots() + ", origin=" + hasOrigin + "}";
    }
}
