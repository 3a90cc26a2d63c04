package io.mlpstream.bench;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.job.InferenceJobSpec;
import io.mlpstream.job.JobConfig;
import io.mlpstream.job.LocalCheckpoints;
import io.mlpstream.job.metrics.Percentiles;
import io.mlpstream.job.serde.TaggedImageSerializer;
import io.mlpstream.testutils.KafkaTestUtils;
import io.mlpstream.testutils.TestEvents;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * One run of a tagging job against the embedded broker: N events either preloaded (maximum
 * throughput) or offered at a fixed rate (latency under load), the job on a local MiniCluster,
 * results read read_committed until every event is accounted for. Figures come from the results'
 * own timestamps, not from start-up or checkpoint visibility.
 */
final class PipelineRun {
    /** Kafka client ids of the harness's own producer and results reader. */
    static final String HARNESS_PRODUCER = "bench-producer";
    static final String HARNESS_READER = "bench-reader";
    private static int runs;

    /**
     * What one run measured. Latencies in µs. Throughput is measured over the middle 80 % of the results by completion
     * time: {@code windowResults} results completed from {@code windowFromMs} to {@code windowToMs} (epoch ms), the
     * window a profile of the run is cut to.
     */
    record Result(int events, int tagged, int deadLetters, double throughput, long e2eP50, long e2eP95, long e2eP99,
            long inferenceP99, double meanBatch, double offeredRate, long[] e2eSamples, String stages, long lastFifthIngestP50,
            double inferenceMeanUs, long windowFromMs, long windowToMs, int windowResults) {

        /**
         * Whether the job kept up with the offered rate: it completed (nearly) as fast as events were offered, and
         * events at the end of the run still reached the operator promptly. A growing backlog shows first as time
         * spent in Kafka before the operator takes the record.
         */
        boolean keptUp() {
            return throughput >= 0.97 * offeredRate && lastFifthIngestP50 <= 100_000;
        }
    }

    private PipelineRun() {}

    /**
     * @param rate events per second offered; 0 = preload all events, then start the job
     * @param jobBuilder adds the job to the environment (the batched pipeline or a baseline)
     */
    static Result run(EmbeddedKafkaBroker broker, BenchInputs.Inputs inputs, int events, double rate,
            Map<String, String> options, BiConsumer<StreamExecutionEnvironment, InferenceJobSpec> jobBuilder) throws Exception {
        return runSubmitted(broker, inputs, events, rate, options, (spec, o, name) -> {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            jobBuilder.accept(env, spec);
            return env.executeAsync(name);
        });
    }

    /** Submits a job that reads and writes the topics the options name (the Kafka job's option keys; spec: parsed). */
    @FunctionalInterface
    interface Submitter {
        JobClient submit(InferenceJobSpec spec, Map<String, String> options, String jobName) throws Exception;
    }

    /**
     * One run of whatever job {@code submitter} starts; the options it gets are {@code options} completed with the run's
     * topics, broker, transactional id prefix and, unless given, parallelism 2, checkpoints every second and a checkpoint
     * directory.
     */
    static Result runSubmitted(EmbeddedKafkaBroker broker, BenchInputs.Inputs inputs, int events, double rate,
            Map<String, String> options, Submitter submitter) throws Exception {
        int n = ++runs;
        String in = "bench-in-" + n;
        String out = "bench-out-" + n;
        String dead = "bench-dead-" + n;
        String metrics = "bench-metrics-" + n;
        broker.createTopics(2, in, out, dead, metrics);
        Map<String, String> o = new LinkedHashMap<>(options);
        o.put("kafka.bootstrap-servers", broker.bootstrapServers());
        o.put("kafka.input-topic", in);
        o.put("kafka.results-topic", out);
        o.put("kafka.dead-letter-topic", dead);
        o.put("kafka.metrics-topic", metrics);
        o.put("kafka.starting-offsets", "earliest");
        o.put("kafka.transactional-id-prefix", "bench-" + n + "-" + System.nanoTime());
        o.put("kafka.transaction-timeout", "5 min");
        o.putIfAbsent("job.checkpoint-interval", "1 s");
        o.putIfAbsent("job.parallelism", "2");
        o.putIfAbsent("job.checkpoint-dir", LocalCheckpoints.temporaryDirectory());
        // parsed before any event is produced, so bad options fail fast
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, o));

        try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
            if (rate <= 0) {
                for (int i = 0; i < events; i++) {
                    send(producer, record(in, inputs, i));
                }
                producer.flush();
                checkSends();
            }
            JobClient job = submitter.submit(spec, o, "bench-" + n);
            try {
                awaitRunning(job);
                Thread feeder = null;
                if (rate > 0) {
                    feeder = new Thread(() -> feed(producer, in, inputs, events, rate), "bench-feeder");
                    feeder.start();
                }
                Result result;
                try {
                    result = collect(broker.bootstrapServers(), out, dead, events, rate,
                            Duration.ofSeconds(180 + (long) (rate > 0 ? events / rate : 0)));
                } catch (IllegalStateException e) {
                    throw new IllegalStateException(e.getMessage() + "; job status " + job.getJobStatus().get(), e);
                }
                if (feeder != null) {
                    feeder.join();
                }
                checkSends();
                return result;
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitRunning(JobClient job) throws Exception {
        while (job.getJobStatus().get() != JobStatus.RUNNING) {
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                throw new IllegalStateException("benchmark job ended: " + job.getJobStatus().get());
            }
            Thread.sleep(100);
        }
        Thread.sleep(3_000); // tasks deploy and open the model
    }

    private static void feed(KafkaProducer<byte[], byte[]> producer, String topic, BenchInputs.Inputs inputs, int events, double rate) {
        // open-loop schedule: event i is due at start + i / rate, whatever happened before (no drift)
        long start = System.nanoTime();
        for (int i = 0; i < events; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            send(producer, record(topic, inputs, i));
        }
        producer.flush();
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, BenchInputs.Inputs inputs, int i) {
        String id = "e-" + i;
        return new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                TestEvents.encoded(id, inputs.images().get(i % inputs.images().size()), inputs.contentType(), "bench"));
    }

    private static Result collect(String bootstrap, String out, String dead, int events, double rate, Duration limit) throws Exception {
        long[] processedAt = new long[events];
        long[] e2e = new long[events];
        long[] inference = new long[events];
        long[] ingest = new long[events];
        long[] queue = new long[events];
        long[] preprocess = new long[events];
        long batchSum = 0;
        StringBuilder trace = System.getenv("BENCH_TRACE_DIR") == null ? null
                : new StringBuilder("event,processed_at_ms,batch,kafka_to_operator_us,queue_us,preprocess_us,inference_us,e2e_us\n");
        int tagged = 0;
        int deadLetters = 0;
        long deadline = System.nanoTime() + limit.toNanos();
        long nextReport = System.nanoTime() + 10_000_000_000L;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, out, dead)) {
            while (tagged + deadLetters < events && System.nanoTime() < deadline) {
                if (System.nanoTime() > nextReport) {
                    BenchMain.log("  ... %d tagged, %d dead letters of %d", tagged, deadLetters, events);
                    nextReport += 10_000_000_000L;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!r.topic().equals(out)) {
                        deadLetters++;
                        continue;
                    }
                    TaggedImage t = TaggedImageSerializer.decode(r.value());
                    if (tagged < events) {
                        processedAt[tagged] = t.getProcessedAt().toEpochMilli();
                        e2e[tagged] = t.getLatency().getEndToEndUs();
                        inference[tagged] = t.getLatency().getInferenceUs();
                        ingest[tagged] = t.getLatency().getKafkaToIngestUs();
                        queue[tagged] = t.getLatency().getQueueWaitUs();
                        preprocess[tagged] = t.getLatency().getPreprocessUs();
                    }
                    batchSum += t.getBatchSize();
                    if (trace != null) {
                        var l = t.getLatency();
                        trace.append(t.getEventId()).append(',')
                                .append(t.getProcessedAt().toEpochMilli()).append(',').append(t.getBatchSize()).append(',')
                                .append(l.getKafkaToIngestUs()).append(',').append(l.getQueueWaitUs()).append(',')
                                .append(l.getPreprocessUs()).append(',').append(l.getInferenceUs()).append(',')
                                .append(l.getEndToEndUs()).append('\n');
                    }
                    tagged++;
                }
            }
        }
        if (trace != null) {
            // diagnostics: one row per tagged result (BENCH_TRACE_DIR=dir), e.g. to find idle gaps between batches
            java.nio.file.Path dir = java.nio.file.Path.of(System.getenv("BENCH_TRACE_DIR"));
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve("trace-" + System.currentTimeMillis() + ".csv"), trace);
        }
        if (tagged + deadLetters < events) {
            throw new IllegalStateException("only " + (tagged + deadLetters) + " of " + events + " events came back within " + limit);
        }
        // steady state: the middle 80 % of results by completion time, so start-up and drain do not count
        long[] sorted = Arrays.copyOf(processedAt, tagged);
        Arrays.sort(sorted);
        int lo = tagged / 10;
        int hi = tagged - 1 - tagged / 10;
        double throughput = (hi - lo) / Math.max(1e-3, (sorted[hi] - sorted[lo]) / 1000.0);
        // latency: skip the first 10 % of events (warm-up) when a rate was offered
        int skip = rate > 0 ? tagged / 10 : 0;
        Percentiles lat = new Percentiles(Arrays.copyOfRange(e2e, skip, tagged), tagged - skip);
        Percentiles inf = new Percentiles(Arrays.copyOfRange(inference, skip, tagged), tagged - skip);
        String stages = stages(skip, tagged, "Kafka to operator", ingest, "batcher queue", queue, "preprocess", preprocess,
                "inference", inference, "end to end", e2e);
        long lastFifthIngestP50 = new Percentiles(Arrays.copyOfRange(ingest, tagged - tagged / 5, tagged), tagged / 5).at(50);
        // mean model run per result, without the first and last tenth (start-up, drain)
        double inferenceMean = Arrays.stream(inference, tagged / 10, tagged - tagged / 10).average().orElse(Double.NaN);
        return new Result(events, tagged, deadLetters, throughput, lat.at(50), lat.at(95), lat.at(99), inf.at(99),
                (double) batchSum / Math.max(1, tagged), rate, Arrays.copyOfRange(e2e, skip, tagged), stages, lastFifthIngestP50,
                inferenceMean, sorted[lo], sorted[hi], hi - lo);
    }

    /** "stage p50/p99 ms" for each (name, samples) pair, over the same events as the e2e percentiles. */
    private static String stages(int from, int to, Object... namesAndSamples) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < namesAndSamples.length; i += 2) {
            Percentiles p = new Percentiles(Arrays.copyOfRange((long[]) namesAndSamples[i + 1], from, to), to - from);
            b.append(b.length() == 0 ? "" : "; ").append(namesAndSamples[i])
                    .append(String.format(java.util.Locale.ROOT, " %.1f / %.1f", p.at(50) / 1000.0, p.at(99) / 1000.0));
        }
        return b.append(" ms (p50 / p99)").toString();
    }

    private static final java.util.concurrent.atomic.AtomicReference<Exception> SEND_FAILURE = new java.util.concurrent.atomic.AtomicReference<>();

    private static void send(KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
        producer.send(record, (metadata, e) -> {
            if (e != null) {
                SEND_FAILURE.compareAndSet(null, e);
            }
        });
    }

    /** A benchmark whose input did not all arrive measures nothing: fail loudly. */
    private static void checkSends() {
        Exception e = SEND_FAILURE.getAndSet(null);
        if (e != null) {
            throw new IllegalStateException("benchmark input was not fully produced: " + e, e);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = KafkaTestUtils.producerProperties(bootstrap);
        p.put("client.id", HARNESS_PRODUCER); // names its network thread, which a profile leaves out of the pipeline
        // Not idempotent: on a just-created topic the idempotent producer's sequence reset after a
        // NOT_LEADER retry made the broker reject whole batches (OutOfOrderSequenceException, 747 of
        // 20,000 records lost in a run). One request in flight keeps retries in order and duplicate-free.
        p.put("enable.idempotence", "false");
        p.put("max.in.flight.requests.per.connection", "1");
        p.put("linger.ms", "5");
        p.put("batch.size", "262144");
        p.put("max.request.size", "10485760");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String... topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, HARNESS_READER);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (String t : topics) {
            c.partitionsFor(t).forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
        }
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }
}
