package io.mlpstream.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Prometheus server (the {@code prometheus} binary on the PATH: Debian's package, installed by .ci/run) on
 * 127.0.0.1, scraping the given targets every second, queried over its HTTP API. {@link #close()} kills it; its data
 * and configuration live in a directory of their own, its output in {@code <logDir>/prometheus.log}.
 */
public final class PrometheusServer implements AutoCloseable {
    public static final String BINARY = "prometheus";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggedProcess process;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(LoggedProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The prometheus binary on the PATH, if there is one. */
    public static Optional<Path> binary() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, BINARY))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /**
     * Starts Prometheus with one scrape job {@code job} over {@code targets} ({@code host:port}) every second and waits
     * until it is ready.
     */
    public static PrometheusServer start(Path binary, Path workDir, Path logDir, String job, List<String> targets) {
        try {
            Files.createDirectories(workDir);
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            Path config = workDir.resolve("prometheus.yml");
            Files.writeString(config, String.join("\n",
                    "# written by PrometheusServer",
                    "global:",
                    "  scrape_interval: 1s",
                    "  scrape_timeout: 1s",
                    "scrape_configs:",
                    "  - job_name: " + job,
                    "    static_configs:",
                    "      - targets: [" + targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")) + "]",
                    ""), StandardCharsets.UTF_8);
            List<String> command = List.of(binary.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + workDir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn");
            LoggedProcess process = LoggedProcess.start("prometheus", command, Map.of(), workDir, logDir.resolve("prometheus.log"));
            PrometheusServer server = new PrometheusServer(process, port);
            server.awaitReady(Duration.ofSeconds(60));
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited before it was ready:\n" + process.tail(40));
            }
            try {
                if (http.send(request("/-/ready"), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("prometheus not ready after " + timeout + ":\n" + process.tail(40));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** An instant query's result vector (each element with {@code metric} labels and {@code value}); fails on an error. */
    public JsonNode query(String promql) {
        JsonNode answer = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(answer.path("status").asText())) {
            throw new AssertionError("Prometheus refused the query " + promql + ": " + answer.path("error").asText());
        }
        return answer.path("data").path("result");
    }

    /** The sum of an instant query's values (0 when it has none). */
    public double sum(String promql) {
        double sum = 0;
        for (JsonNode sample : query(promql)) {
            sum += Double.parseDouble(sample.path("value").get(1).asText());
        }
        return sum;
    }

    /** Every series name Prometheus has stored so far, sorted. */
    public List<String> seriesNames() {
        List<String> names = new ArrayList<>();
        get("/api/v1/label/__name__/values").path("data").forEach(n -> names.add(n.asText()));
        return new ArrayList<>(new TreeSet<>(names));
    }

    /** The scrape targets and whether each is up, e.g. {@code 127.0.0.1:9249=up}. */
    public List<String> targetHealth() {
        List<String> health = new ArrayList<>();
        get("/api/v1/targets").path("data").path("activeTargets").forEach(t ->
                health.add(t.path("labels").path("instance").asText() + "=" + t.path("health").asText()));
        return health;
    }

    public int port() {
        return port;
    }

    public String logTail(int lines) {
        return process.tail(lines);
    }

    private JsonNode get(String pathAndQuery) {
        try {
            HttpResponse<String> r = http.send(request(pathAndQuery), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + pathAndQuery + " on Prometheus", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private HttpRequest request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).GET().build();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.kill();
        }
    }
}
