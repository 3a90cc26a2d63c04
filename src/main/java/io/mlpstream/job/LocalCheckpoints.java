package io.mlpstream.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checkpoint directories for jobs run on a local MiniCluster (in-flight images can exceed the 5 MB that Flink's
 * in-memory default checkpoint storage accepts per task): a stable one for the standalone {@code run}, so a cancelled or
 * crashed run can be resumed, and throwaway ones for the demo and benchmarks.
 */
public final class LocalCheckpoints {
    private LocalCheckpoints() {}

    /** {@code file://<user home>/.mlpstream/checkpoints}, the standalone run's default job.checkpoint-dir. */
    public static String defaultDirectory() {
        return Path.of(System.getProperty("user.home"), ".mlpstream", "checkpoints").toUri().toString();
    }

    /** A fresh {@code file://} directory under the temp dir, deleted when the JVM exits normally. */
    public static String temporaryDirectory() {
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
