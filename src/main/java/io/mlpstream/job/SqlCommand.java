package io.mlpstream.job;

import io.mlpstream.sql.SqlScript;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code sql}: runs a Flink SQL script, e.g. jobs/digits-tagging.sql (Kafka table, mlpstream model, INSERT ... ML_PREDICT). */
final class SqlCommand implements Command {
    @Override
    public String name() {
        return "sql";
    }

    @Override
    public String usage() {
        return "FILE [--set key=value]...";
    }

    @Override
    public String description() {
        return "Runs the Flink SQL script FILE (e.g. jobs/digits-tagging.sql) as the SQL Client would: SET, CREATE TABLE, "
                + "CREATE MODEL ... WITH ('provider' = 'mlpstream'), INSERT INTO ... ML_PREDICT(...). ${key} in the script "
                + "is the session option key; each --set key=value sets one and wins over the script's own SET. Under "
                + "'flink run' the INSERT jobs go to the cluster; from the standalone jar they run on a local Flink in this "
                + "process until they end or are cancelled (Ctrl-C).";
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        if (cl.config() != null) {
            throw new ConfigException("'sql' takes no --config: the script holds the job (SET, CREATE TABLE, CREATE MODEL, "
                    + "INSERT); --set key=value sets a session option.");
        }
        if (cl.arguments().size() != 1) {
            throw new ConfigException("'sql' needs one script FILE, e.g. 'sql jobs/digits-tagging.sql'; got " + cl.arguments() + ".");
        }
        Path file = Path.of(cl.arguments().get(0));
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("SQL script " + file + " cannot be read (" + e.getClass().getSimpleName()
                    + "); pass an existing file, e.g. jobs/digits-tagging.sql.");
        }
        boolean local = StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment;
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        if (local) {
            // a local MiniCluster has no checkpoint directory; in-flight images can exceed the in-memory 5 MB
            tEnv.getConfig().set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, LocalCheckpoints.temporaryDirectory());
        }
        List<TableResult> jobs;
        try {
            jobs = SqlScript.parse(file.toString(), text).run(tEnv, cl.overrides());
        } catch (SqlScript.SqlScriptException e) {
            throw new ConfigException(e.getMessage());
        }
        for (TableResult job : jobs) {
            out.println("Job from " + file + " submitted with JobID " + job.getJobClient().orElseThrow().getJobID());
        }
        if (local) {
            for (TableResult job : jobs) {
                job.await();
            }
        }
        return 0;
    }
}
