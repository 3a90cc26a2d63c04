package io.mlpstream.job;

/**
 * Main class of the job jar for {@code flink run}: {@code flink run mlpstream-job.jar --config job.yaml
 * [--set key=value]...} is {@code Cli run}; {@code flink run mlpstream-job.jar <command> ...} (e.g. {@code sql
 * jobs/digits-tagging.sql}) is that command of {@link Cli}.
 */
public final class FlinkJobMain {
    private FlinkJobMain() {}

    public static void main(String[] args) {
        if (args.length > 0 && !args[0].startsWith("-")) {
            Cli.main(args);
            return;
        }
        String[] full = new String[args.length + 1];
        full[0] = "run";
        System.arraycopy(args, 0, full, 1, args.length);
        Cli.main(full);
    }
}
