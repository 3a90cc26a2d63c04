package io.mlpstream.bench;

import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.job.InferenceJobSpec;
import io.mlpstream.sql.SqlScript;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Flink SQL pipeline beside the DataStream one: {@code jobs/digits-tagging.sql} as users run it (Kafka table in the
 * mlpstream-avro format, CREATE MODEL ... 'provider' = 'mlpstream', ML_PREDICT, exactly-once Kafka tables out) and the
 * Kafka job built on the DataStream API, with the same model, batch settings, parallelism and checkpoint interval, on
 * the same preloaded input. Rounds alternate the two jobs; medians; SQL ÷ DataStream. Lines starting with
 * {@value #LINE} repeat the figures for grep.
 */
final class SqlSuite {
    static final String LINE = "SQL";
    static final Path SCRIPT = Path.of("jobs/digits-tagging.sql");

    /** The script's own option names that a run sets, from the run's options (the Kafka job's keys, the same names). */
    private static final List<String> SHARED_KEYS = List.of("kafka.bootstrap-servers", "kafka.input-topic", "kafka.results-topic",
            "kafka.dead-letter-topic", "kafka.transactional-id-prefix", "model.name", "model.device", "batch.max-size",
            "batch.max-delay", "batch.max-in-flight", "output.top-k");

    /** Events per preloaded run and rounds. */
    record Settings(int events, int warmupRounds, int rounds) {}

    private SqlSuite() {}

    /** Starts the script's INSERT job on the local MiniCluster with the run's topics and settings. */
    static JobClient submitSql(InferenceJobSpec spec, Map<String, String> o, String jobName) throws Exception {
        Map<String, String> fixed = new LinkedHashMap<>();
        for (String key : SHARED_KEYS) {
            if (o.containsKey(key)) {
                fixed.put(key, o.get(key));
            }
        }
        fixed.put("kafka.group-id", o.get("kafka.transactional-id-prefix")); // a fresh group: the input from its start
        fixed.put(PipelineOptions.NAME.key(), jobName);
        fixed.put(CoreOptions.DEFAULT_PARALLELISM.key(), o.get("job.parallelism"));
        fixed.put("execution.checkpointing.interval", o.get("job.checkpoint-interval"));
        fixed.put(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(), o.get("job.checkpoint-dir"));
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        List<TableResult> jobs = SqlScript.parse(SCRIPT.toString(), Files.readString(SCRIPT, StandardCharsets.UTF_8)).run(tEnv, fixed);
        if (jobs.size() != 1) {
            throw new IllegalStateException(SCRIPT + " started " + jobs.size() + " jobs; the suite measures one");
        }
        return jobs.get(0).getJobClient().orElseThrow();
    }

    private static PipelineRun.Result runOnce(EmbeddedKafkaBroker broker, BenchInputs.Inputs inputs, Map<String, String> options,
            boolean sql, int events) throws Exception {
        return sql ? PipelineRun.runSubmitted(broker, inputs, events, 0, options, SqlSuite::submitSql)
                : PipelineRun.run(broker, inputs, events, 0, options, InferenceJob::build);
    }

    /** Runs the suite for one model; returns its Markdown section. */
    static String run(EmbeddedKafkaBroker broker, String model, String name, BenchInputs.Inputs inputs, int batch, int delayMs,
            Settings s, PrintWriter pipe) throws Exception {
        Map<String, String> options = BenchMain.batched(model, batch, delayMs);
        options.put("output.top-k", "3");
        for (int i = 1; i <= s.warmupRounds(); i++) {
            for (boolean sql : new boolean[] {false, true}) {
                PipelineRun.Result r = runOnce(broker, inputs, options, sql, s.events());
                BenchMain.log("sql warm-up %d/%d (discarded): %s %s, %d events, %.1f/s", i, s.warmupRounds(), name,
                        sql ? "sql" : "datastream", s.events(), r.throughput());
            }
        }
        List<Double> datastream = new ArrayList<>();
        List<Double> sqlRuns = new ArrayList<>();
        List<Double> sqlBatches = new ArrayList<>();
        for (int i = 1; i <= s.rounds(); i++) {
            for (boolean sql : new boolean[] {false, true}) {
                PipelineRun.Result r = runOnce(broker, inputs, options, sql, s.events());
                BenchMain.record(pipe, name, sql ? "sql" : "datastream", batch, delayMs, r);
                (sql ? sqlRuns : datastream).add(r.throughput());
                if (sql) {
                    sqlBatches.add(r.meanBatch());
                }
                System.out.printf(Locale.ROOT, "%s run model=%s job=%s events=%d run=%d/%d img_per_s=%.1f mean_batch=%.1f dead_letters=%d%n",
                        LINE, name, sql ? "sql" : "datastream", s.events(), i, s.rounds(), r.throughput(), r.meanBatch(), r.deadLetters());
            }
        }
        double ds = BenchMain.median(datastream);
        double sq = BenchMain.median(sqlRuns);
        System.out.printf(Locale.ROOT, "%s median model=%s datastream=%.1f sql=%.1f ratio=%.3f%n", LINE, name, ds, sq, sq / ds);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "SQL (%s) beside the DataStream job, batch.max-size=%d, batch.max-delay=%d ms, %d "
                + "preloaded events a run, %d rounds alternating after %d discarded:%n%n| job | runs (img/s) | median (img/s) | "
                + "÷ DataStream |%n|---|---|---|---|%n", SCRIPT, batch, delayMs, s.events(), s.rounds(), s.warmupRounds()));
        md.append(String.format(Locale.ROOT, "| DataStream (Kafka job) | %s | %.1f | 1.00 |%n", runs(datastream), ds));
        md.append(String.format(Locale.ROOT, "| SQL (ML_PREDICT), mean batch %s | %s | %.1f | **%.2f** |%n%n", runs(sqlBatches),
                runs(sqlRuns), sq, sq / ds));
        return md.toString();
    }

    private static String runs(List<Double> values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", v));
        }
        return b.toString();
    }
}
