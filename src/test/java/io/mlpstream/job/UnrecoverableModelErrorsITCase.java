package io.mlpstream.job;

import io.mlpstream.core.model.ModelException;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.executiongraph.ArchivedExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Errors no restart can fix end the job once, with the line that says what to fix, on a cluster whose restart strategy
 * would otherwise restart it (fixed delay, 5 attempts): a card that contradicts its model, a model directory missing on
 * the TaskManager, an interpolation the job does not know (each changed after the client checked the model, as when a
 * TaskManager sees other files than the client), and {@code model.device=cuda:0} where ONNX Runtime has no CUDA. "Once"
 * is checked on the finished job: every subtask ran exactly one attempt. Through the command line, {@code run} prints
 * that line alone (exit code 2), and refuses a contradicting card before it submits anything.
 */
class UnrecoverableModelErrorsITCase {
    private static final int RESTART_ATTEMPTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withFixedDelayRestarts(RESTART_ATTEMPTS, Duration.ofMillis(200));

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(1, JobFixtures.TOPICS).expectAllClientsClosed();

    record Outcome(int code, String out, String err) {}

    @TempDir
    Path tmp;

    @Test
    void aCardThatContradictsItsModelOnTheTaskManagerFailsTheJobOnce(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Path model = byoColors("contradicting");
        JobClient job = submit(model, "contradicting-card", env -> edit(model, card -> ((ObjectNode) card.get("input"))
                .put("name", "images")));
        assertFailedOnce(cluster, job, model.resolve("model.json") + ": input.name \"images\" is not an input of "
                + model.resolve("model.onnx"));
    }

    @Test
    void aModelDirectoryMissingOnTheTaskManagerFailsTheJobOnce(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Path model = byoColors("missing");
        JobClient job = submit(model, "missing-model", env -> {
            try {
                Files.delete(model.resolve("model.json"));
                Files.delete(model.resolve("model.onnx"));
                Files.delete(model);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertFailedOnce(cluster, job, "Model '" + model + "' not found");
    }

    @Test
    void anUnknownInterpolationOnTheTaskManagerFailsTheJobOnce(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Path model = byoColors("interpolation");
        JobClient job = submit(model, "unknown-interpolation", env -> edit(model, card -> ((ObjectNode) card.get("input"))
                .put("interpolation", "area")));
        assertFailedOnce(cluster, job, "\"input.interpolation\" is \"area\"; accepted: nearest, bilinear, bicubic, box, hamming, lanczos");
    }

    @Test
    void cudaWithoutACudaProviderFailsTheJobOnceAndRunPrintsOnlyTheReason(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String name = "cuda-" + System.nanoTime();
        Outcome outcome = cli("run", "--set", "job.name=" + name, "--set", "model.device=cuda:0");
        assertThat(outcome.code()).as(outcome.err()).isEqualTo(2);
        assertThat(outcome.err().lines().toList()).singleElement().asString()
                .startsWith("mlpstream: device=cuda:0 asked for CUDA, but this onnxruntime build has no CUDA provider.")
                .endsWith("or set device to auto or cpu.");
        JobID id = jobNamed(cluster, name).orElseThrow(() -> new AssertionError("no job " + name + " was submitted"));
        assertOneAttemptEach(cluster.getArchivedExecutionGraph(id).get());
    }

    @Test
    void runRefusesAContradictingCardBeforeSubmittingAnything(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Path model = byoColors("refused");
        edit(model, card -> {
            ((ObjectNode) card.get("input")).put("height", 224).put("resize", 256);
            ((ObjectNode) card).putArray("labels").add("cat").add("dog");
        });
        String name = "refused-" + System.nanoTime();
        Outcome outcome = cli("run", "--set", "job.name=" + name, "--set", "model.name=" + model);
        assertThat(outcome.code()).as(outcome.err()).isEqualTo(2);
        assertThat(outcome.err().lines().toList()).hasSize(2)
                .allSatisfy(line -> assertThat(line).startsWith("mlpstream: " + model.resolve("model.json") + ": "))
                .anySatisfy(line -> assertThat(line).contains("input.height is 224"))
                .anySatisfy(line -> assertThat(line).contains("labels has 2 entries"));
        assertThat(jobNamed(cluster, name)).isEmpty();
    }

    /** Builds the job on the model as the client sees it, then {@code change}s what the TaskManager will see, submits. */
    private static JobClient submit(Path model, String name, Consumer<StreamExecutionEnvironment> change) throws Exception {
        Map<String, String> o = JobFixtures.boundedJob(KAFKA.bootstrapServers(), name);
        o.put("model.name", model.toString());
        o.put("job.name", name);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, InferenceJobSpec.from(JobConfig.load(null, o)));
        change.accept(env);
        return env.executeAsync(name);
    }

    /** The job ended FAILED with {@code line} as its reason, and no subtask was ever restarted. */
    private static void assertFailedOnce(MiniCluster cluster, JobClient job, String line) throws Exception {
        assertThatThrownBy(() -> job.getJobExecutionResult().get()).isInstanceOf(ExecutionException.class)
                .satisfies(e -> {
                    Optional<ModelException> reason = ExceptionUtils.findThrowable(e, ModelException.class);
                    assertThat(reason).as("a ModelException in %s", ExceptionUtils.stringifyException(e)).isPresent();
                    assertThat(reason.get().getMessage()).contains(line);
                    assertThat(Cli.userError(e)).isEqualTo(reason.get().getMessage());
                });
        ArchivedExecutionGraph graph = cluster.getArchivedExecutionGraph(job.getJobID()).get();
        assertThat(graph.getState()).isEqualTo(JobStatus.FAILED);
        assertOneAttemptEach(graph);
    }

    private static void assertOneAttemptEach(ArchivedExecutionGraph graph) {
        assertThat(graph.getState()).isEqualTo(JobStatus.FAILED);
        List<Integer> attempts = new ArrayList<>();
        for (AccessExecutionVertex v : graph.getAllExecutionVertices()) {
            attempts.add(v.getCurrentExecutionAttempt().getAttemptNumber());
        }
        assertThat(attempts).as("attempt number of every subtask (0 = never restarted)").isNotEmpty().containsOnly(0);
    }

    private static Optional<JobID> jobNamed(MiniCluster cluster, String name) throws Exception {
        Collection<JobStatusMessage> jobs = cluster.listJobs().get();
        return jobs.stream().filter(j -> j.getJobName().equals(name)).map(JobStatusMessage::getJobId).findFirst();
    }

    /** {@code run}'s command line against the test broker, on the test's cluster. */
    private static Outcome cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--set", "kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--set", "kafka.transactional-id-prefix=unrecoverable-" + System.nanoTime(),
                "--set", "kafka.transaction-timeout=60 s", "--set", "kafka.bounded=true"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli(Cli.jobCommands()).run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path byoColors(String name) throws Exception {
        Path source = BringYourOwnModelITCase.exampleDir();
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.copy(source.resolve("model.json"), dir.resolve("model.json"));
        Files.copy(source.resolve("model.onnx"), dir.resolve("model.onnx"));
        return dir;
    }

    private static void edit(Path model, Consumer<ObjectNode> change) {
        try {
            ObjectNode card = (ObjectNode) JSON.readTree(model.resolve("model.json").toFile());
            change.accept(card);
            JSON.writeValue(model.resolve("model.json").toFile(), card);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
