package io.mlpstream.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed command line: {@code --config FILE}, {@code --set key=value}..., the command's {@code --flag value}s (the
 * repeatable ones in {@code lists}) and switches, and positional arguments (e.g. files).
 */
public record CommandLine(Path config, Map<String, String> overrides, Map<String, String> flags,
        Map<String, List<String>> lists, Set<String> switches, List<String> arguments) {

    /** Parses the arguments after the command's name; unknown flags are refused with the command's usage. */
    static CommandLine parse(Command command, List<String> args) {
        Path config = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        Map<String, String> flags = new LinkedHashMap<>();
        Map<String, List<String>> lists = new LinkedHashMap<>();
        Set<String> switches = new java.util.LinkedHashSet<>();
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value = i + 1 < args.size() ? args.get(i + 1) : null;
            if (arg.equals("--config")) {
                config = Path.of(required(arg, value));
                i++;
            } else if (arg.equals("--set")) {
                String kv = required(arg, value);
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new ConfigException("--set expects key=value, got '" + kv + "' (e.g. --set batch.max-size=64).");
                }
                overrides.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
                i++;
            } else if (arg.startsWith("--")) {
                String flag = arg.substring(2);
                if (command.valueFlags().contains(flag)) {
                    flags.put(flag, required(arg, value));
                    i++;
                } else if (command.repeatableFlags().contains(flag)) {
                    lists.computeIfAbsent(flag, k -> new ArrayList<>()).add(required(arg, value));
                    i++;
                } else if (command.switches().contains(flag)) {
                    switches.add(flag);
                } else {
                    throw new ConfigException("Unknown argument '" + arg + "' for '" + command.name() + "'. Usage: mlpstream "
                            + command.name() + " " + command.usage());
                }
            } else {
                arguments.add(arg);
            }
        }
        return new CommandLine(config, overrides, flags, lists, switches, arguments);
    }

    private static String required(String flag, String value) {
        if (value == null || value.startsWith("--")) {
            throw new ConfigException(flag + " needs a value" + (value == null ? "." : ", got the flag " + value + "."));
        }
        return value;
    }

    /** The flag's value, or {@code defaultValue}. */
    public String flag(String name, String defaultValue) {
        return flags.getOrDefault(name, defaultValue);
    }

    public int intFlag(String name, int defaultValue) {
        String v = flags.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ConfigException("--" + name + " expects a whole number, got '" + v + "'.");
        }
    }

    /** Every value of a repeatable flag, in order; empty when not given. */
    public List<String> list(String name) {
        return lists.getOrDefault(name, List.of());
    }

    /** The job options of {@code --config} and {@code --set} (every option has its default without them). */
    public JobConfig jobConfig() {
        return JobConfig.load(config, overrides);
    }

    public boolean has(String switchName) {
        return switches.contains(switchName);
    }
}
