package io.mlpstream.demo;

import io.mlpstream.job.Cli;
import io.mlpstream.job.Command;

import java.util.ArrayList;
import java.util.List;

/** Main class of the standalone jar: the job's commands plus those that need the embedded broker or the digits. */
public final class StandaloneCli {
    private StandaloneCli() {}

    /** The job jar's commands, then demo and produce. */
    public static List<Command> commands() {
        List<Command> all = new ArrayList<>(Cli.jobCommands());
        all.add(new DemoCommand());
        all.add(new ProduceCommand());
        return List.copyOf(all);
    }

    public static void main(String[] args) {
        int code = new Cli(commands()).run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }
}
