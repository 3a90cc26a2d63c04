package io.mlpstream.demo;

import io.mlpstream.job.Cli;
import io.mlpstream.job.Command;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Main class of the standalone jar: the job's commands plus those that need the embedded broker or the digits
 * (broker, demo, produce), with the jar's console logging.
 */
public final class StandaloneCli {
    private StandaloneCli() {}

    /** The job jar's commands, then broker, demo and produce. */
    public static List<Command> commands() {
        List<Command> all = new ArrayList<>(Cli.jobCommands());
        all.add(new BrokerCommand());
        all.add(new DemoCommand());
        all.add(new ProduceCommand());
        return List.copyOf(all);
    }

    /** Runs a command as {@code java -jar mlpstream-standalone.jar <args>} does; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        ExpectedCheckpointDeclines.install();
        return new Cli(commands()).run(args, out, err);
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }
}
