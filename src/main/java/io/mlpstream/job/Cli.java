package io.mlpstream.job;

import io.mlpstream.core.model.ModelException;

import org.apache.flink.util.SerializedThrowable;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line: {@code mlpstream <command> [arguments]}, {@code mlpstream help}, {@code mlpstream <command> --help}.
 * The job jar's has the commands of {@link #jobCommands()}; the standalone jar adds its own (demo, broker, ...).
 * User errors are one line on standard error and exit code 2: a {@link ConfigException} or {@link ModelException},
 * also when it ends a job (a model a TaskManager cannot open fails the job once with it), never a stack trace.
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
        return List.of(new RunCommand(), new SqlCommand(), new CheckModelCommand(), new CardCommand(), new SendCommand(),
                new ResultsCommand(), new OptionsCommand());
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
        } catch (Exception e) {
            String userError = userError(e);
            if (userError != null) {
                userError.lines().forEach(line -> err.println("mlpstream: " + line));
                return 2;
            }
            err.println("mlpstream: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * The message of the first {@link ConfigException} or {@link ModelException} in {@code e}'s causes (as Flink
     * reports a job's failure, possibly serialized), or null when there is none.
     */
    static String userError(Throwable e) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof ConfigException || t instanceof ModelException) {
                return t.getMessage();
            }
            if (t instanceof SerializedThrowable s && USER_ERRORS.contains(s.getOriginalErrorClassName())) {
                return s.getMessage();
            }
        }
        return null;
    }

    private static final Set<String> USER_ERRORS = Set.of(ConfigException.class.getName(), ModelException.class.getName());

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
        out.println(wrap(command.description(), HELP_WIDTH));
    }

    static final int HELP_WIDTH = 100;

    /** {@code text} with its spaces turned into line breaks so that no line is longer than {@code width} (long words aside). */
    static String wrap(String text, int width) {
        StringBuilder sb = new StringBuilder();
        int lineStart = 0;
        for (String word : text.split(" ")) {
            if (sb.length() > lineStart && sb.length() - lineStart + 1 + word.length() > width) {
                sb.append(System.lineSeparator());
                lineStart = sb.length();
            } else if (sb.length() > lineStart) {
                sb.append(' ');
            }
            sb.append(word);
        }
        return sb.toString();
    }
}
