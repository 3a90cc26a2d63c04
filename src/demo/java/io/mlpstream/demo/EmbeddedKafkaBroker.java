package io.mlpstream.demo;

import kafka.server.Server;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A real single-node KRaft Kafka broker (combined broker + controller) running inside this JVM on
 * 127.0.0.1. For tests and the stand-alone demo; never part of the job jar.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
 *     kafka.createTopics(2, "images");
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 *
 * <p>Ports, cluster id and log directory are fixed when the broker is built, so {@link #stop()}
 * followed by {@link #start()} (or {@link #restart()}) brings the same broker back with its data
 * on the same address. {@link #close()} stops it and deletes the log directory if it created it.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    public static final String HOST = "127.0.0.1";
    public static final int NODE_ID = 1;
    public static final String BROKER_LISTENER = "PLAINTEXT";
    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /** Kafka's security protocols, for {@link Builder#listener(String, String)}. */
    static final Set<String> SECURITY_PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

    /** Settings this class owns: they depend on the ports and directory it picks. */
    static final Set<String> MANAGED_PROPERTIES = Set.of(
            "process.roles", "node.id", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
            "listeners", "advertised.listeners", "listener.security.protocol.map",
            "controller.listener.names", "inter.broker.listener.name", "log.dirs", "log.dir",
            "metadata.log.dir");

    /**
     * Single-node defaults. Every one can be overridden with
     * {@link Builder#brokerProperty(String, String)}.
     */
    static final Map<String, String> DEFAULT_PROPERTIES = defaultProperties();

    private static Map<String, String> defaultProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // fewer internal partitions: the first consumer group / transaction is ready sooner
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.num.partitions", "5");
        // the log cleaner allocates this on the heap at startup (default 128 MB)
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        return Map.copyOf(p);
    }

    private final int brokerPort;
    private final int controllerPort;
    /** Extra client listeners: name → port, in the order they were added. */
    private final Map<String, Integer> extraListenerPorts = new LinkedHashMap<>();
    private final Map<String, String> extraListenerProtocols;
    private final Path logDir;
    private final boolean ownsLogDir;
    private final String clusterId;
    private final Duration startupTimeout;
    private final Properties serverProperties;

    @Nullable private Server server;
    private boolean formatted;
    private boolean closed;

    private EmbeddedKafkaBroker(Builder builder) throws IOException {
        int[] ports = FreePorts.pick(HOST, 2 + builder.listeners.size());
        this.brokerPort = builder.port > 0 ? builder.port : ports[0];
        this.controllerPort = ports[1];
        this.extraListenerProtocols = Map.copyOf(builder.listeners);
        int next = 2;
        for (String name : builder.listeners.keySet()) {
            extraListenerPorts.put(name, ports[next++]);
        }
        this.ownsLogDir = builder.logDir == null;
        this.logDir = ownsLogDir
                ? Files.createTempDirectory("mlpstream-kafka-")
                : Files.createDirectories(builder.logDir);
        this.clusterId = builder.clusterId != null ? builder.clusterId
                : formattedClusterId(logDir).orElseGet(() -> Uuid.randomUuid().toString());
        this.startupTimeout = builder.startupTimeout;
        this.serverProperties = serverProperties(builder.brokerProperties);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The cluster id a log directory was formatted with (a kept directory of an earlier run), if any. */
    private static Optional<String> formattedClusterId(Path logDir) throws IOException {
        Path meta = logDir.resolve("meta.properties");
        if (!Files.isRegularFile(meta)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(meta)) {
            p.load(in);
        }
        return Optional.ofNullable(p.getProperty("cluster.id"));
    }

    private Properties serverProperties(Map<String, String> overrides) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        StringBuilder extraListeners = new StringBuilder();
        StringBuilder extraProtocols = new StringBuilder();
        extraListenerPorts.forEach((name, port) -> {
            extraListeners.append(',').append(name).append("://").append(HOST).append(':').append(port);
            extraProtocols.append(',').append(name).append(':').append(extraListenerProtocols.get(name));
        });
        p.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + ","
                + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort + extraListeners);
        p.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + extraListeners);
        p.put("listener.security.protocol.map",
                BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT" + extraProtocols);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("log.dirs", logDir.toString());
        // startup() blocks until the broker is unfenced; never forever
        p.put("server.max.startup.time.ms", String.valueOf(startupTimeout.toMillis()));
        p.putAll(DEFAULT_PROPERTIES);
        overrides.forEach((key, value) -> {
            LOG.info("Embedded Kafka broker property {}={} (default: {})",
                    key, value, DEFAULT_PROPERTIES.getOrDefault(key, "Kafka's"));
            p.put(key, value);
        });
        return p;
    }

    /**
     * Formats the log directory (first start only), starts the broker and waits until an admin
     * client gets an answer from {@code describeCluster()}.
     *
     * @return this, for {@code builder().build().start()}
     * @throws IllegalStateException if the broker is running or closed, or did not answer in time
     */
    public synchronized EmbeddedKafkaBroker start() {
        checkState(!closed, "the embedded Kafka broker is closed");
        checkState(server == null, "the embedded Kafka broker at %s is already running", bootstrapServers());
        long startNanos = System.nanoTime();
        if (!formatted) {
            format();
            formatted = true;
        }
        Server newServer = newKafkaRaftServer(serverProperties);
        try {
            newServer.startup();
            server = newServer;
            awaitReady(startNanos + startupTimeout.toNanos());
        } catch (RuntimeException e) {
            shutdownQuietly(newServer);
            server = null;
            throw new IllegalStateException(String.format(
                    "Embedded Kafka broker at %s (log dir %s) failed to start", bootstrapServers(), logDir), e);
        }
        LOG.info("Embedded Kafka broker up at {} in {} ms (log dir {})",
                bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), logDir);
        return this;
    }

    /** Shuts the broker down, keeping its log directory and ports for a later {@link #start()}. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        long startNanos = System.nanoTime();
        Server stopping = server;
        server = null;
        stopping.shutdown();
        stopping.awaitShutdown();
        LOG.info("Embedded Kafka broker at {} stopped in {} ms",
                bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /** {@link #stop()} then {@link #start()}: same ports, same log directory, same data. */
    public synchronized EmbeddedKafkaBroker restart() {
        stop();
        return start();
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** {@code 127.0.0.1:<port>}, also valid while stopped (the port is kept for a restart). */
    public String bootstrapServers() {
        return HOST + ":" + brokerPort;
    }

    /**
     * {@code 127.0.0.1:<port>} of a listener added with {@link Builder#listener(String, String)}.
     *
     * @throws IllegalArgumentException if there is no such listener
     */
    public String bootstrapServers(String listenerName) {
        Integer port = extraListenerPorts.get(listenerName);
        checkArgument(port != null, "No listener named '%s'; this broker has %s (and %s)",
                listenerName, extraListenerPorts.keySet(), BROKER_LISTENER);
        return HOST + ":" + port;
    }

    public int port() {
        return brokerPort;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public Path logDir() {
        return logDir;
    }

    public String clusterId() {
        return clusterId;
    }

    /**
     * Creates the topics (replication factor 1) and waits until every partition has a leader.
     *
     * @throws IllegalStateException if a topic exists already or creation did not finish in time
     */
    public void createTopics(int partitions, String... topics) {
        checkArgument(partitions > 0, "partitions must be positive, got %s", partitions);
        checkArgument(topics.length > 0, "give at least one topic name");
        checkState(isRunning(), "the embedded Kafka broker at %s is not running", bootstrapServers());
        List<NewTopic> newTopics = Arrays.stream(topics)
                .map(topic -> new NewTopic(Objects.requireNonNull(topic, "topic"), partitions, (short) 1))
                .collect(Collectors.toList());
        long deadline = System.nanoTime() + DEFAULT_ADMIN_TIMEOUT.toNanos();
        try (Admin admin = createAdmin()) {
            admin.createTopics(newTopics).all().get(DEFAULT_ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            while (!allPartitionsHaveLeaders(admin, List.of(topics), partitions)) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("partitions still without leader");
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + Arrays.toString(topics), e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(String.format("Could not create topics %s with %s partitions on %s within %s ms: %s",
                    Arrays.toString(topics), partitions, bootstrapServers(), DEFAULT_ADMIN_TIMEOUT.toMillis(), cause), cause);
        }
    }

    /**
     * Creates those of the topics that do not exist yet (a broker restarted on its log directory keeps its topics), as
     * {@link #createTopics} does; returns the ones it created.
     */
    public List<String> createMissingTopics(int partitions, String... topics) {
        checkState(isRunning(), "the embedded Kafka broker at %s is not running", bootstrapServers());
        Set<String> existing;
        try (Admin admin = createAdmin()) {
            existing = admin.listTopics().names().get(DEFAULT_ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Could not list the topics on " + bootstrapServers(), e);
        }
        List<String> missing = Arrays.stream(topics).filter(t -> !existing.contains(t)).distinct().toList();
        if (!missing.isEmpty()) {
            createTopics(partitions, missing.toArray(String[]::new));
        }
        return missing;
    }

    private static boolean allPartitionsHaveLeaders(Admin admin, Collection<String> topics, int partitions)
            throws InterruptedException {
        try {
            Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get();
            return descriptions.values().stream().allMatch(d -> d.partitions().size() == partitions
                    && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty()));
        } catch (ExecutionException e) {
            return false; // e.g. UnknownTopicOrPartition while metadata propagates
        }
    }

    /** Stops the broker and deletes the log directory if this class created it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            stop();
        } finally {
            closed = true;
            if (ownsLogDir) {
                try {
                    Utils.delete(logDir.toFile());
                } catch (IOException e) {
                    LOG.warn("Could not delete the embedded Kafka log dir {}", logDir, e);
                }
            }
        }
    }

    /**
     * Formats the log directory with Kafka's {@code kafka-storage.sh format} tool. (Its Java API,
     * {@code org.apache.kafka.metadata.storage.Formatter}, is only a runtime dependency of kafka_2.13.)
     */
    private void format() {
        Path propertiesFile;
        try {
            propertiesFile = Files.createTempFile("mlpstream-kafka-", ".properties");
            try (OutputStream out = Files.newOutputStream(propertiesFile)) {
                serverProperties.store(out, "written by " + EmbeddedKafkaBroker.class.getName());
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not write a server.properties file to format " + logDir, e);
        }
        String[] args = {"format", "--cluster-id", clusterId, "--config", propertiesFile.toString(),
                "--ignore-formatted"}; // a given log dir may hold a broker from an earlier run
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try {
            exitCode = StorageTool.execute(args, new PrintStream(output, true, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalStateException(String.format(
                    "Could not format Kafka log dir %s for cluster %s: %s", logDir, clusterId, e.getMessage()), e);
        } finally {
            try {
                Files.deleteIfExists(propertiesFile);
            } catch (IOException e) {
                LOG.warn("Could not delete {}", propertiesFile, e);
            }
        }
        checkState(exitCode == 0, "Could not format Kafka log dir %s for cluster %s (exit code %s): %s",
                logDir, clusterId, exitCode, output.toString(StandardCharsets.UTF_8));
    }

    private void awaitReady(long deadlineNanos) {
        try (Admin admin = createAdmin()) {
            while (true) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                if (remainingMs <= 0) {
                    throw new IllegalStateException(String.format(
                            "Embedded Kafka broker at %s did not answer describeCluster() within %s ms",
                            bootstrapServers(), startupTimeout.toMillis()));
                }
                try {
                    Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions()
                            .timeoutMs((int) Math.min(remainingMs, Integer.MAX_VALUE)))
                            .nodes().get(remainingMs, TimeUnit.MILLISECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    LOG.debug("Embedded Kafka broker at {} not ready yet: {}", bootstrapServers(), e.toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedded Kafka broker", e);
        }
    }

    private Admin createAdmin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin");
        return Admin.create(props);
    }

    /**
     * {@code new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM)}, reflectively:
     * KafkaConfig's superclass lives in kafka-server, which kafka_2.13's POM declares with runtime
     * scope only, so javac cannot compile any direct use of KafkaConfig.
     */
    private static Server newKafkaRaftServer(Properties props) {
        try {
            Class<?> configClass = Class.forName("kafka.server.KafkaConfig");
            Object config = configClass.getMethod("fromProps", Properties.class, boolean.class)
                    .invoke(null, props, false);
            return (Server) Class.forName("kafka.server.KafkaRaftServer")
                    .getConstructor(configClass, Time.class)
                    .newInstance(config, Time.SYSTEM);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException ? (RuntimeException) cause
                    : new IllegalStateException("Could not create the Kafka server", cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kafka_2.13 on the classpath lacks "
                    + "KafkaConfig.fromProps(Properties, boolean) or KafkaRaftServer(KafkaConfig, Time); "
                    + "it must be Kafka 4.2.x", e);
        }
    }

    private static void shutdownQuietly(Server server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Error while shutting down a failed embedded Kafka broker", e);
        }
    }

    private static void checkArgument(boolean condition, String message, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(message, args));
        }
    }

    private static void checkState(boolean condition, String message, Object... args) {
        if (!condition) {
            throw new IllegalStateException(String.format(message, args));
        }
    }

    /** Builder with named defaults; every setter may be left out. */
    public static final class Builder {
        @Nullable private Path logDir;
        @Nullable private String clusterId;
        private int port;
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private final Map<String, String> listeners = new LinkedHashMap<>();

        private Builder() {}

        /**
         * An extra client listener on its own free port, e.g. {@code listener("SECURE", "SASL_SSL")},
         * advertised beside {@link #BROKER_LISTENER}, which stays PLAINTEXT for inter-broker traffic and
         * this class's own admin client. Configure it with listener-prefixed broker properties such as
         * {@code listener.name.secure.ssl.keystore.location}; clients reach it at
         * {@link #bootstrapServers(String)}.
         */
        public Builder listener(String name, String securityProtocol) {
            listeners.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(securityProtocol, "securityProtocol"));
            return this;
        }

        /** The client (PLAINTEXT) port on 127.0.0.1; by default, or with 0, a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** A log directory to use and keep; by default a temporary one, deleted on {@link #close()}. */
        public Builder logDir(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            return this;
        }

        /** Cluster id for formatting; by default the one a kept log directory has, else a random one. */
        public Builder clusterId(String clusterId) {
            this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
            return this;
        }

        /** How long {@link #start()} may take; default {@link #DEFAULT_STARTUP_TIMEOUT}. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
            return this;
        }

        /** Any broker setting (server.properties key), overriding the defaults. Logged. */
        public Builder brokerProperty(String key, String value) {
            brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Picks the ports and log directory; does not start the broker. */
        public EmbeddedKafkaBroker build() {
            sanityCheck();
            try {
                return new EmbeddedKafkaBroker(this);
            } catch (IOException e) {
                throw new IllegalStateException("Could not prepare ports or log dir for the embedded Kafka broker", e);
            }
        }

        private void sanityCheck() {
            checkArgument(port >= 0 && port <= 65535, "port must be 0 (any free one) to 65535, got %s", port);
            checkArgument(!startupTimeout.isNegative() && !startupTimeout.isZero(),
                    "startupTimeout must be positive, got %s", startupTimeout);
            for (String key : brokerProperties.keySet()) {
                checkArgument(!MANAGED_PROPERTIES.contains(key),
                        "Broker property '%s' is set by EmbeddedKafkaBroker itself (single node %s on free "
                                + "127.0.0.1 ports); use logDir(..) for the directory, and leave listeners, "
                                + "roles and quorum settings out", key, NODE_ID);
            }
            for (Map.Entry<String, String> l : listeners.entrySet()) {
                checkArgument(l.getKey().matches("[A-Z][A-Z0-9_]*") && !l.getKey().equals(BROKER_LISTENER)
                                && !l.getKey().equals(CONTROLLER_LISTENER),
                        "Listener name '%s' must be upper case letters, digits and _, other than %s and %s",
                        l.getKey(), BROKER_LISTENER, CONTROLLER_LISTENER);
                checkArgument(SECURITY_PROTOCOLS.contains(l.getValue()),
                        "Listener %s: security protocol '%s' is not one of %s", l.getKey(), l.getValue(), SECURITY_PROTOCOLS);
            }
            checkArgument(clusterId == null || isValidClusterId(clusterId),
                    "clusterId must be a base64 UUID such as %s, got '%s'", Uuid.randomUuid(), clusterId);
        }

        private static boolean isValidClusterId(String id) {
            try {
                Uuid.fromString(id);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }
}
