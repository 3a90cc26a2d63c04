package io.mlpstream.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.assertj.core.api.Assertions.assertThat;

class RetainedCheckpointsTest {
    @TempDir
    Path base;

    private Path checkpoint(String run, int number, long modifiedAtMs) throws IOException {
        Path chk = Files.createDirectories(base.resolve("job-a").resolve(run).resolve("chk-" + number));
        Path metadata = Files.write(chk.resolve("_metadata"), new byte[] {1});
        Files.setLastModifiedTime(metadata, FileTime.fromMillis(modifiedAtMs));
        return chk;
    }

    private String jobDirectory() {
        return RetainedCheckpoints.jobDirectory(base.toUri().toString(), "job-a");
    }

    @Test
    void theNewestCompletedCheckpointOfAnyRunIsTheOneToResumeFrom() throws IOException {
        checkpoint("run-1", 40, 1_000);
        Path newest = checkpoint("run-2", 3, 5_000); // a later run restarts numbering
        checkpoint("run-3", 7, 2_000);
        Files.createDirectories(base.resolve("job-a/run-3/chk-8")); // in progress: no _metadata yet
        Files.createDirectories(base.resolve("job-a/run-2/shared"));

        RetainedCheckpoints.Checkpoint latest = RetainedCheckpoints.latest(jobDirectory()).orElseThrow();

        assertThat(Path.of(latest.directory().toUri())).isEqualTo(newest);
        assertThat(latest.number()).isEqualTo(3);
    }

    @Test
    void noDirectoryOrNoCompletedCheckpointMeansAFreshStart() throws IOException {
        assertThat(RetainedCheckpoints.latest(jobDirectory())).isEmpty();
        Files.createDirectories(base.resolve("job-a/run-1/chk-1"));
        assertThat(RetainedCheckpoints.latest(jobDirectory())).isEmpty();
    }

    @Test
    void anotherJobsCheckpointsAreNotThisJobs() throws IOException {
        Path other = Files.createDirectories(base.resolve("job-b/run-9/chk-9"));
        Files.write(other.resolve("_metadata"), new byte[] {1});
        assertThat(RetainedCheckpoints.latest(jobDirectory())).isEmpty();
    }

    @Test
    void runsWithoutACompletedCheckpointAreDeletedAndTheOthersKept() throws IOException {
        Path kept = checkpoint("run-1", 4, 1_000);
        Files.createDirectories(base.resolve("job-a/run-2/shared"));
        Files.createDirectories(base.resolve("job-a/run-3/chk-2"));

        assertThat(RetainedCheckpoints.deleteEmptyRuns(jobDirectory())).isEqualTo(2);

        assertThat(kept).exists();
        assertThat(base.resolve("job-a/run-2")).doesNotExist();
        assertThat(base.resolve("job-a/run-3")).doesNotExist();
    }

    @Test
    void theInputTopicOfTheCheckpointsIsRecordedBesideTheRunsAndDeletingTheRunsKeepsIt() throws IOException {
        assertThat(RetainedCheckpoints.inputTopic(jobDirectory())).isEmpty();
        checkpoint("run-1", 4, 1_000);
        RetainedCheckpoints.writeInputTopic(jobDirectory(), "cluster-a/images/topic-id-1");
        assertThat(RetainedCheckpoints.inputTopic(jobDirectory())).contains("cluster-a/images/topic-id-1");

        RetainedCheckpoints.deleteRuns(jobDirectory());
        RetainedCheckpoints.writeInputTopic(jobDirectory(), "cluster-b/images/topic-id-2");

        assertThat(RetainedCheckpoints.latest(jobDirectory())).isEmpty();
        assertThat(base.resolve("job-a/run-1")).doesNotExist();
        assertThat(RetainedCheckpoints.inputTopic(jobDirectory())).contains("cluster-b/images/topic-id-2");
    }
}
