package io.mlpstream.job.format;

import io.mlpstream.flink.InferenceOptions;

import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.MapType;
import org.apache.flink.table.types.logical.RowType;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Converts between Flink's internal rows and one of our Avro records: a column is the field of the same name in
 * snake_case ({@code capture_time} is {@code captureTime}), nested rows likewise. Reading may declare any of a record's
 * fields; writing must declare every field that has no default. Types: string = STRING, bytes = BYTES, int = INT, long =
 * BIGINT, float = FLOAT, double = DOUBLE, boolean = BOOLEAN, timestamp-millis = TIMESTAMP_LTZ(3), a map of strings =
 * MAP&lt;STRING, STRING&gt;, an array = ARRAY, a record = ROW, a union with null = a nullable column. Every mismatch is
 * found when the mapping is built (at planning time) and said in one line that names the column and the declaration
 * to use.
 */
final class AvroRowMapping {
    private AvroRowMapping() {}

    /** Reads a record's value into a row. */
    interface RowReader {
        RowData read(IndexedRecord record);
    }

    /** Writes a row into a new record. */
    interface RowWriter {
        IndexedRecord write(RowData row);
    }

    private interface ValueReader {
        Object read(Object avro);
    }

    private interface ValueWriter {
        Object write(Object flink);
    }

    /**
     * @param table what the mapping is for, at the start of every message (e.g. "Table 'images' (mlpstream-avro, ImageEvent)")
     */
    static RowReader reader(String table, Schema record, RowType row) {
        return new Mapper(table).recordReader(record, row, record.getName());
    }

    static RowWriter writer(String table, Schema record, RowType row) {
        return new Mapper(table).recordWriter(record, row, record.getName());
    }

    /** The SQL declaration of an Avro type, for messages and the docs. */
    static String sqlType(Schema s) {
        Schema t = nonNull(s);
        if (isTimestampMillis(t)) {
            return "TIMESTAMP_LTZ(3)";
        }
        return switch (t.getType()) {
            case STRING -> "STRING";
            case BYTES -> "BYTES";
            case INT -> "INT";
            case LONG -> "BIGINT";
            case FLOAT -> "FLOAT";
            case DOUBLE -> "DOUBLE";
            case BOOLEAN -> "BOOLEAN";
            case MAP -> "MAP<STRING, " + sqlType(t.getValueType()) + ">";
            case ARRAY -> "ARRAY<" + sqlType(t.getElementType()) + ">";
            case RECORD -> "ROW<" + t.getFields().stream().map(f -> "`" + ColumnNames.of(f.name()) + "` " + sqlType(f.schema()))
                    .collect(Collectors.joining(", ")) + ">";
            default -> t.getType().getName();
        };
    }

    private static Schema nonNull(Schema s) {
        if (s.getType() == Schema.Type.UNION) {
            for (Schema t : s.getTypes()) {
                if (t.getType() != Schema.Type.NULL) {
                    return t;
                }
            }
        }
        return s;
    }

    private static boolean nullable(Schema s) {
        return s.getType() == Schema.Type.NULL
                || (s.getType() == Schema.Type.UNION && s.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.NULL));
    }

    private static boolean isTimestampMillis(Schema s) {
        return s.getType() == Schema.Type.LONG && s.getLogicalType() instanceof LogicalTypes.TimestampMillis;
    }

    /** Builds converters, failing with the table's name on the first mismatch. */
    private record Mapper(String table) {

        RowReader recordReader(Schema record, RowType row, String path) {
            int n = row.getFieldCount();
            int[] positions = new int[n];
            ValueReader[] readers = new ValueReader[n];
            for (int i = 0; i < n; i++) {
                RowType.RowField column = row.getFields().get(i);
                Schema.Field field = field(record, column.getName(), path);
                positions[i] = field.pos();
                readers[i] = valueReader(field.schema(), column.getType(), path + "." + field.name(), column.getName());
            }
            return r -> {
                GenericRowData out = new GenericRowData(n);
                for (int i = 0; i < n; i++) {
                    Object v = r.get(positions[i]);
                    out.setField(i, v == null ? null : readers[i].read(v));
                }
                return out;
            };
        }

        RowWriter recordWriter(Schema record, RowType row, String path) {
            SpecificData model = SpecificData.getForSchema(record);
            List<Schema.Field> fields = record.getFields();
            int n = fields.size();
            RowData.FieldGetter[] getters = new RowData.FieldGetter[n];
            ValueWriter[] writers = new ValueWriter[n];
            boolean[] nullable = new boolean[n];
            String[] fieldPaths = new String[n];
            List<String> missing = new ArrayList<>();
            Map<String, Integer> columns = new HashMap<>();
            for (int i = 0; i < row.getFieldCount(); i++) {
                String name = row.getFieldNames().get(i);
                columns.put(name, i);
                field(record, name, path); // every column must be a field
            }
            for (Schema.Field f : fields) {
                int p = f.pos();
                fieldPaths[p] = path + "." + f.name();
                nullable[p] = nullable(f.schema());
                Integer column = columns.get(ColumnNames.of(f.name()));
                if (column == null) {
                    if (!f.hasDefaultValue()) {
                        missing.add(ColumnNames.of(f.name()) + " " + sqlType(f.schema()));
                    }
                    continue;
                }
                LogicalType type = row.getTypeAt(column);
                getters[p] = RowData.createFieldGetter(type, column);
                writers[p] = valueWriter(f.schema(), type, fieldPaths[p], ColumnNames.of(f.name()));
            }
            if (!missing.isEmpty()) {
                throw invalid("%s has fields without a default that the %s does not declare: add %s.", path,
                        path.contains(".") ? "column's ROW" : "table", String.join(", ", missing));
            }
            return r -> {
                IndexedRecord out = (IndexedRecord) model.newRecord(null, record);
                for (Schema.Field f : fields) {
                    int p = f.pos();
                    if (getters[p] == null) {
                        out.put(p, model.deepCopy(f.schema(), model.getDefaultValue(f)));
                        continue;
                    }
                    Object v = getters[p].getFieldOrNull(r);
                    if (v == null && !nullable[p]) {
                        throw new IllegalArgumentException(fieldPaths[p] + " may not be NULL (column '" + ColumnNames.of(f.name())
                                + "'): give it a value, e.g. with COALESCE.");
                    }
                    out.put(p, v == null ? null : writers[p].write(v));
                }
                return out;
            };
        }

        private Schema.Field field(Schema record, String column, String path) {
            for (Schema.Field f : record.getFields()) {
                if (ColumnNames.of(f.name()).equals(column)) {
                    return f;
                }
            }
            List<String> names = record.getFields().stream().map(f -> ColumnNames.of(f.name())).toList();
            throw invalid("column '%s' is no field of %s; did you mean '%s'? Its fields: %s.", column, path,
                    InferenceOptions.closest(column, names), record.getFields().stream()
                            .map(f -> ColumnNames.of(f.name()) + " " + sqlType(f.schema())).collect(Collectors.joining(", ")));
        }

        private ValueReader valueReader(Schema avro, LogicalType flink, String path, String column) {
            Schema s = nonNull(avro);
            checkRoot(s, flink, path, column);
            if (isTimestampMillis(s)) {
                return v -> v instanceof Instant i ? TimestampData.fromInstant(i) : TimestampData.fromEpochMillis((Long) v);
            }
            return switch (s.getType()) {
                case STRING -> v -> StringData.fromString(v.toString());
                case BYTES -> v -> bytes((ByteBuffer) v);
                case INT, LONG, FLOAT, DOUBLE, BOOLEAN -> v -> v;
                case MAP -> {
                    ValueReader values = valueReader(s.getValueType(), ((MapType) flink).getValueType(), path + "[value]", column);
                    yield v -> {
                        Map<Object, Object> out = new HashMap<>();
                        ((Map<?, ?>) v).forEach((k, x) -> out.put(StringData.fromString(k.toString()), x == null ? null : values.read(x)));
                        return new GenericMapData(out);
                    };
                }
                case ARRAY -> {
                    ValueReader elements = valueReader(s.getElementType(), ((ArrayType) flink).getElementType(), path + "[]", column);
                    yield v -> {
                        List<?> list = (List<?>) v;
                        Object[] out = new Object[list.size()];
                        for (int i = 0; i < out.length; i++) {
                            Object x = list.get(i);
                            out[i] = x == null ? null : elements.read(x);
                        }
                        return new GenericArrayData(out);
                    };
                }
                case RECORD -> {
                    RowReader nested = recordReader(s, (RowType) flink, path);
                    yield v -> nested.read((IndexedRecord) v);
                }
                default -> throw invalid("%s is an Avro %s, which the format does not map.", path, s.getType().getName());
            };
        }

        private ValueWriter valueWriter(Schema avro, LogicalType flink, String path, String column) {
            Schema s = nonNull(avro);
            checkRoot(s, flink, path, column);
            if (isTimestampMillis(s)) {
                return v -> ((TimestampData) v).toInstant();
            }
            return switch (s.getType()) {
                case STRING -> v -> v.toString();
                case BYTES -> v -> ByteBuffer.wrap((byte[]) v);
                case INT, LONG, FLOAT, DOUBLE, BOOLEAN -> v -> v;
                case MAP -> {
                    MapType map = (MapType) flink;
                    ArrayData.ElementGetter keys = ArrayData.createElementGetter(map.getKeyType());
                    ArrayData.ElementGetter values = ArrayData.createElementGetter(map.getValueType());
                    ValueWriter valueWriter = valueWriter(s.getValueType(), map.getValueType(), path + "[value]", column);
                    yield v -> {
                        MapData m = (MapData) v;
                        Map<String, Object> out = new HashMap<>();
                        for (int i = 0; i < m.size(); i++) {
                            Object x = values.getElementOrNull(m.valueArray(), i);
                            out.put(keys.getElementOrNull(m.keyArray(), i).toString(), x == null ? null : valueWriter.write(x));
                        }
                        return out;
                    };
                }
                case ARRAY -> {
                    LogicalType elementType = ((ArrayType) flink).getElementType();
                    ArrayData.ElementGetter elements = ArrayData.createElementGetter(elementType);
                    ValueWriter elementWriter = valueWriter(s.getElementType(), elementType, path + "[]", column);
                    yield v -> {
                        ArrayData a = (ArrayData) v;
                        List<Object> out = new ArrayList<>(a.size());
                        for (int i = 0; i < a.size(); i++) {
                            Object x = elements.getElementOrNull(a, i);
                            out.add(x == null ? null : elementWriter.write(x));
                        }
                        return out;
                    };
                }
                case RECORD -> {
                    RowWriter nested = recordWriter(s, (RowType) flink, path);
                    yield v -> nested.write((RowData) v);
                }
                default -> throw invalid("%s is an Avro %s, which the format does not map.", path, s.getType().getName());
            };
        }

        /** The column's type has the root the Avro type maps to (nested rows and elements are checked as they are built). */
        private void checkRoot(Schema s, LogicalType flink, String path, String column) {
            boolean ok;
            if (isTimestampMillis(s)) {
                ok = flink.is(LogicalTypeRoot.TIMESTAMP_WITH_LOCAL_TIME_ZONE);
            } else {
                ok = switch (s.getType()) {
                    case STRING -> flink.is(LogicalTypeFamily.CHARACTER_STRING);
                    case BYTES -> flink.is(LogicalTypeFamily.BINARY_STRING);
                    case INT -> flink.is(LogicalTypeRoot.INTEGER);
                    case LONG -> flink.is(LogicalTypeRoot.BIGINT);
                    case FLOAT -> flink.is(LogicalTypeRoot.FLOAT);
                    case DOUBLE -> flink.is(LogicalTypeRoot.DOUBLE);
                    case BOOLEAN -> flink.is(LogicalTypeRoot.BOOLEAN);
                    case MAP -> flink instanceof MapType m && m.getKeyType().is(LogicalTypeFamily.CHARACTER_STRING);
                    case ARRAY -> flink instanceof ArrayType;
                    case RECORD -> flink instanceof RowType;
                    default -> false;
                };
            }
            if (!ok) {
                throw invalid("column '%s' is %s, but %s is %s: declare it %s.", column, flink.asSummaryString(), path,
                        avroName(s), sqlType(s));
            }
        }

        private static String avroName(Schema s) {
            return s.getLogicalType() != null ? "an Avro " + s.getLogicalType().getName() : "an Avro " + s.getType().getName();
        }

        private ValidationException invalid(String format, Object... args) {
            return new ValidationException(table + ": " + String.format(java.util.Locale.ROOT, format, args));
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }
}
