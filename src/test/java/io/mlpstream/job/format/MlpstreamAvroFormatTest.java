package io.mlpstream.job.format;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.LatencyBreakdown;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.job.serde.ImageEventCodec;
import io.mlpstream.job.serde.TaggedImageSerializer;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.apache.flink.table.api.DataTypes.FIELD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The mlpstream-avro format's mapping of our records to rows and back, and its one-line refusals. */
class MlpstreamAvroFormatTest {
    private static final String TABLE = "Table 't' ('mlpstream-avro', ImageEvent)";
    private static final Instant CAPTURED = Instant.parse("2026-01-02T03:04:05.678Z");

    private static RowType row(DataTypes.Field... fields) {
        return (RowType) DataTypes.ROW(fields).getLogicalType();
    }

    private static AvroRowDeserializationSchema reader(String record, RowType rowType, boolean ignoreParseErrors) {
        AvroRowDeserializationSchema d = new AvroRowDeserializationSchema(TABLE, record, rowType, InternalTypeInfo.of(rowType),
                ignoreParseErrors);
        d.open(null);
        return d;
    }

    private static ImageEvent event() {
        return ImageEvent.newBuilder()
                .setEventId("e-1")
                .setSource("camera-7")
                .setCaptureTime(CAPTURED)
                .setContentType("image/png")
                .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setModelName(null)
                .setAttributes(Map.of("site", "north"))
                .build();
    }

    @Test
    void anImageEventIsARowOfTheDeclaredFieldsInSnakeCase() throws IOException {
        RowType rowType = row(FIELD("image", DataTypes.BYTES()), FIELD("event_id", DataTypes.STRING()),
                FIELD("capture_time", DataTypes.TIMESTAMP_LTZ(3)), FIELD("model_name", DataTypes.STRING()),
                FIELD("attributes", DataTypes.MAP(DataTypes.STRING(), DataTypes.STRING())));
        RowData row = reader("ImageEvent", rowType, false).deserialize(ImageEventCodec.encode(event()));
        assertThat(row.getBinary(0)).containsExactly(1, 2, 3);
        assertThat(row.getString(1).toString()).isEqualTo("e-1");
        assertThat(row.getTimestamp(2, 3).toInstant()).isEqualTo(CAPTURED);
        assertThat(row.isNullAt(3)).isTrue();
        assertThat(row.getMap(4).keyArray().getString(0).toString()).isEqualTo("site");
        assertThat(row.getMap(4).valueArray().getString(0).toString()).isEqualTo("north");
    }

    @Test
    void aValueThatIsNoRecordFailsWithTheReasonOrIsSkipped() throws IOException {
        RowType rowType = row(FIELD("event_id", DataTypes.STRING()));
        assertThatThrownBy(() -> reader("ImageEvent", rowType, false).deserialize(new byte[] {1, 2, 3}))
                .isInstanceOf(IOException.class)
                .hasMessage(TABLE + ": a value is not Avro single-object encoding (no C3 01 header), expected an Avro "
                        + "single-object encoded ImageEvent; set 'mlpstream-avro.ignore-parse-errors' = 'true' to skip such values.");
        assertThat(reader("ImageEvent", rowType, true).deserialize(new byte[] {1, 2, 3})).isNull();
        assertThat(reader("ImageEvent", rowType, true).deserialize(new byte[0])).isNull();
    }

    @Test
    void aRowIsATaggedImageAsTheKafkaJobWritesIt() throws IOException {
        DataType labels = DataTypes.ARRAY(DataTypes.ROW(FIELD("label", DataTypes.STRING()), FIELD("index", DataTypes.INT()),
                FIELD("score", DataTypes.FLOAT())));
        DataType latency = DataTypes.ROW(FIELD("kafka_to_ingest_us", DataTypes.BIGINT()), FIELD("queue_wait_us", DataTypes.BIGINT()),
                FIELD("preprocess_us", DataTypes.BIGINT()), FIELD("inference_us", DataTypes.BIGINT()),
                FIELD("end_to_end_us", DataTypes.BIGINT()));
        RowType rowType = row(FIELD("event_id", DataTypes.STRING()), FIELD("source", DataTypes.STRING()),
                FIELD("capture_time", DataTypes.TIMESTAMP_LTZ(3)), FIELD("model_name", DataTypes.STRING()),
                FIELD("model_version", DataTypes.STRING()), FIELD("model_sha256", DataTypes.STRING()), FIELD("labels", labels),
                FIELD("latency", latency), FIELD("batch_size", DataTypes.INT()), FIELD("processed_at", DataTypes.TIMESTAMP_LTZ(3)));
        GenericRowData row = GenericRowData.of(s("e-1"), s("camera-7"), TimestampData.fromInstant(CAPTURED), s("mixer-digits"),
                s("1"), s("ab"), new GenericArrayData(new Object[] {GenericRowData.of(s("7"), 7, 0.9f), GenericRowData.of(s("1"), 1, 0.05f)}),
                GenericRowData.of(10L, 20L, 30L, 40L, 100L), 16, TimestampData.fromInstant(CAPTURED.plusSeconds(1)));
        AvroRowSerializationSchema writer = new AvroRowSerializationSchema(TABLE, "TaggedImage", rowType);
        writer.open(null);

        TaggedImage t = TaggedImageSerializer.decode(writer.serialize(row));
        assertThat(t.getEventId()).isEqualTo("e-1");
        assertThat(t.getCaptureTime()).isEqualTo(CAPTURED);
        assertThat(t.getLabels()).containsExactly(new LabelScore("7", 7, 0.9f), new LabelScore("1", 1, 0.05f));
        assertThat(t.getLatency()).isEqualTo(new LatencyBreakdown(10L, 20L, 30L, 40L, 100L));
        assertThat(t.getBatchSize()).isEqualTo(16);
        assertThat(t.getProcessedAt()).isEqualTo(CAPTURED.plusSeconds(1));
        assertThat(t.getAttributes()).as("a field with a default the table leaves out").isEmpty();

        RowType withAttributes = row(FIELD("event_id", DataTypes.STRING()),
                FIELD("attributes", DataTypes.MAP(DataTypes.STRING(), DataTypes.STRING())));
        AvroRowSerializationSchema partial = new AvroRowSerializationSchema(TABLE, "ImageEvent", withAttributes);
        assertThatThrownBy(() -> partial.open(null))
                .isInstanceOf(ValidationException.class)
                .hasMessage(TABLE + ": ImageEvent has fields without a default that the table does not declare: add source "
                        + "STRING, capture_time TIMESTAMP_LTZ(3), content_type STRING, image BYTES.");
        AvroRowSerializationSchema nullSource = new AvroRowSerializationSchema(TABLE, "TaggedImage", rowType);
        nullSource.open(null);
        row.setField(1, null);
        assertThatThrownBy(() -> nullSource.serialize(row))
                .hasMessage(TABLE + ": TaggedImage.source may not be NULL (column 'source'): give it a value, e.g. with COALESCE.");
    }

    @Test
    void columnsThatAreNoFieldOrOfAnotherTypeAreRefusedAtPlanning() {
        assertThatThrownBy(() -> AvroRowMapping.reader(TABLE, ImageEvent.getClassSchema(), row(FIELD("evnt_id", DataTypes.STRING()))))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith(TABLE + ": column 'evnt_id' is no field of ImageEvent; did you mean 'event_id'? Its "
                        + "fields: event_id STRING, source STRING, capture_time TIMESTAMP_LTZ(3), content_type STRING, image BYTES, "
                        + "model_name STRING, attributes MAP<STRING, STRING>.");
        assertThatThrownBy(() -> AvroRowMapping.reader(TABLE, ImageEvent.getClassSchema(),
                row(FIELD("capture_time", DataTypes.TIMESTAMP(3)))))
                .hasMessage(TABLE + ": column 'capture_time' is TIMESTAMP(3), but ImageEvent.captureTime is an Avro "
                        + "timestamp-millis: declare it TIMESTAMP_LTZ(3).");
        assertThatThrownBy(() -> AvroRowMapping.reader(TABLE, TaggedImage.getClassSchema(),
                row(FIELD("labels", DataTypes.ARRAY(DataTypes.ROW(FIELD("label", DataTypes.STRING()), FIELD("score", DataTypes.DOUBLE())))))))
                .hasMessage(TABLE + ": column 'score' is DOUBLE, but TaggedImage.labels[].score is an Avro float: declare it FLOAT.");
        assertThatThrownBy(() -> AvroRecords.schema("TaggedImages"))
                .hasMessage("'mlpstream-avro.record' = 'TaggedImages' is not one of our records; did you mean 'TaggedImage'? "
                        + "The records: ImageEvent, TaggedImage, LatencyReport.");
        assertThat(List.of(ColumnNames.of("eventId"), ColumnNames.of("modelSha256"), ColumnNames.of("p50Us")))
                .containsExactly("event_id", "model_sha256", "p50_us");
    }

    private static StringData s(String v) {
        return StringData.fromString(v);
    }
}
