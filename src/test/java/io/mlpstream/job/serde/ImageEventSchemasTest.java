package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.testutils.ImageEventWriters;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Avro schema evolution of the input topic: an {@code ImageEvent} written with a schema compatible with ours (here: one
 * more optional field) is read, one written with an unknown schema fails with its fingerprint as on the wire and what to
 * do, and a schema file that is unreadable or incompatible is refused when loaded, in one line naming it.
 */
class ImageEventSchemasTest {
    @TempDir
    Path dir;

    @Test
    void aWriterSchemaWithAnAddedOptionalFieldIsReadOnceItIsInTheDirectory() throws Exception {
        Schema writer = ImageEventWriters.withDeviceId();
        byte[] value = ImageEventWriters.encode(writer, "e-1", "cam-9");
        assertThatThrownBy(() -> ImageEventCodec.ours().decode(value))
                .as("unknown to our schemas alone")
                .isInstanceOf(ImageEventCodec.UndecodableEventException.class)
                .hasMessageContaining(ImageEventSchemas.wireHex(ImageEventSchemas.fingerprint(writer)));

        Files.writeString(dir.resolve("with-device-id.avsc"), writer.toString(true));
        ImageEventCodec codec = new ImageEventCodec(ImageEventSchemas.ours().withDirectory(dir));
        ImageEvent event = codec.decode(value);
        assertThat(event.getEventId()).isEqualTo("e-1");
        assertThat(event.getSource()).isEqualTo("cam-9");
        assertThat(event.getAttributes()).containsEntry("site", "north");
        assertThat(ImageEventImages.bytesOf(event.getImage())).containsExactly(1, 2, 3);
        assertThat(codec.decode(ImageEventCodec.encode(event)).getEventId()).as("and ours still").isEqualTo("e-1");

        ImageEventCodec shipped = InstantiationUtil.clone(codec);
        assertThat(shipped.decode(value).getSource()).as("after Java serialization, as Flink ships it").isEqualTo("cam-9");
    }

    @Test
    void aValueOfAnUnknownSchemaNamesItsFingerprintAsOnTheWireAndWhatToDo() {
        Schema incompatible = ImageEventWriters.withoutEventId();
        byte[] value = ImageEventWriters.encode(incompatible, null, "cam-1");
        String wire = HexFormat.of().formatHex(Arrays.copyOfRange(value, 2, 10));
        assertThat(ImageEventSchemas.wireHex(ImageEventSchemas.fingerprint(incompatible))).isEqualTo(wire);
        assertThatThrownBy(() -> ImageEventCodec.ours().decode(value))
                .isInstanceOf(ImageEventCodec.UndecodableEventException.class)
                .hasMessageContaining("Avro of another schema")
                .hasMessageContaining("fingerprint " + wire + " (CRC-64-AVRO, value bytes 3 to 10 in hex)")
                .hasMessageContaining(ImageEventSchemas.wireHex(ImageEventSchemas.fingerprint(ImageEvent.getClassSchema()))
                        + " (schemas/ImageEvent.avsc)")
                .hasMessageContaining("put its .avsc file into the kafka.writer-schemas-dir directory");
    }

    @Test
    void anIncompatibleSchemaFileIsRefusedInOneLineNamingItAndWhy() throws IOException {
        Path file = dir.resolve("no-event-id.avsc");
        Files.writeString(file, ImageEventWriters.withoutEventId().toString(true));
        assertThatThrownBy(() -> ImageEventSchemas.ours().withDirectory(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Writer schema " + file)
                .hasMessageContaining("cannot be read as io.mlpstream.avro.ImageEvent")
                .hasMessageContaining("reader field missing default")
                .hasMessageContaining("eventId")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aFileThatIsNoAvroSchemaOrAnotherRecordIsRefused() throws IOException {
        Path broken = dir.resolve("broken.avsc");
        Files.writeString(broken, "{\"type\": \"record\", \"name\": ");
        assertThatThrownBy(() -> ImageEventSchemas.ours().withDirectory(dir))
                .hasMessageStartingWith("Writer schema " + broken + " is not an Avro schema: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        Files.delete(broken);
        Files.writeString(dir.resolve("report.avsc"), LatencyReport.getClassSchema().toString());
        assertThatThrownBy(() -> ImageEventSchemas.ours().withDirectory(dir))
                .hasMessageContaining("report.avsc")
                .hasMessageContaining("name mismatch");
        assertThatThrownBy(() -> ImageEventSchemas.ours().withDirectory(dir.resolve("missing")))
                .hasMessageContaining("is not a directory");
    }

    @Test
    void filesOtherThanAvscAreIgnored() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "not a schema");
        assertThat(ImageEventSchemas.ours().withDirectory(dir).describe()).isEqualTo(ImageEventSchemas.ours().describe());
    }

    /** Every file in schemas/history/ is a numbered version the jar carries, loaded and readable as today's ImageEvent. */
    @Test
    void theWholeHistoryIsLoadedAndCompatible() throws IOException {
        Path history = Path.of("schemas/history");
        List<String> files;
        try (Stream<Path> listing = Files.list(history)) {
            files = listing.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".avsc")).sorted()
                    .collect(Collectors.toList());
        }
        List<String> expected = new ArrayList<>();
        for (int v = 1; v <= files.size(); v++) {
            expected.add(String.format(ImageEventSchemas.HISTORY_FILE, v));
        }
        assertThat(files).as("numbered from 1 without gaps").containsExactlyInAnyOrderElementsOf(expected);
        List<String> loaded = ImageEventSchemas.ours().describe();
        assertThat(loaded).hasSize(1 + files.size());
        assertThat(loaded.get(0)).endsWith("(schemas/ImageEvent.avsc)");
        for (String name : files) {
            assertThat(loaded).anyMatch(d -> d.endsWith("(schemas/history/" + name + ")"));
            Schema old = new Schema.Parser().parse(history.resolve(name).toFile());
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(ImageEvent.getClassSchema(), old).getType())
                    .as(name).isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void fingerprintsAreCrc64AvroWrittenLittleEndian() {
        byte[] ours = ImageEventCodec.encode(SerdeTest.event("e"));
        long fingerprint = ImageEventSchemas.fingerprint(ImageEvent.getClassSchema());
        assertThat(HexFormat.of().formatHex(Arrays.copyOfRange(ours, 2, 10))).isEqualTo(ImageEventSchemas.wireHex(fingerprint));
        assertThat(ByteBuffer.wrap(ours, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(fingerprint);
        assertThat(ImageEventSchemas.wireHex(-5848138834817891796L)).isEqualTo("2c4283e9b63cd7ae");
        for (Schema schema : List.of(ImageEvent.getClassSchema(), TaggedImage.getClassSchema(), LatencyReport.getClassSchema())) {
            long fp = ImageEventSchemas.fingerprint(schema);
            System.out.printf("%s: bytes 3-10 of a value (hex) %s; as a long 0x%016x = %d%n", schema.getFullName(),
                    ImageEventSchemas.wireHex(fp), fp, fp);
        }
    }
}
