package io.mlpstream.testutils;

import io.mlpstream.avro.ImageEvent;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ImageEvents as producers with other versions of the schema write them: {@link #withDeviceId()} adds an optional field
 * (compatible under Avro's schema resolution), {@link #withoutEventId()} drops a field ours needs (incompatible).
 */
public final class ImageEventWriters {
    private ImageEventWriters() {}

    /** Ours plus {@code deviceId}, a string that may be null and defaults to null. */
    public static Schema withDeviceId() {
        List<Schema.Field> fields = copyOfOurFields(null);
        fields.add(new Schema.Field("deviceId", Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                "The camera's serial number.", Schema.Field.NULL_DEFAULT_VALUE));
        return record(fields);
    }

    /** Ours without {@code eventId}, which ours requires and has no default for. */
    public static Schema withoutEventId() {
        return record(copyOfOurFields("eventId"));
    }

    /**
     * A single-object encoded event of {@code writer} with the given id (if the schema has it) and source, a 3-byte
     * image, attribute site=north and, if the schema has it, deviceId SN-1.
     */
    public static byte[] encode(Schema writer, String eventId, String source) {
        return encode(writer, eventId, source, new byte[] {1, 2, 3}, "image/png");
    }

    /** The same with the given image. */
    public static byte[] encode(Schema writer, String eventId, String source, byte[] image, String contentType) {
        GenericRecord r = new GenericData.Record(writer);
        if (writer.getField("eventId") != null) {
            r.put("eventId", eventId);
        }
        r.put("source", source);
        r.put("captureTime", 1_700_000_000_000L);
        r.put("contentType", contentType);
        r.put("image", ByteBuffer.wrap(image));
        r.put("modelName", null);
        r.put("attributes", Map.of("site", "north"));
        if (writer.getField("deviceId") != null) {
            r.put("deviceId", "SN-1");
        }
        try {
            ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(r);
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Schema.Field> copyOfOurFields(String except) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : ImageEvent.getClassSchema().getFields()) {
            if (!f.name().equals(except)) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        return fields;
    }

    private static Schema record(List<Schema.Field> fields) {
        Schema ours = ImageEvent.getClassSchema();
        return Schema.createRecord(ours.getName(), ours.getDoc(), ours.getNamespace(), false, fields);
    }
}
