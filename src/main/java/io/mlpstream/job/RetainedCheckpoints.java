package io.mlpstream.job;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints a job left behind in its own checkpoint directory, {@code <job.checkpoint-dir>/<transactional-id
 * prefix>}: Flink writes each run's into {@code <job id>/chk-<n>/}, a completed one holding {@code _metadata}, and keeps
 * the last one when the job is cancelled or crashes (retained on cancellation). The newest completed one is where a
 * redeployed job resumes, so the records its predecessor held in flight are neither lost nor duplicated.
 *
 * <p>Works on any Flink file system the client can reach (file://, s3://, ...).
 */
public final class RetainedCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(RetainedCheckpoints.class);
    private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");
    private static final String METADATA = "_metadata";
    /** File beside the runs naming the input topic their checkpoints were taken on. */
    private static final String INPUT_TOPIC = "input-topic";

    private RetainedCheckpoints() {}

    /** A completed checkpoint: its directory, its number and when its metadata was written. */
    public record Checkpoint(Path directory, long number, long modifiedAtMs) {}

    /** The job's own checkpoint directory under a base directory: {@code <base>/<jobKey>}. */
    public static String jobDirectory(String base, String jobKey) {
        return (base.endsWith("/") ? base : base + "/") + jobKey;
    }

    /** The most recently completed checkpoint under {@code jobDirectory}, of any run; empty when there is none. */
    public static Optional<Checkpoint> latest(String jobDirectory) {
        try {
            Path root = new Path(jobDirectory);
            FileSystem fs = root.getFileSystem();
            if (!fs.exists(root)) {
                return Optional.empty();
            }
            Checkpoint best = null;
            for (FileStatus run : list(fs, root)) {
                if (!run.isDir()) {
                    continue;
                }
                for (FileStatus chk : list(fs, run.getPath())) {
                    Matcher m = CHECKPOINT.matcher(chk.getPath().getName());
                    if (!chk.isDir() || !m.matches()) {
                        continue;
                    }
                    Path metadata = new Path(chk.getPath(), METADATA);
                    if (!fs.exists(metadata)) {
                        continue; // in progress, or cut short by a crash
                    }
                    Checkpoint c = new Checkpoint(chk.getPath(), Long.parseLong(m.group(1)),
                            fs.getFileStatus(metadata).getModificationTime());
                    if (best == null || NEWEST_FIRST.compare(c, best) < 0) {
                        best = c;
                    }
                }
            }
            return Optional.ofNullable(best);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the retained checkpoints in " + jobDirectory, e);
        }
    }

    /** Newest metadata first; on equal times the higher checkpoint number. */
    private static final Comparator<Checkpoint> NEWEST_FIRST = Comparator.comparingLong(Checkpoint::modifiedAtMs)
            .thenComparingLong(Checkpoint::number)
            .reversed();

    /** The input topic the job directory's checkpoints were taken on ({@link #writeInputTopic}), if recorded. */
    public static Optional<String> inputTopic(String jobDirectory) {
        Path marker = new Path(jobDirectory, INPUT_TOPIC);
        try {
            FileSystem fs = marker.getFileSystem();
            if (!fs.exists(marker)) {
                return Optional.empty();
            }
            try (FSDataInputStream in = fs.open(marker)) {
                return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Records the input topic the job directory's checkpoints are taken on (a small file beside the runs). Best effort: a
     * directory the client cannot write to gets no record, and its checkpoints are then not resumed automatically.
     */
    public static void writeInputTopic(String jobDirectory, String identity) {
        Path marker = new Path(jobDirectory, INPUT_TOPIC);
        try {
            FileSystem fs = marker.getFileSystem();
            try (FSDataOutputStream out = fs.create(marker, FileSystem.WriteMode.OVERWRITE)) {
                out.write(identity.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            LOG.warn("Could not record the input topic of the checkpoints in {} ({}): a later submission will not resume "
                    + "them by itself", jobDirectory, e.toString());
        }
    }

    /** Deletes every run directory under {@code jobDirectory} (their checkpoints no longer apply). Best effort. */
    public static void deleteRuns(String jobDirectory) {
        try {
            Path root = new Path(jobDirectory);
            FileSystem fs = root.getFileSystem();
            if (!fs.exists(root)) {
                return;
            }
            for (FileStatus run : list(fs, root)) {
                if (run.isDir()) {
                    fs.delete(run.getPath(), true);
                }
            }
        } catch (IOException e) {
            // leftovers cost disk space only
        }
    }

    /**
     * Deletes the run directories under {@code jobDirectory} that hold no completed checkpoint (left by runs that
     * finished, or whose checkpoints the next run has claimed and Flink has since deleted). Best effort.
     */
    public static int deleteEmptyRuns(String jobDirectory) {
        int deleted = 0;
        try {
            Path root = new Path(jobDirectory);
            FileSystem fs = root.getFileSystem();
            if (!fs.exists(root)) {
                return 0;
            }
            for (FileStatus run : list(fs, root)) {
                if (run.isDir() && !holdsCompletedCheckpoint(fs, run.getPath()) && fs.delete(run.getPath(), true)) {
                    deleted++;
                }
            }
        } catch (IOException e) {
            // leftovers cost disk space only
        }
        return deleted;
    }

    private static boolean holdsCompletedCheckpoint(FileSystem fs, Path run) throws IOException {
        for (FileStatus chk : list(fs, run)) {
            if (chk.isDir() && CHECKPOINT.matcher(chk.getPath().getName()).matches()
                    && fs.exists(new Path(chk.getPath(), METADATA))) {
                return true;
            }
        }
        return false;
    }

    private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] entries = fs.listStatus(dir);
        return entries == null ? new FileStatus[0] : entries;
    }
}
