package io.mlpstream.testutils;

import io.mlpstream.demo.FreePorts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Flink session cluster made of separate JVMs on 127.0.0.1, started from the Flink jars on
 * Maven Central the way Flink's scripts start a distribution: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}), TaskManagers ({@code TaskManagerRunner}) with the
 * memory settings {@code BashJavaUtils} computes, and jobs submitted with the Flink CLI
 * ({@code CliFrontend run -d}) as another process. Talks to the cluster over its REST API.
 *
 * <p>Every JVM gets its own {@code java.io.tmpdir} under the cluster's work directory (a killed
 * TaskManager leaves ONNX Runtime's extracted native library there); {@link #close()} kills every
 * process it started and deletes the work directory. Each process's output goes to
 * {@code <logDir>/<name>.log}, which stays for inspection; {@link #logTails(int)} prints them.
 */
public final class FlinkProcessCluster implements AutoCloseable {
    public static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    public static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    public static final String CLI_MAIN = "org.apache.flink.client.cli.CliFrontend";
    public static final String BASH_JAVA_UTILS_MAIN = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    public static final String BASH_JAVA_UTILS_RESULT = "BASH_JAVA_UTILS_EXEC_RESULT:";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_SLOTS = 2;
    /** The CLI only builds the job graph and uploads the jar; the JVM default would be a quarter of the machine. */
    public static final String CLI_HEAP = "384m";
    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Path> classpath;
    private final List<String> jvmOptions;
    private final Map<String, String> config;
    private final Path workDir;
    private final Path confDir;
    private final Path logDir;
    private final Path pluginsDir;
    private final int restPort;
    private final int slotsPerTaskManager;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<LoggedProcess> processes = new ArrayList<>();
    /** The JobManager and TaskManagers (not the short-lived CLI and BashJavaUtils runs). */
    private final List<LoggedProcess> clusterProcesses = new ArrayList<>();
    private final Set<LoggedProcess> killed = new LinkedHashSet<>();
    private final Thread killOnExit = new Thread(this::killAll, "flink-process-cluster-kill-on-exit");
    private int taskManagersStarted;
    private int cliRuns;

    private FlinkProcessCluster(Builder b) {
        this.classpath = List.copyOf(b.classpath);
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.logDir = b.logDir;
        this.pluginsDir = b.pluginsDir;
        this.slotsPerTaskManager = b.slotsPerTaskManager;
        try {
            this.workDir = Files.createTempDirectory("flink-process-cluster-");
            this.confDir = Files.createDirectories(workDir.resolve("conf"));
            int[] ports = FreePorts.pick("127.0.0.1", 2);
            this.restPort = ports[0];
            Map<String, String> c = new LinkedHashMap<>();
            c.put("jobmanager.rpc.address", "127.0.0.1");
            c.put("jobmanager.rpc.port", Integer.toString(ports[1]));
            c.put("jobmanager.bind-host", "127.0.0.1");
            c.put("rest.address", "127.0.0.1");
            c.put("rest.bind-address", "127.0.0.1");
            c.put("rest.port", Integer.toString(restPort));
            c.put("taskmanager.host", "127.0.0.1");
            c.put("taskmanager.bind-host", "127.0.0.1");
            c.put("taskmanager.numberOfTaskSlots", Integer.toString(slotsPerTaskManager));
            c.put("jobmanager.memory.process.size", "1024m");
            c.put("taskmanager.memory.process.size", "1024m");
            // no managed memory (heap state backend, no batch operators): leaves the task heap 256 MB of 1 GB
            c.put("taskmanager.memory.managed.size", "0m");
            // a killed TaskManager is noticed after two failed heartbeat RPCs, not after the 50 s default timeout
            c.put("heartbeat.interval", "1000");
            c.put("heartbeat.timeout", "20000");
            c.put("env.java.opts.all", String.join(" ", jvmOptions));
            c.putAll(b.config);
            this.config = c;
            writeConfiguration();
            Runtime.getRuntime().addShutdownHook(killOnExit);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the classpath files the build writes (one or more {@code *.txt} in {@code dir}, entries
     * separated by the path separator) into one de-duplicated list of existing jars.
     */
    public static List<Path> classpathFromFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("No Flink classpath files in " + dir.toAbsolutePath()
                    + ": the build writes them in generate-test-resources (maven-dependency-plugin build-classpath); run through Maven");
        }
        Set<Path> jars = new LinkedHashSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().collect(Collectors.toList())) {
                for (String entry : Files.readString(f, StandardCharsets.UTF_8).trim().split(File.pathSeparator)) {
                    if (!entry.isBlank()) {
                        Path jar = Path.of(entry.trim());
                        if (!Files.isRegularFile(jar)) {
                            throw new IllegalStateException("Classpath file " + f + " names a missing jar: " + jar);
                        }
                        jars.add(jar);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(jars);
    }

    /** Starts the JobManager and waits until its REST API answers. */
    public FlinkProcessCluster startJobManager() {
        startFlinkJvm("jobmanager", "GET_JM_RESOURCE_PARAMS", JOB_MANAGER_MAIN);
        awaitCondition("the JobManager's REST API on port " + restPort + " to answer", DEFAULT_TIMEOUT,
                () -> tryGet("/overview") != null);
        return this;
    }

    /** Starts one more TaskManager JVM (not waiting for it to register: see {@link #awaitTaskManagers}). */
    public LoggedProcess startTaskManager() {
        taskManagersStarted++;
        return startFlinkJvm("taskmanager-" + taskManagersStarted, "GET_TM_RESOURCE_PARAMS", TASK_MANAGER_MAIN);
    }

    /** Waits until exactly {@code count} TaskManagers with all their slots are registered. */
    public void awaitTaskManagers(int count, Duration timeout) {
        awaitCondition(count + " registered TaskManager(s) with " + count * slotsPerTaskManager + " slots", timeout, () -> {
            JsonNode o = tryGet("/overview");
            return o != null && o.path("taskmanagers").asInt() == count && o.path("slots-total").asInt() == count * slotsPerTaskManager;
        });
    }

    /**
     * Submits a job jar with {@code flink run -d} as a separate process and returns the job id it prints.
     * The CLI's working directory is the current one, so relative paths in {@code programArgs} work.
     */
    public String submit(Path jobJar, List<String> programArgs, Duration timeout) {
        if (!Files.isRegularFile(jobJar)) {
            throw new IllegalStateException("No job jar at " + jobJar.toAbsolutePath() + ": it is built in 'package' (run 'mvn verify')");
        }
        cliRuns++;
        String name = "flink-cli-" + cliRuns;
        List<String> command = javaCommand(name, List.of("-Xmx" + CLI_HEAP));
        command.add(CLI_MAIN);
        command.addAll(List.of("run", "-d", "-m", "127.0.0.1:" + restPort, jobJar.toAbsolutePath().toString()));
        command.addAll(programArgs);
        LoggedProcess cli = launch(name, command);
        int exit = cli.awaitExit(timeout);
        String output = cli.output();
        Matcher m = JOB_ID.matcher(output);
        if (exit != 0 || !m.find()) {
            throw new AssertionError("flink run exited " + exit + " without a job id; its output:\n" + cli.tail(60));
        }
        return m.group(1);
    }

    /** GET on the REST API; fails on a non-200 answer. */
    public JsonNode get(String path) {
        JsonNode node = tryGet(path);
        if (node == null) {
            throw new AssertionError("GET " + path + " on the JobManager's REST API failed");
        }
        return node;
    }

    /** The job's state (RUNNING, RESTARTING, CANCELED, ...). */
    public String jobState(String jobId) {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** The job is RUNNING and so is every one of its vertices (all tasks deployed). */
    public boolean isJobFullyRunning(String jobId) {
        JsonNode job = tryGet("/jobs/" + jobId);
        if (job == null || !"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode v : job.path("vertices")) {
            if (!"RUNNING".equals(v.path("status").asText())) {
                return false;
            }
        }
        return job.path("vertices").size() > 0;
    }

    /** A job-level metric (e.g. numRestarts) as a number, or -1 while the metric is not reported. */
    public long jobMetric(String jobId, String metric) {
        JsonNode values = tryGet("/jobs/" + jobId + "/metrics?get=" + metric);
        if (values == null) {
            return -1;
        }
        for (JsonNode v : values) {
            if (metric.equals(v.path("id").asText())) {
                return (long) Double.parseDouble(v.path("value").asText());
            }
        }
        return -1;
    }

    /** Number of completed checkpoints of the job. */
    public long completedCheckpoints(String jobId) {
        JsonNode c = tryGet("/jobs/" + jobId + "/checkpoints");
        return c == null ? 0 : c.path("counts").path("completed").asLong();
    }

    /** Cancels the job and waits until it is CANCELED. */
    public void cancel(String jobId, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(uri("/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 202) {
                throw new AssertionError("cancelling job " + jobId + ": HTTP " + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        awaitCondition("job " + jobId + " to be CANCELED", timeout, () -> "CANCELED".equals(jobState(jobId)));
    }

    /**
     * Polls {@code condition} every 250 ms until it holds. Fails after {@code timeout} saying what was
     * awaited, or as soon as a JobManager or TaskManager exits that was not {@link #kill killed}.
     */
    public void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for " + what + " (process logs in " + logDir + ")");
            }
            List<LoggedProcess> exited;
            synchronized (processes) {
                exited = clusterProcesses.stream()
                        .filter(p -> !p.isAlive() && !killed.contains(p))
                        .collect(Collectors.toList());
            }
            if (!exited.isEmpty()) {
                throw new AssertionError("While waiting for " + what + ", " + exited + " exited:\n" + exited.get(0).tail(40));
            }
            sleep(250);
        }
    }

    /** Kills a process of this cluster with SIGKILL (a crash: no shutdown hooks run) and waits until it is gone. */
    public void kill(LoggedProcess process) {
        synchronized (processes) {
            killed.add(process);
        }
        process.kill();
    }

    /** The last {@code lines} lines of every process's output, one block per process. */
    public String logTails(int lines) {
        StringBuilder sb = new StringBuilder();
        List<LoggedProcess> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
        }
        for (LoggedProcess p : all) {
            sb.append("----- ").append(p).append(" -----\n").append(p.tail(lines)).append('\n');
        }
        return sb.toString();
    }

    public int restPort() {
        return restPort;
    }

    public Path workDir() {
        return workDir;
    }

    public Map<String, String> configuration() {
        return config;
    }

    /** Kills every process this cluster started (the JobManager last) and deletes the work directory. */
    @Override
    public void close() {
        killAll();
        deleteRecursively(workDir);
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook runs anyway
        }
    }

    private void killAll() {
        List<LoggedProcess> reversed;
        synchronized (processes) {
            reversed = new ArrayList<>(processes);
        }
        Collections.reverse(reversed);
        for (LoggedProcess p : reversed) {
            if (p.isAlive()) {
                try {
                    p.kill();
                } catch (RuntimeException e) {
                    System.err.println("Could not kill " + p + ": " + e);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    private LoggedProcess startFlinkJvm(String name, String resourceCommand, String mainClass) {
        ResourceParams params = resourceParams(name, resourceCommand);
        List<String> command = javaCommand(name, params.jvmFlags());
        command.add(mainClass);
        command.add("--configDir");
        command.add(confDir.toString());
        command.addAll(params.dynamicProperties());
        LoggedProcess p = launch(name, command);
        synchronized (processes) {
            clusterProcesses.add(p);
        }
        return p;
    }

    /** JVM flags and {@code -D key=value} arguments computed from the configuration, as Flink's scripts do. */
    private ResourceParams resourceParams(String forProcess, String resourceCommand) {
        String name = "bash-java-utils-" + forProcess;
        List<String> command = javaCommand(name, List.of("-Xmx64m"));
        command.addAll(List.of(BASH_JAVA_UTILS_MAIN, resourceCommand, "--configDir", confDir.toString()));
        LoggedProcess utils = launch(name, command);
        int exit = utils.awaitExit(DEFAULT_TIMEOUT);
        List<String> results = utils.output().lines()
                .filter(l -> l.startsWith(BASH_JAVA_UTILS_RESULT))
                .map(l -> l.substring(BASH_JAVA_UTILS_RESULT.length()).trim())
                .collect(Collectors.toList());
        if (exit != 0 || results.size() != 2) {
            throw new AssertionError(resourceCommand + " exited " + exit + " with " + results.size()
                    + " result lines (expected 2: JVM flags, dynamic properties):\n" + utils.tail(40));
        }
        return new ResourceParams(split(results.get(0)), split(results.get(1)));
    }

    private record ResourceParams(List<String> jvmFlags, List<String> dynamicProperties) {}

    private List<String> javaCommand(String name, List<String> resourceJvmFlags) {
        Path tmp = workDir.resolve("tmp-" + name);
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(resourceJvmFlags);
        command.addAll(jvmOptions);
        command.add("-Djava.io.tmpdir=" + tmp);
        command.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j-console.properties"));
        command.add("-classpath");
        command.add(classpath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        return command;
    }

    private LoggedProcess launch(String name, List<String> command) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLINK_CONF_DIR", confDir.toString());
        if (pluginsDir != null) {
            env.put("FLINK_PLUGINS_DIR", pluginsDir.toAbsolutePath().toString());
        }
        LoggedProcess p = LoggedProcess.start(name, command, env, Path.of("").toAbsolutePath(), logDir.resolve(name + ".log"));
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    private void writeConfiguration() throws IOException {
        StringBuilder yaml = new StringBuilder("# written by FlinkProcessCluster\n");
        config.forEach((k, v) -> yaml.append(k).append(": ").append(quote(v)).append('\n'));
        Files.writeString(confDir.resolve("config.yaml"), yaml.toString(), StandardCharsets.UTF_8);
        Files.writeString(confDir.resolve("log4j-console.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.console.ref = Console",
                "appender.console.type = Console",
                "appender.console.name = Console",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40.40c{1.} [%maxLen{%t}{40}] %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                "logger.metrics.name = org.apache.flink.runtime.metrics",
                "logger.metrics.level = WARN",
                ""), StandardCharsets.UTF_8);
    }

    /** A YAML double-quoted scalar: Flink's YAML parser then hands the option its plain text. */
    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private JsonNode tryGet(String path) {
        HttpRequest request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + restPort + path);
    }

    private static List<String> split(String line) {
        return Arrays.stream(line.split("\\s+")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    /** The first of {@code n} consecutive ports free on 127.0.0.1 right now (see {@link FreePorts#pickRange}). */
    public static int freePortRange(int n) {
        try {
            return FreePorts.pickRange("127.0.0.1", n);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }


    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("Could not delete " + dir + ": " + e);
        }
    }

    /** Classpath, JVM options and extra configuration of the cluster. */
    public static final class Builder {
        private List<Path> classpath = List.of();
        private List<String> jvmOptions = List.of();
        private final Map<String, String> config = new LinkedHashMap<>();
        private Path logDir = Path.of("target", "flink-process-cluster");
        private Path pluginsDir;
        private int slotsPerTaskManager = DEFAULT_SLOTS;

        private Builder() {}

        /** The jars of a Flink distribution's lib/ (Flink, its dependencies, log4j); never the job's. */
        public Builder classpath(List<Path> classpath) {
            this.classpath = List.copyOf(Objects.requireNonNull(classpath, "classpath"));
            return this;
        }

        /** Options for every JVM (on JDK 17: Flink's --add-opens list); also written as env.java.opts.all. */
        public Builder jvmOptions(String options) {
            this.jvmOptions = split(Objects.requireNonNull(options, "options").trim());
            return this;
        }

        /** One Flink configuration entry (overrides this class's defaults). */
        public Builder config(String key, String value) {
            config.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder logDir(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            return this;
        }

        /**
         * A distribution's {@code plugins/}: one folder per plugin (e.g. {@code metrics-prometheus/} with its jar),
         * each loaded in its own class loader; handed to every JVM as {@code FLINK_PLUGINS_DIR}, as Flink's scripts do.
         */
        public Builder pluginsDir(Path pluginsDir) {
            if (!Files.isDirectory(pluginsDir)) {
                throw new IllegalStateException("No Flink plugins directory at " + pluginsDir.toAbsolutePath()
                        + ": the build lays it out in generate-test-resources (maven-dependency-plugin copy); run through Maven");
            }
            this.pluginsDir = pluginsDir;
            return this;
        }

        public Builder slotsPerTaskManager(int slots) {
            if (slots < 1) {
                throw new IllegalArgumentException("slotsPerTaskManager must be at least 1, was " + slots);
            }
            this.slotsPerTaskManager = slots;
            return this;
        }

        public FlinkProcessCluster build() {
            if (classpath.isEmpty()) {
                throw new IllegalStateException("FlinkProcessCluster needs the Flink classpath (see classpathFromFiles)");
            }
            return new FlinkProcessCluster(this);
        }
    }
}
