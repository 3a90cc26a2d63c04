package io.mlpstream.job.format;

import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/** A row as a Kafka value: one of our records in Avro single-object encoding, as the Kafka job writes it. */
final class AvroRowSerializationSchema implements SerializationSchema<RowData> {
    private static final long serialVersionUID = 1L;

    private final String table;
    private final String recordName;
    private final RowType rowType;

    private transient BinaryMessageEncoder<IndexedRecord> encoder;
    private transient AvroRowMapping.RowWriter writer;

    AvroRowSerializationSchema(String table, String recordName, RowType rowType) {
        this.table = table;
        this.recordName = recordName;
        this.rowType = rowType;
    }

    @Override
    public void open(InitializationContext context) {
        Schema schema = AvroRecords.schema(recordName);
        encoder = new BinaryMessageEncoder<>(SpecificData.getForSchema(schema), schema);
        writer = AvroRowMapping.writer(table, schema, rowType);
    }

    @Override
    public byte[] serialize(RowData row) {
        IndexedRecord record;
        try {
            record = writer.write(row);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(table + ": " + e.getMessage(), e);
        }
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(table + ": cannot encode a " + recordName, e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AvroRowSerializationSchema that && recordName.equals(that.recordName) && rowType.equals(that.rowType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(recordName, rowType);
    }
}
