package io.mlpstream.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parsed command line: a command, {@code --config FILE}, {@code --set key=value}... and command flags. */
record CommandLine(String command, Path config, Map<String, String> overrides, Map<String, String> flags) {

    static CommandLine parse(String[] args, List<String> commandFlags) {
        if (args.length == 0) {
            throw new ConfigException("No command given. " + Cli.USAGE);
        }
        String command = args[0];
        Path config = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        Map<String, String> flags = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            String value = i + 1 < rest.size() ? rest.get(i + 1) : null;
            switch (arg) {
                case "--config" -> {
                    config = Path.of(required(arg, value));
                    i++;
                }
                case "--set" -> {
                    String kv = required(arg, value);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new ConfigException("--set expects key=value, got '" + kv + "' (e.g. --set batch.max-size=64).");
                    }
                    overrides.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
                    i++;
                }
                default -> {
                    String flag = arg.startsWith("--") ? arg.substring(2) : null;
                    if (flag == null || !commandFlags.contains(flag)) {
                        throw new ConfigException("Unknown argument '" + arg + "' for '" + command + "'. " + Cli.USAGE);
                    }
                    flags.put(flag, required(arg, value));
                    i++;
                }
            }
        }
        return new CommandLine(command, config, overrides, flags);
    }

    private static String required(String flag, String value) {
        if (value == null) {
            throw new ConfigException(flag + " needs a value.");
        }
        return value;
    }

    int intFlag(String name, int defaultValue) {
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
}
