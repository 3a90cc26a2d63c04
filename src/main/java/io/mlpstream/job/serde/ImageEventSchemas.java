package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.apache.avro.message.SchemaStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The writer schemas the job reads {@link ImageEvent}s in: ours (the current {@code schemas/ImageEvent.avsc} and every
 * earlier version in {@code schemas/history/}, named {@code ImageEvent-v1.avsc}, {@code ImageEvent-v2.avsc}, ... in the
 * jar) plus those a user adds from a directory. Every one must be compatible with ours under Avro's schema resolution
 * rules, so a record written in any of them reads as today's {@code ImageEvent}; an incompatible or unreadable file is
 * refused when loaded, in one line naming it. Serializable: it carries the schemas' JSON, and each reader builds its own
 * {@link SchemaStore} from it.
 */
public final class ImageEventSchemas implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the earlier versions of our schema are in the jar (copied from {@code schemas/history/}). */
    public static final String HISTORY_RESOURCES = "mlpstream/schemas/history/";
    /** The name of version {@code n} (from 1) in the history. */
    static final String HISTORY_FILE = "ImageEvent-v%d.avsc";

    /** One writer schema, where it came from and its fingerprint as on the wire. */
    private record Writer(String origin, String json, String fingerprint) implements Serializable {
        static Writer of(String origin, Schema schema) {
            return new Writer(origin, schema.toString(), wireHex(ImageEventSchemas.fingerprint(schema)));
        }
    }

    private final List<Writer> writers;

    private ImageEventSchemas(List<Writer> writers) {
        this.writers = List.copyOf(writers);
    }

    /** Our schemas: the current one and its history. */
    public static ImageEventSchemas ours() {
        List<Writer> writers = new ArrayList<>();
        writers.add(Writer.of("schemas/ImageEvent.avsc", ImageEvent.getClassSchema()));
        ClassLoader loader = ImageEventSchemas.class.getClassLoader();
        for (int version = 1; ; version++) {
            String name = String.format(Locale.ROOT, HISTORY_FILE, version);
            try (InputStream in = loader.getResourceAsStream(HISTORY_RESOURCES + name)) {
                if (in == null) {
                    break;
                }
                String origin = "schemas/history/" + name;
                writers.add(Writer.of(origin, checked(origin, new String(in.readAllBytes(), StandardCharsets.UTF_8))));
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read " + HISTORY_RESOURCES + name + " from the jar", e);
            }
        }
        return new ImageEventSchemas(writers);
    }

    /**
     * These schemas and every {@code *.avsc} file in {@code directory}.
     *
     * @throws IllegalArgumentException one line naming the directory or file, what is wrong and what would be right
     */
    public ImageEventSchemas withDirectory(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(directory + " is not a directory (expected a directory of *.avsc writer schemas).");
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".avsc")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot list " + directory + ": " + e.getMessage());
        }
        List<Writer> all = new ArrayList<>(writers);
        for (Path file : files) {
            String json;
            try {
                json = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("Cannot read writer schema " + file + " (" + e.getClass().getSimpleName() + ").");
            }
            all.add(Writer.of(file.toString(), checked(file.toString(), json)));
        }
        return new ImageEventSchemas(all);
    }

    /** The parsed schema, if it is Avro and a writer of ImageEvents we can read; else one line naming {@code origin}. */
    private static Schema checked(String origin, String json) {
        Schema writer;
        try {
            writer = new Schema.Parser().parse(json);
        } catch (SchemaParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Writer schema " + origin + " is not an Avro schema: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ".");
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(ImageEvent.getClassSchema(), writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            String why = compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " at " + i.getLocation()
                            + " (" + i.getMessage() + ")")
                    .collect(Collectors.joining("; "));
            throw new IllegalArgumentException("Writer schema " + origin + " (fingerprint " + wireHex(fingerprint(writer))
                    + ") cannot be read as " + ImageEvent.getClassSchema().getFullName() + ": " + why + ". Under Avro's "
                    + "schema resolution a writer may add fields, drop fields that have a default in ours and widen types "
                    + "(int to long, float or double; long to float or double; float to double; string to bytes); "
                    + "fix the schema or remove the file.");
        }
        return writer;
    }

    /** A schema store holding every schema, for a {@link org.apache.avro.message.BinaryMessageDecoder}. */
    public SchemaStore store() {
        SchemaStore.Cache store = new SchemaStore.Cache();
        writers.forEach(w -> store.addSchema(new Schema.Parser().parse(w.json())));
        return store;
    }

    /** Each schema's fingerprint as on the wire and where it came from, e.g. for messages: {@code 0123456789abcdef (origin)}. */
    public List<String> describe() {
        return writers.stream()
                .map(w -> w.fingerprint() + " (" + w.origin() + ")")
                .collect(Collectors.toList());
    }

    /** The CRC-64-AVRO fingerprint of the schema's parsing canonical form, as Avro computes it. */
    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /**
     * A fingerprint as the 8 bytes a single-object encoded value carries after {@code C3 01}: little-endian, as 16 lowercase
     * hex digits in wire order (so {@code -5848138834817891796}, 0xaed73cb6e983422c, is {@code 2c4283e9b63cd7ae}).
     */
    public static String wireHex(long fingerprint) {
        return String.format(Locale.ROOT, "%016x", Long.reverseBytes(fingerprint));
    }
}
