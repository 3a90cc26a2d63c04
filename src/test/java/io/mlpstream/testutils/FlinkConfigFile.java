package io.mlpstream.testutils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Flink settings every deployment shares ({@value #PATH}: docker-compose.yml hands it to the Flink image's
 * entrypoint, the Kubernetes manifests repeat it, FlinkClusterITCase starts its cluster with it), read the way the
 * image's entrypoint reads {@code FLINK_PROPERTIES}: one {@code key: value} per line, split at the first colon, both
 * sides trimmed; blank lines and {@code #} comments skipped (the compose wrapper drops them before the entrypoint).
 */
public final class FlinkConfigFile {
    public static final String PATH = "deploy/flink/config.yaml";

    private FlinkConfigFile() {}

    /** The shared settings, in file order. */
    public static Map<String, String> shared() {
        return read(Path.of(PATH));
    }

    /** The settings of a flat {@code key: value} file, in file order; a line of another shape is an error naming it. */
    public static Map<String, String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.toAbsolutePath(), e);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalStateException(file + ":" + (i + 1) + ": '" + line + "' is no 'key: value' line");
            }
            settings.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
        return Collections.unmodifiableMap(settings);
    }
}
