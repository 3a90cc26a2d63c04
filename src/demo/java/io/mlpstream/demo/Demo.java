package io.mlpstream.demo;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.job.ConfigException;
import io.mlpstream.job.ImageFiles;
import io.mlpstream.job.serde.ImageEventCodec;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.job.InferenceJobSpec;
import io.mlpstream.job.JobConfig;
import io.mlpstream.job.LocalCheckpoints;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.job.serde.TaggedImageSerializer;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded demo: a KRaft broker in this JVM, the four topics, held-out digits produced as PNG
 * events at a set rate (or the user's own image files), the tagging job on a local MiniCluster, and a read_committed
 * consumer that shows progress and ends with throughput, latency percentiles and accuracy against the true labels
 * (for a model whose labels are the digits). A job that fails (e.g. a model a TaskManager cannot open) ends the demo
 * with its reason. Nothing outside the machine is needed.
 */
public final class Demo {
    /** 0 = every held-out digit once, so the accuracy is comparable with the model card's. */
    public static final int DEFAULT_EVENTS = 0;
    public static final int DEFAULT_RATE = 500;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
    /** Time for tasks to deploy and open their model after the job reports RUNNING. */
    private static final Duration WARM_UP = Duration.ofSeconds(3);

    private Demo() {}

    /**
     * Runs the demo: every held-out digit (or {@code events} of them) at {@code rate} per second, or, with
     * {@code images}, the user's own image files, each once.
     */
    public static int run(Path configFile, Map<String, String> userOverrides, int events, int rate, List<String> images,
            PrintStream out) throws Exception {
        DigitsDataset dataset = loadDataset();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
            Map<String, String> overrides = new LinkedHashMap<>();
            overrides.put("job.checkpoint-interval", "1 s");
            overrides.put("metrics.window", "2 s");
            overrides.put("kafka.starting-offsets", "earliest");
            overrides.put("kafka.transactional-id-prefix", "mlpstream-demo-" + System.currentTimeMillis());
            overrides.put("job.checkpoint-dir", LocalCheckpoints.temporaryDirectory());
            overrides.put("job.resume-from", "none"); // every demo is a fresh stream on a fresh broker
            overrides.putAll(userOverrides);
            overrides.put("kafka.bootstrap-servers", broker.bootstrapServers());
            overrides.put("kafka.bounded", "false");
            InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(configFile, overrides));
            broker.createTopics(2, spec.kafkaInputTopic(), spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic());
            ModelCard card = ModelSource.load(spec.inference().modelName()).card();
            List<ImageEvent> own = images.isEmpty() ? List.of() : ownImages(images, out);
            int total = !images.isEmpty() ? own.size() : events > 0 ? events : dataset.size();
            String noAccuracy = !images.isEmpty() ? "your own images carry no true label (the tags are listed below)"
                    : isDigitsModel(card) ? null
                    : "the demo sends handwritten digits, which model " + card.name() + " (labels " + labels(card)
                            + ") does not classify; pass --images DIR to tag your own images with it";
            out.printf(Locale.ROOT, "Kafka broker on %s; topics %s -> %s / %s / %s%n", broker.bootstrapServers(),
                    spec.kafkaInputTopic(), spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic());
            out.printf(Locale.ROOT, "Model %s v%s%s, %s%n", card.name(), card.versionOrDefault(),
                    card.architecture() == null ? "" : " (" + card.architecture() + ")",
                    card.heldOutAccuracy() == null ? "no held-out accuracy on its card"
                            : String.format(Locale.ROOT, "held-out accuracy on its card: %.4f", card.heldOutAccuracy()));
            if (images.isEmpty()) {
                out.printf(Locale.ROOT, "Producing %d held-out digits as PNG events at %d/s; batch.max-size=%d, batch.max-delay=%s%n",
                        total, rate, spec.inference().batchMaxSize(), spec.inference().batchMaxDelay().toMillis() + " ms");
            } else {
                out.printf(Locale.ROOT, "Producing your %d images from %s; batch.max-size=%d, batch.max-delay=%s%n", total,
                        String.join(", ", images), spec.inference().batchMaxSize(), spec.inference().batchMaxDelay().toMillis() + " ms");
            }
            if (noAccuracy != null && images.isEmpty()) {
                out.println("Accuracy will not be reported: " + noAccuracy + ".");
            }

            Configuration flink = new Configuration();
            DemoMetrics.install(flink);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            InferenceJob.build(env, spec);
            JobClient job = env.executeAsync(spec.jobName());
            CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
            awaitRunning(job, result, out);
            DemoReport report = new DemoReport();
            EventSource source = images.isEmpty()
                    ? new DigitSource(DigitEventProducer.builder()
                            .bootstrapServers(broker.bootstrapServers())
                            .topic(spec.kafkaInputTopic())
                            .dataset(dataset)
                            .numEvents(total)
                            .eventsPerSecond(rate)
                            .build())
                    : new OwnImages(broker.bootstrapServers(), spec.kafkaInputTopic(), own);
            long start = System.nanoTime();
            try (KafkaConsumer<byte[], byte[]> consumer = resultsConsumer(broker.bootstrapServers(), spec)) {
                source.start();
                Duration limit = Duration.ofSeconds(120 + total / Math.max(1, rate));
                long deadline = start + limit.toNanos();
                long nextProgress = start;
                while (report.tagged() + report.deadLetters < total && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.topic().equals(spec.kafkaResultsTopic())) {
                            report.add(decode(r.value()));
                        } else {
                            report.deadLetters++;
                        }
                    }
                    if (result.isDone()) {
                        result.get(); // throws the job's failure, e.g. a model a TaskManager cannot open
                        throw new IllegalStateException("The job ended before every event was tagged.");
                    }
                    if (System.nanoTime() >= nextProgress) {
                        out.printf(Locale.ROOT, "[%5.1f s] produced %d | tagged %d | dead letters %d%s%n",
                                (System.nanoTime() - start) / 1e9, source.acked(), report.tagged(), report.deadLetters,
                                noAccuracy != null || Double.isNaN(report.accuracy()) ? ""
                                        : String.format(Locale.ROOT, " | accuracy so far %.4f", report.accuracy()));
                        nextProgress += PROGRESS_EVERY.toNanos();
                    }
                }
            } finally {
                source.close();
                if (!result.isDone()) {
                    job.cancel().get(30, TimeUnit.SECONDS);
                }
            }
            report.print(out, source.acked(), source.sendRatePerSecond(), card.heldOutAccuracy(), total % dataset.size() == 0,
                    card.name(), noAccuracy);
            if (!images.isEmpty()) {
                report.printTags(out);
            }
            DemoMetrics.print(out);
            boolean complete = report.tagged() + report.deadLetters == total;
            if (!complete) {
                out.printf(Locale.ROOT, "Not every event was accounted for within the time limit (%d of %d).%n",
                        report.tagged() + report.deadLetters, total);
            }
            return complete ? 0 : 1;
        }
    }

    /** Whether the model tags what the demo sends: its labels are the digits 0 to 9, as the events' true labels. */
    static boolean isDigitsModel(ModelCard card) {
        return card.labels().equals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }

    private static String labels(ModelCard card) {
        List<String> labels = card.labels();
        return labels.size() <= 4 ? String.join(", ", labels) : String.join(", ", labels.subList(0, 3)) + ", ...";
    }

    /** The user's PNG and JPEG files as events; other files are skipped with a line each. */
    private static List<ImageEvent> ownImages(List<String> images, PrintStream out) {
        List<ImageEvent> events = new ArrayList<>();
        for (ImageFiles.ImageFile file : ImageFiles.list(images, "")) {
            // captured now: the throughput line runs from the first event's capture time
            ImageFiles.event(file, "mlpstream-demo", Map.of()).map(e -> {
                e.setCaptureTime(Instant.now());
                return e;
            }).ifPresentOrElse(events::add,
                    () -> out.println("skipped " + file.path() + ": not a PNG or JPEG image"));
        }
        if (events.isEmpty()) {
            throw new ConfigException("--images " + String.join(", ", images) + " holds no PNG or JPEG image.");
        }
        return events;
    }

    /** Where the demo's events come from: the digits producer, or the user's images. */
    private interface EventSource extends AutoCloseable {
        void start();

        long acked();

        double sendRatePerSecond();

        @Override
        void close();
    }

    private record DigitSource(DigitEventProducer producer) implements EventSource {
        @Override
        public void start() {
            producer.start();
        }

        @Override
        public long acked() {
            return producer.progress().acked();
        }

        @Override
        public double sendRatePerSecond() {
            return producer.progress().sendRatePerSecond();
        }

        @Override
        public void close() {
            producer.close();
        }
    }

    /** The user's images, each sent once, as fast as the broker takes them. */
    private static final class OwnImages implements EventSource {
        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final List<ImageEvent> events;
        private final AtomicLong acked = new AtomicLong();
        private long startNanos;
        private long endNanos;

        OwnImages(String bootstrap, String topic, List<ImageEvent> events) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "mlpstream-demo-images");
            this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
            this.topic = topic;
            this.events = events;
        }

        @Override
        public void start() {
            startNanos = System.nanoTime();
            for (ImageEvent e : events) {
                producer.send(new ProducerRecord<>(topic, e.getEventId().getBytes(StandardCharsets.UTF_8), ImageEventCodec.encode(e)),
                        (metadata, error) -> {
                            if (error == null) {
                                acked.incrementAndGet();
                            }
                        });
            }
            producer.flush();
            endNanos = System.nanoTime();
        }

        @Override
        public long acked() {
            return acked.get();
        }

        @Override
        public double sendRatePerSecond() {
            return endNanos == startNanos ? 0 : acked.get() * 1e9 / (endNanos - startNanos);
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
        }
    }

    /** Waits until the job runs and its operators have opened, so the figures measure the pipeline, not its start. */
    private static void awaitRunning(JobClient job, CompletableFuture<JobExecutionResult> result, PrintStream out)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!result.isDone() && job.getJobStatus().get() != JobStatus.RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The job did not start within 60 s: " + job.getJobStatus().get());
            }
            Thread.sleep(100);
        }
        Thread.sleep(WARM_UP.toMillis());
        if (result.isDone()) {
            result.get(); // throws the job's failure, e.g. a model a TaskManager cannot open
            throw new IllegalStateException("The job ended before any event was produced.");
        }
        out.println("Job running; producing.");
    }

    private static DigitsDataset loadDataset() {
        try {
            return DigitsDataset.loadBundled();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the bundled held-out digits", e);
        }
    }

    private static TaggedImage decode(byte[] value) {
        try {
            return TaggedImageSerializer.decode(value);
        } catch (IOException e) {
            throw new UncheckedIOException("Result is not a TaggedImage", e);
        }
    }

    private static KafkaConsumer<byte[], byte[]> resultsConsumer(String bootstrap, InferenceJobSpec spec) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "mlpstream-demo-reader");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic())) {
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }
}
