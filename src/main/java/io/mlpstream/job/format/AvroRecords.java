package io.mlpstream.job.format;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.flink.InferenceOptions;

import org.apache.avro.Schema;
import org.apache.flink.table.api.ValidationException;

import java.util.LinkedHashMap;
import java.util.Map;

/** The records of our topics (schemas/*.avsc) that the {@code mlpstream-avro} format reads and writes, by record name. */
final class AvroRecords {
    private static final Map<String, Schema> RECORDS = new LinkedHashMap<>();

    static {
        RECORDS.put("ImageEvent", ImageEvent.getClassSchema());
        RECORDS.put("TaggedImage", TaggedImage.getClassSchema());
        RECORDS.put("LatencyReport", LatencyReport.getClassSchema());
    }

    private AvroRecords() {}

    static String names() {
        return String.join(", ", RECORDS.keySet());
    }

    /** The schema of the record {@code name}; one line naming the closest record when there is none. */
    static Schema schema(String name) {
        Schema schema = RECORDS.get(name);
        if (schema == null) {
            throw new ValidationException("'" + MlpstreamAvroFormatFactory.IDENTIFIER + "." + MlpstreamAvroFormatFactory.RECORD.key()
                    + "' = '" + name + "' is not one of our records; did you mean '" + InferenceOptions.closest(name, RECORDS.keySet())
                    + "'? The records: " + names() + ".");
        }
        return schema;
    }
}
