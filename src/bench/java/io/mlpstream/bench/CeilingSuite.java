package io.mlpstream.bench;

import io.mlpstream.core.model.ModelSource;
import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.job.InferenceJob;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The framework's ceiling: the production job around {@link TrivialModel} (one MatMul, a model that costs nothing),
 * input preloaded, {@code batch.max-size=32}, beside the naive per-record map on the same model in the same JVM. After
 * {@code --warmup-runs} discarded rounds, {@code --runs} measured rounds, the jobs alternating within each round; the
 * table gives every run and the medians. Every measured run and every median is also printed as one line starting with
 * {@value #LINE}, so two builds can be compared by running the same command in each ({@code grep '^CEILING median'}).
 */
final class CeilingSuite {
    static final String LINE = "CEILING";
    static final int BATCH = 32;
    /** Events per run unless {@code --events}: ~7 s of a warm run at ~28,000 img/s, so several checkpoints fall in it. */
    static final int DEFAULT_EVENTS = 200_000;

    /** The jobs the suite can run, by their {@code --ceiling-jobs} name. */
    enum Job {
        BATCHED("batched", "micro-batched job (batch.max-size=" + BATCH + ")"),
        NAIVE("naive", "naive per-record map");

        final String id;
        final String description;

        Job(String id, String description) {
            this.id = id;
            this.description = description;
        }

        static List<Job> parse(String ids) {
            List<Job> jobs = new ArrayList<>();
            for (String id : ids.split(",")) {
                jobs.add(switch (id.strip()) {
                    case "batched" -> BATCHED;
                    case "naive" -> NAIVE;
                    default -> throw new IllegalArgumentException("--ceiling-jobs " + ids + ": unknown job '" + id
                            + "'; use batched, naive or both, comma-separated");
                });
            }
            return jobs;
        }
    }

    private final EmbeddedKafkaBroker broker;
    private final String model;
    private final BenchInputs.Inputs inputs;

    private CeilingSuite(EmbeddedKafkaBroker broker, String model, BenchInputs.Inputs inputs) {
        this.broker = broker;
        this.model = model;
        this.inputs = inputs;
    }

    /** The suite on the trivial model, written (again) under {@code target/bench-models}. */
    static CeilingSuite onTrivialModel(EmbeddedKafkaBroker broker) throws IOException {
        Path dir = TrivialModel.write(Path.of("target", "bench-models", TrivialModel.NAME));
        String model = dir.toString();
        return new CeilingSuite(broker, model, BenchInputs.forCard(ModelSource.load(model).card(), 64));
    }

    String model() {
        return model;
    }

    BenchInputs.Inputs inputs() {
        return inputs;
    }

    /** One preloaded run of {@code job} over {@code events} events. */
    PipelineRun.Result runOnce(Job job, int events) throws Exception {
        return switch (job) {
            case BATCHED -> PipelineRun.run(broker, inputs, events, 0, BenchMain.batched(model, BATCH, 10), InferenceJob::build);
            case NAIVE -> PipelineRun.run(broker, inputs, events, 0, BenchMain.batched(model, 1, 10),
                    (env, spec) -> InferenceJob.build(env, spec, NaivePerRecordFunction.STAGE));
        };
    }

    /** Discarded rounds: each job once per round, as measured. */
    void warmUp(List<Job> jobs, int events, int rounds) throws Exception {
        for (int i = 1; i <= rounds; i++) {
            for (Job job : jobs) {
                PipelineRun.Result r = runOnce(job, events);
                BenchMain.log("ceiling warm-up %d/%d (discarded): %s, %d events, %.1f/s", i, rounds, job.id, events, r.throughput());
            }
        }
    }

    /** Measured rounds; returns the Markdown section. */
    String measure(List<Job> jobs, int events, int warmupRounds, int rounds, PrintWriter pipe) throws Exception {
        Map<Job, List<Double>> throughput = new LinkedHashMap<>();
        for (int i = 1; i <= rounds; i++) {
            for (Job job : jobs) {
                PipelineRun.Result r = runOnce(job, events);
                BenchMain.record(pipe, TrivialModel.NAME, "ceiling " + job.id, job == Job.BATCHED ? BATCH : 1, 10, r);
                throughput.computeIfAbsent(job, j -> new ArrayList<>()).add(r.throughput());
                System.out.printf(Locale.ROOT, "%s run job=%s batch=%d events=%d run=%d/%d img_per_s=%.1f mean_batch=%.1f%n", LINE,
                        job.id, job == Job.BATCHED ? BATCH : 1, events, i, rounds, r.throughput(), r.meanBatch());
            }
        }
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "## Framework ceiling (%s: one MatMul with the digits card)%n%n"
                + "Inputs: %s, %d events preloaded per run; %d discarded warm-up rounds, then %d measured rounds, the jobs "
                + "alternating within each.%n%n| job | img/s, every run | median (img/s) | batched ÷ this |%n|---|---|---|---|%n",
                TrivialModel.NAME, inputs.description(), events, warmupRounds, rounds));
        Double batched = throughput.containsKey(Job.BATCHED) ? BenchMain.median(throughput.get(Job.BATCHED)) : null;
        for (Map.Entry<Job, List<Double>> e : throughput.entrySet()) {
            double median = BenchMain.median(e.getValue());
            md.append(String.format(Locale.ROOT, "| %s | %s | **%.1f** | %s |%n", e.getKey().description,
                    String.join(", ", e.getValue().stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList()), median,
                    batched == null ? "—" : String.format(Locale.ROOT, "%.2f", batched / median)));
            System.out.printf(Locale.ROOT, "%s median job=%s batch=%d events=%d runs=%d img_per_s=%.1f%n", LINE, e.getKey().id,
                    e.getKey() == Job.BATCHED ? BATCH : 1, events, e.getValue().size(), median);
        }
        if (batched != null && throughput.containsKey(Job.NAIVE)) {
            double ratio = batched / BenchMain.median(throughput.get(Job.NAIVE));
            md.append(String.format(Locale.ROOT, "%nMicro-batched ÷ naive per-record, medians: **%.2f×**.%n", ratio));
            System.out.printf(Locale.ROOT, "%s ratio batched/naive=%.2f%n", LINE, ratio);
        }
        return md.append('\n').toString();
    }
}
