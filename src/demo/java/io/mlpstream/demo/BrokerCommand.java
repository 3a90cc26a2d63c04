package io.mlpstream.demo;

import io.mlpstream.job.Command;
import io.mlpstream.job.CommandLine;
import io.mlpstream.job.ConfigException;
import io.mlpstream.job.InferenceJobSpec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code broker}: the bundled single-node KRaft Kafka broker on its own, with the job's four topics, until Ctrl-C: a
 * broker for {@code run}, {@code send} and {@code results} on a machine without Kafka.
 */
final class BrokerCommand implements Command {
    static final int DEFAULT_PORT = 9092;
    static final int DEFAULT_PARTITIONS = 2;

    @Override
    public String name() {
        return "broker";
    }

    @Override
    public String usage() {
        return "[--port 9092] [--data DIR] [--partitions 2] [--config FILE] [--set key=value]...";
    }

    @Override
    public String description() {
        return "Starts the bundled Kafka broker (KRaft, one node, PLAINTEXT on 127.0.0.1:PORT; --port 0 picks a free "
                + "port), creates the job's four topics (kafka.input-topic, kafka.results-topic, kafka.dead-letter-topic, "
                + "kafka.metrics-topic from --config / --set; defaults images, tags, dead-letter, inference-metrics) "
                + "with --partitions each, prints the bootstrap address and runs until Ctrl-C, then stops cleanly. "
                + "--data DIR keeps the broker's data there across restarts; without it, a temporary directory is "
                + "deleted on exit.";
    }

    @Override
    public List<String> valueFlags() {
        return List.of("port", "data", "partitions");
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        InferenceJobSpec spec = InferenceJobSpec.from(cl.jobConfig());
        int port = cl.intFlag("port", DEFAULT_PORT);
        int partitions = cl.intFlag("partitions", DEFAULT_PARTITIONS);
        if (port < 0 || port > 65535) {
            throw new ConfigException("--port " + port + " is not a port: use 1 to 65535, or 0 for any free one.");
        }
        if (partitions < 1) {
            throw new ConfigException("--partitions " + partitions + " must be at least 1.");
        }
        checkFree(port);
        EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder().port(port);
        String data = cl.flags().get("data");
        if (data != null) {
            builder.logDir(Path.of(data).toAbsolutePath());
        }
        EmbeddedKafkaBroker broker = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Thread onCtrlC = new Thread(() -> {
            main.interrupt();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mlpstream-broker-stop");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        boolean started = false;
        try {
            broker.start();
            started = true;
            List<String> created = broker.createMissingTopics(partitions, spec.kafkaInputTopic(), spec.kafkaResultsTopic(),
                    spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic());
            out.println("Kafka broker on " + broker.bootstrapServers() + " (data in " + broker.logDir()
                    + (data == null ? ", deleted on exit" : "") + ")");
            out.println("Topics " + String.join(", ", spec.kafkaInputTopic(), spec.kafkaResultsTopic(),
                    spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic()) + " ready" + (created.isEmpty() ? ""
                    : " (created with " + partitions + " partitions: " + String.join(", ", created) + ")"));
            out.println("Bootstrap servers: " + broker.bootstrapServers() + "   Ctrl-C stops the broker.");
            new CountDownLatch(1).await(); // until Ctrl-C (or an interrupt)
        } catch (InterruptedException e) {
            Thread.interrupted();
        } finally {
            broker.close();
            if (started) {
                out.println("Kafka broker on " + broker.bootstrapServers() + " stopped.");
            }
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException e) {
                // the JVM is shutting down (Ctrl-C): the hook is what stopped us
            }
        }
        return 0;
    }

    /** A port in use fails here with one line, not deep inside the broker's start. */
    private static void checkFree(int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(EmbeddedKafkaBroker.HOST), port));
        } catch (IOException e) {
            throw new ConfigException("Port " + port + " on " + EmbeddedKafkaBroker.HOST + " is in use (another broker?): "
                    + "stop that, or pick another with --port N (0: any free port) and pass 127.0.0.1:N as --bootstrap / "
                    + "kafka.bootstrap-servers.");
        }
    }
}
