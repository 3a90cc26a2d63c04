package io.mlpstream.job;

import io.mlpstream.core.model.ModelException;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line: {@code mlpstream <command> [arguments]}, {@code mlpstream help}, {@code mlpstream <command> --help}.
 * The job jar's has the commands of {@link #jobCommands()}; the standalone jar adds its own (demo, broker, ...).
 * User errors are one line on standard error and exit code 2.
 */
public final class Cli {
    private final Map<String, Command> commands = new LinkedHashMap<>();

    public Cli(List<Command> commands) {
        for (Command c : commands) {
            this.commands.put(c.name(), c);
        }
    }

    /** What the job jar offers. */
    public static List<Command> jobCommands() {
        return List.of(new RunCommand(), new SqlCommand(), new OptionsCommand());
    }

    public static void main(String[] args) {
        int code = new Cli(jobCommands()).run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the process exit code. */
    public int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 0) {
                throw new ConfigException("No command given. " + usage());
            }
            String name = args[0];
            if (List.of("help", "--help", "-h").contains(name)) {
                if (args.length > 1 && commands.containsKey(args[1])) {
                    printHelp(commands.get(args[1]), out);
                } else {
                    out.println(usage());
                }
                return 0;
            }
            Command command = commands.get(name);
            if (command == null) {
                throw new ConfigException("Unknown command '" + name + "'. " + usage());
            }
            List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
            if (rest.contains("--help") || rest.contains("-h")) {
                printHelp(command, out);
                return 0;
            }
            return command.run(CommandLine.parse(command, rest), out);
        } catch (ConfigException | ModelException e) {
            err.println("mlpstream: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("mlpstream: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** The list of commands, one line each. */
    public String usage() {
        StringBuilder sb = new StringBuilder("Usage: mlpstream <command> [arguments]; mlpstream <command> --help for one. Commands:");
        for (Command c : commands.values()) {
            sb.append(System.lineSeparator()).append("  ").append(c.name()).append(' ').append(c.usage());
        }
        return sb.toString();
    }

    private static void printHelp(Command command, PrintStream out) {
        out.println("Usage: mlpstream " + command.name() + " " + command.usage());
        out.println();
        out.println(command.description());
    }
}
