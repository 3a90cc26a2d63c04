package io.mlpstream.demo;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.job.InferenceJobSpec;
import io.mlpstream.job.JobConfig;
import io.mlpstream.job.LocalCheckpoints;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.job.serde.TaggedImageSerializer;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The embedded demo: a KRaft broker in this JVM, the four topics, held-out digits produced as PNG
 * events at a set rate, the tagging job on a local MiniCluster, and a read_committed consumer that
 * shows progress and ends with throughput, latency percentiles and accuracy against the true labels.
 * Nothing outside the machine is needed.
 */
public final class Demo {
    /** 0 = every held-out digit once, so the accuracy is comparable with the model card's. */
    public static final int DEFAULT_EVENTS = 0;
    public static final int DEFAULT_RATE = 500;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
    /** Time for tasks to deploy and open their model after the job reports RUNNING. */
    private static final Duration WARM_UP = Duration.ofSeconds(3);

    private Demo() {}

    public static int run(Path configFile, Map<String, String> userOverrides, int events, int rate, PrintStream out) throws Exception {
        DigitsDataset dataset = loadDataset();
        int total = events > 0 ? events : dataset.size();
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
            out.printf(Locale.ROOT, "Kafka broker on %s; topics %s -> %s / %s / %s%n", broker.bootstrapServers(),
                    spec.kafkaInputTopic(), spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic());
            out.printf(Locale.ROOT, "Model %s v%s (%s), held-out accuracy on its card: %.4f%n", card.name(), card.versionOrDefault(),
                    card.architecture(), card.heldOutAccuracy() == null ? Double.NaN : card.heldOutAccuracy());
            out.printf(Locale.ROOT, "Producing %d held-out digits as PNG events at %d/s; batch.max-size=%d, batch.max-delay=%s%n",
                    total, rate, spec.inference().batchMaxSize(), spec.inference().batchMaxDelay().toMillis() + " ms");

            Configuration flink = new Configuration();
            DemoMetrics.install(flink);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            InferenceJob.build(env, spec);
            JobClient job = env.executeAsync(spec.jobName());
            awaitRunning(job, out);
            DemoReport report = new DemoReport();
            DigitEventProducer producer = DigitEventProducer.builder()
                    .bootstrapServers(broker.bootstrapServers())
                    .topic(spec.kafkaInputTopic())
                    .dataset(dataset)
                    .numEvents(total)
                    .eventsPerSecond(rate)
                    .build();
            long start = System.nanoTime();
            try (KafkaConsumer<byte[], byte[]> consumer = resultsConsumer(broker.bootstrapServers(), spec)) {
                producer.start();
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
                    if (System.nanoTime() >= nextProgress) {
                        out.printf(Locale.ROOT, "[%5.1f s] produced %d | tagged %d | dead letters %d | accuracy so far %.4f%n",
                                (System.nanoTime() - start) / 1e9, producer.progress().acked(), report.tagged(),
                                report.deadLetters, report.accuracy());
                        nextProgress += PROGRESS_EVERY.toNanos();
                    }
                }
            } finally {
                producer.close();
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            DigitEventProducer.Progress sent = producer.progress();
            report.print(out, sent.acked(), sent.sendRatePerSecond(), card.heldOutAccuracy(), total % dataset.size() == 0,
                    card.name());
            DemoMetrics.print(out);
            boolean complete = report.tagged() + report.deadLetters == total;
            if (!complete) {
                out.printf(Locale.ROOT, "Not every event was accounted for within the time limit (%d of %d).%n",
                        report.tagged() + report.deadLetters, total);
            }
            return complete ? 0 : 1;
        }
    }

    /** Waits until the job runs and its operators have opened, so the figures measure the pipeline, not its start. */
    private static void awaitRunning(JobClient job, PrintStream out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (job.getJobStatus().get() != JobStatus.RUNNING) {
            if (System.nanoTime() > deadline || job.getJobStatus().get().isGloballyTerminalState()) {
                throw new IllegalStateException("The job did not start: " + job.getJobStatus().get());
            }
            Thread.sleep(100);
        }
        Thread.sleep(WARM_UP.toMillis());
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
