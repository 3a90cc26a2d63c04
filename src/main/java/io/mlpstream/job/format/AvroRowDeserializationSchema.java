package io.mlpstream.job.format;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import java.io.IOException;
import java.util.Objects;

/**
 * A Kafka value in Avro single-object encoding ({@code C3 01}, the writer schema's 8-byte fingerprint, the binary body)
 * of one of our records, as a row. A value that is no such record fails the job with the reason, or is skipped with
 * {@code 'mlpstream-avro.ignore-parse-errors' = 'true'}.
 */
final class AvroRowDeserializationSchema implements DeserializationSchema<RowData> {
    private static final long serialVersionUID = 1L;

    private final String table;
    private final String recordName;
    private final RowType rowType;
    private final TypeInformation<RowData> producedType;
    private final boolean ignoreParseErrors;

    private transient BinaryMessageDecoder<IndexedRecord> decoder;
    private transient AvroRowMapping.RowReader reader;

    AvroRowDeserializationSchema(String table, String recordName, RowType rowType, TypeInformation<RowData> producedType,
            boolean ignoreParseErrors) {
        this.table = table;
        this.recordName = recordName;
        this.rowType = rowType;
        this.producedType = producedType;
        this.ignoreParseErrors = ignoreParseErrors;
    }

    @Override
    public void open(InitializationContext context) {
        Schema schema = AvroRecords.schema(recordName);
        decoder = new BinaryMessageDecoder<>(SpecificData.getForSchema(schema), schema);
        reader = AvroRowMapping.reader(table, schema, rowType);
    }

    @Override
    public RowData deserialize(byte[] message) throws IOException {
        try {
            return reader.read(decode(message));
        } catch (IOException e) {
            if (ignoreParseErrors) {
                return null;
            }
            throw e;
        }
    }

    private IndexedRecord decode(byte[] message) throws IOException {
        String problem;
        Exception cause = null;
        if (message == null || message.length == 0) {
            problem = "empty value";
        } else {
            try {
                return decoder.decode(message);
            } catch (BadHeaderException e) {
                problem = "not Avro single-object encoding (no C3 01 header)";
                cause = e;
            } catch (MissingSchemaException e) {
                problem = "Avro of another schema (unknown fingerprint)";
                cause = e;
            } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | IllegalArgumentException
                    | NegativeArraySizeException e) {
                problem = "not a valid " + recordName + " (" + e + ")";
                cause = e;
            }
        }
        throw new IOException(table + ": a value is " + problem + ", expected an Avro single-object encoded " + recordName
                + "; set 'mlpstream-avro.ignore-parse-errors' = 'true' to skip such values.", cause);
    }

    @Override
    public boolean isEndOfStream(RowData nextElement) {
        return false;
    }

    @Override
    public TypeInformation<RowData> getProducedType() {
        return producedType;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AvroRowDeserializationSchema that && recordName.equals(that.recordName)
                && rowType.equals(that.rowType) && ignoreParseErrors == that.ignoreParseErrors;
    }

    @Override
    public int hashCode() {
        return Objects.hash(recordName, rowType, ignoreParseErrors);
    }
}
