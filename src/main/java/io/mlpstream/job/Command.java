package io.mlpstream.job;

import java.io.PrintStream;
import java.util.List;

/** One command of the command line: its name, what it takes, and what it does. */
public interface Command {
    /** The word that selects it, e.g. {@code run}. */
    String name();

    /** One line: the arguments it takes, e.g. {@code --config FILE [--set key=value]...}. */
    String usage();

    /** What it does, a sentence or two, printed by {@code <command> --help}. */
    String description();

    /** The {@code --flags} that take a value, besides {@code --config} and {@code --set}. */
    default List<String> valueFlags() {
        return List.of();
    }

    /** The {@code --flags} that take a value and may be given more than once, e.g. {@code --attr key=value}. */
    default List<String> repeatableFlags() {
        return List.of();
    }

    /** The {@code --flags} that take no value. */
    default List<String> switches() {
        return List.of();
    }

    /** Runs it; returns the process exit code. Throw {@link ConfigException} for a user error (exit code 2). */
    int run(CommandLine commandLine, PrintStream out) throws Exception;
}
