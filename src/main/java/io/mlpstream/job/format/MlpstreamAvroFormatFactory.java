package io.mlpstream.job.format;

import org.apache.avro.Schema;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.format.EncodingFormat;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.SerializationFormatFactory;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

import java.util.Set;

/**
 * {@code 'format' = 'mlpstream-avro'}: our topics' values (Avro single-object encoding of the records in schemas/) as
 * table rows, so the Kafka job's {@code images} topic is a source table and its {@code tags} topic a sink table.
 * {@code 'mlpstream-avro.record'} names the record; columns are its fields in snake_case (see {@link AvroRowMapping}).
 */
public final class MlpstreamAvroFormatFactory implements DeserializationFormatFactory, SerializationFormatFactory {
    public static final String IDENTIFIER = "mlpstream-avro";

    public static final ConfigOption<String> RECORD = ConfigOptions.key("record")
            .stringType()
            .noDefaultValue()
            .withDescription("The record the values hold: ImageEvent (the input topic), TaggedImage (the results topic) or "
                    + "LatencyReport (the metrics topic).");
    public static final ConfigOption<Boolean> IGNORE_PARSE_ERRORS = ConfigOptions.key("ignore-parse-errors")
            .booleanType()
            .defaultValue(false)
            .withDescription("Skip values that are not the record instead of failing the job.");

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(RECORD);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(IGNORE_PARSE_ERRORS);
    }

    @Override
    public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(DynamicTableFactory.Context context,
            ReadableConfig formatOptions) {
        FactoryUtil.validateFactoryOptions(this, formatOptions);
        String recordName = formatOptions.get(RECORD);
        Schema schema = AvroRecords.schema(recordName);
        boolean ignoreParseErrors = formatOptions.get(IGNORE_PARSE_ERRORS);
        String table = describe(context, recordName);
        return new DecodingFormat<>() {
            @Override
            public DeserializationSchema<RowData> createRuntimeDecoder(DynamicTableSource.Context ctx, DataType physicalDataType) {
                RowType rowType = (RowType) physicalDataType.getLogicalType();
                AvroRowMapping.reader(table, schema, rowType); // checks the columns now, at planning time
                return new AvroRowDeserializationSchema(table, recordName, rowType, ctx.createTypeInformation(physicalDataType),
                        ignoreParseErrors);
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    @Override
    public EncodingFormat<SerializationSchema<RowData>> createEncodingFormat(DynamicTableFactory.Context context,
            ReadableConfig formatOptions) {
        FactoryUtil.validateFactoryOptions(this, formatOptions);
        String recordName = formatOptions.get(RECORD);
        Schema schema = AvroRecords.schema(recordName);
        String table = describe(context, recordName);
        return new EncodingFormat<>() {
            @Override
            public SerializationSchema<RowData> createRuntimeEncoder(DynamicTableSink.Context ctx, DataType physicalDataType) {
                RowType rowType = (RowType) physicalDataType.getLogicalType();
                AvroRowMapping.writer(table, schema, rowType); // checks the columns now, at planning time
                return new AvroRowSerializationSchema(table, recordName, rowType);
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    private static String describe(DynamicTableFactory.Context context, String recordName) {
        return "Table '" + context.getObjectIdentifier().getObjectName() + "' ('" + IDENTIFIER + "', " + recordName + ")";
    }
}
