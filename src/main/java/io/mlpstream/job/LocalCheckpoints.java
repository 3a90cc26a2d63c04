package io.mlpstream.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A checkpoint directory for jobs run on a local MiniCluster: in-flight images can exceed the 5 MB
 * that Flink's in-memory default checkpoint storage accepts per task. Deleted when the JVM exits.
 */
public final class LocalCheckpoints {
    private LocalCheckpoints() {}

    /** A fresh {@code file://} directory under the temp dir. */
    public static String directory() {
        try {
            Path dir = Files.createTempDirectory("mlpstream-checkpoints-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir), "mlpstream-checkpoints-cleanup"));
            return dir.toUri().toString();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a local checkpoint directory", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort at JVM exit
        }
    }
}
