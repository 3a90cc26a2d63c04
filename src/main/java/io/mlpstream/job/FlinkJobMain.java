package io.mlpstream.job;

/**
 * Main class of the job jar for {@code flink run}: {@code flink run mlpstream-job.jar --config job.yaml
 * [--set key=value]...}. Same as {@code Cli run}.
 */
public final class FlinkJobMain {
    private FlinkJobMain() {}

    public static void main(String[] args) {
        String[] full = new String[args.length + 1];
        full[0] = "run";
        System.arraycopy(args, 0, full, 1, args.length);
        Cli.main(full);
    }
}
