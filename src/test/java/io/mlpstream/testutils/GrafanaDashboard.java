package io.mlpstream.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The repository's Grafana dashboard ({@value #PATH}) as what a test needs of it: every PromQL expression of its panels
 * (rows included) and of its template variables, by where it stands, and the Prometheus series names each one reads.
 */
public final class GrafanaDashboard {
    public static final String PATH = "deploy/grafana/dashboards/mlpstream.json";
    /** A Flink series name in PromQL (Flink's Prometheus reporter prefixes every name with {@code flink_}). */
    private static final Pattern SERIES = Pattern.compile("\\bflink_[A-Za-z0-9_:]+");

    private final JsonNode root;

    private GrafanaDashboard(JsonNode root) {
        this.root = root;
    }

    public static GrafanaDashboard load() {
        return load(Path.of(PATH));
    }

    public static GrafanaDashboard load(Path file) {
        try {
            return new GrafanaDashboard(new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the dashboard " + file.toAbsolutePath(), e);
        }
    }

    public JsonNode json() {
        return root;
    }

    /** Every expression: "panel 'title' target A" or "variable 'name'" to its PromQL, in dashboard order. */
    public Map<String, String> expressions() {
        Map<String, String> exprs = new LinkedHashMap<>();
        collectPanels(root.path("panels"), exprs);
        for (JsonNode variable : root.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode q = variable.path("query");
                String text = q.isObject() ? q.path("query").asText() : q.asText();
                exprs.put("variable '" + variable.path("name").asText() + "'", text);
            }
        }
        return exprs;
    }

    private static void collectPanels(JsonNode panels, Map<String, String> exprs) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                exprs.put("panel '" + panel.path("title").asText() + "' target " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
            collectPanels(panel.path("panels"), exprs); // a collapsed row keeps its panels inside it
        }
    }

    /** Every panel, rows' panels included. */
    public List<JsonNode> panels() {
        List<JsonNode> all = new ArrayList<>();
        addPanels(root.path("panels"), all);
        return all;
    }

    private static void addPanels(JsonNode panels, List<JsonNode> all) {
        for (JsonNode panel : panels) {
            all.add(panel);
            addPanels(panel.path("panels"), all);
        }
    }

    /** The Flink series names an expression reads. */
    public static Set<String> seriesNames(String promql) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = SERIES.matcher(promql);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }
}
