package io.mlpstream.job;

import io.mlpstream.flink.InferenceOptions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads job options from a YAML file (nested or dotted keys) plus {@code key=value} overrides into a
 * flat map of strings, rejecting keys that are not options (with the closest real key as a hint).
 * Values may reference secrets instead of containing them: {@code ${env:NAME}} or {@code ${file:/path}}.
 */
public final class JobConfig {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):([^}]+)}");

    private final Map<String, String> values;

    private JobConfig(Map<String, String> values) {
        this.values = values;
    }

    /** Options from {@code yaml} (may be null) overridden by {@code overrides}. */
    public static JobConfig load(Path yaml, Map<String, String> overrides) {
        return load(yaml, overrides, System::getenv);
    }

    static JobConfig load(Path yaml, Map<String, String> overrides, UnaryOperator<String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        if (yaml != null) {
            if (!Files.isRegularFile(yaml)) {
                throw new ConfigException("Job config " + yaml + " does not exist; pass an existing YAML file with --config "
                        + "(e.g. jobs/digits-tagging.yaml).");
            }
            values.putAll(parseYaml(yaml));
        }
        values.putAll(overrides);
        Set<String> known = InferenceJobOptions.all().stream().map(ConfigOption::key).collect(Collectors.toSet());
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            if (!known.contains(key) && !key.startsWith(InferenceJobOptions.KAFKA_PROPERTIES_PREFIX)) {
                throw new ConfigException("Unknown option '" + key + "'" + (yaml == null ? "" : " (from " + yaml + " or --set)")
                        + ". Did you mean '" + InferenceOptions.closest(key, known) + "'? Run 'options' to list them all.");
            }
            e.setValue(resolve(key, e.getValue(), env));
        }
        return new JobConfig(values);
    }

    private static Map<String, String> parseYaml(Path yaml) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(yaml, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ConfigException("Job config " + yaml + " is not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("Cannot read job config " + yaml + ": " + e.getMessage());
        }
        Map<String, String> flat = new LinkedHashMap<>();
        if (root != null && !root.isMissingNode() && !root.isNull()) {
            if (!root.isObject()) {
                throw new ConfigException("Job config " + yaml + " must be a YAML mapping of option: value.");
            }
            flatten("", root, flat);
        }
        return flat;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
            JsonNode v = f.getValue();
            if (v.isObject()) {
                flatten(key, v, out);
            } else if (v.isArray()) {
                throw new ConfigException("Option '" + key + "' must be a single value, not a list.");
            } else if (!v.isNull()) {
                out.put(key, v.asText());
            }
        }
    }

    private static String resolve(String key, String value, UnaryOperator<String> env) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group(1).equals("env")) {
                replacement = env.apply(m.group(2));
                if (replacement == null) {
                    throw new ConfigException("Option '" + key + "' refers to environment variable " + m.group(2)
                            + ", which is not set.");
                }
            } else {
                Path file = Path.of(m.group(2));
                try {
                    replacement = Files.readString(file, StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    throw new ConfigException("Option '" + key + "' refers to file " + file + ", which cannot be read ("
                            + e.getClass().getSimpleName() + ").");
                }
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** The options as a Flink configuration (typed reads via {@link InferenceJobOptions}). */
    public Configuration toConfiguration() {
        return Configuration.fromMap(values);
    }

    /** Raw Kafka client properties ({@code kafka.properties.*}, prefix removed). */
    public Map<String, String> kafkaProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(InferenceJobOptions.KAFKA_PROPERTIES_PREFIX)) {
                props.put(k.substring(InferenceJobOptions.KAFKA_PROPERTIES_PREFIX.length()), v);
            }
        });
        return props;
    }

    public Map<String, String> values() {
        return Map.copyOf(values);
    }
}
