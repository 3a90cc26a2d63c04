package io.mlpstream.job;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.job.serde.ImageEventCodec;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code send}: a user's image files as {@link ImageEvent}s to the input topic, one event per PNG or JPEG file (the
 * format sniffed from the bytes, never from the name), its id the file's name (its path below a directory argument),
 * keyed by that id.
 */
final class SendCommand implements Command {
    static final String DEFAULT_SOURCE = "mlpstream-send";
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);

    @Override
    public String name() {
        return "send";
    }

    @Override
    public String usage() {
        return "[--bootstrap HOST:PORT] [--topic images] [--id-prefix PREFIX] [--attr key=value]... [--source NAME] "
                + "[--config FILE] [--set key=value]... FILE|DIR...";
    }

    @Override
    public String description() {
        return "Sends each PNG or JPEG file (directories: every file below them, in name order) to the input topic as "
                + "an ImageEvent: content type sniffed from the bytes, event id = the file's name (its path below the "
                + "directory), prefixed with PREFIX- if given, capture time = the file's modification time, attributes "
                + "from --attr. Other files are skipped with a line saying so. --bootstrap and --topic default to "
                + "kafka.bootstrap-servers and kafka.input-topic (--config / --set, which also pass "
                + "kafka.properties.* such as security settings).";
    }

    @Override
    public List<String> valueFlags() {
        return List.of("bootstrap", "topic", "id-prefix", "source");
    }

    @Override
    public List<String> repeatableFlags() {
        return List.of("attr");
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        if (cl.arguments().isEmpty()) {
            throw new ConfigException("'send' needs at least one image file or directory, e.g. send --topic images photos/");
        }
        InferenceJobSpec spec = InferenceJobSpec.from(cl.jobConfig());
        String bootstrap = cl.flag("bootstrap", spec.kafkaBootstrapServers());
        String topic = cl.flag("topic", spec.kafkaInputTopic());
        String prefix = cl.flag("id-prefix", "");
        String source = cl.flag("source", DEFAULT_SOURCE);
        Map<String, String> attributes = attributes(cl.list("attr"));
        List<ImageFiles.ImageFile> files = ImageFiles.list(cl.arguments(), prefix);

        Properties props = ClientProperties.of(bootstrap, spec.kafkaProperties());
        checkTopic(props, bootstrap, topic);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "mlpstream-send");
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        AtomicInteger acked = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        int sent = 0;
        int skipped = 0;
        long bytes = 0;
        long start = System.nanoTime();
        long nextProgress = start + PROGRESS_EVERY.toNanos();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (ImageFiles.ImageFile file : files) {
                Optional<ImageEvent> event = ImageFiles.event(file, source, attributes);
                if (event.isEmpty()) {
                    out.println("skipped " + file.path() + ": not a PNG or JPEG image");
                    skipped++;
                    continue;
                }
                int size = event.get().getImage().remaining();
                producer.send(new ProducerRecord<>(topic, file.id().getBytes(StandardCharsets.UTF_8), ImageEventCodec.encode(event.get())),
                        (metadata, error) -> {
                            if (error == null) {
                                acked.incrementAndGet();
                            } else {
                                failures.add(file.path() + " (" + size + " bytes) was not sent: " + error.getMessage());
                            }
                        });
                sent++;
                bytes += size;
                if (System.nanoTime() >= nextProgress && sent + skipped < files.size()) {
                    out.printf(Locale.ROOT, "sending to %s on %s: %d of %d files, %d acknowledged%n", topic, bootstrap,
                            sent + skipped, files.size(), acked.get());
                    nextProgress += PROGRESS_EVERY.toNanos();
                }
            }
            producer.flush();
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new ConfigException("Kafka at " + bootstrap + " did not answer (" + e.getMessage() + "): check --bootstrap "
                    + "and that the broker is up.");
        }
        failures.forEach(out::println);
        out.printf(Locale.ROOT, "sent %d images (%s) to %s on %s in %.1f s%s%s%n", acked.get(), size(bytes), topic, bootstrap,
                (System.nanoTime() - start) / 1e9, skipped > 0 ? "; skipped " + skipped + " other files" : "",
                failures.isEmpty() ? "" : "; " + failures.size() + " failed");
        return failures.isEmpty() && acked.get() == sent ? 0 : 1;
    }

    /** A missing topic fails here with one line, rather than being created by a broker that creates topics on use. */
    private static void checkTopic(Properties props, String bootstrap, String topic) throws InterruptedException {
        Set<String> topics;
        try (Admin admin = Admin.create(props)) {
            topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new ConfigException("Kafka at " + bootstrap + " did not answer: check --bootstrap (kafka.bootstrap-servers) "
                    + "and that the broker is up (" + (e.getCause() == null ? e : e.getCause()).getMessage() + ").");
        }
        if (!topics.contains(topic)) {
            throw new ConfigException("Topic '" + topic + "' does not exist on " + bootstrap + " (topics: " + String.join(", ",
                    topics.stream().filter(t -> !t.startsWith("__")).sorted().toList()) + "). Check --topic (kafka.input-topic).");
        }
    }

    /** {@code key=value} strings as a map; a string without '=' is refused. */
    static Map<String, String> attributes(List<String> pairs) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (String kv : pairs) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--attr expects key=value, got '" + kv + "' (e.g. --attr camera=front-door).");
            }
            attributes.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
        }
        return attributes;
    }

    private static String size(long bytes) {
        return bytes < 10_000 ? bytes + " bytes" : bytes < 10_000_000 ? (bytes + 512) / 1024 + " KB"
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }
}
