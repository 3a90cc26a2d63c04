package io.mlpstream.testutils;

import org.apache.flink.core.testutils.CommonTestUtils;
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

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Kafka helpers shared by the integration tests. */
public final class KafkaTestUtils {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** Name prefixes of the threads the Kafka producer, consumer and admin clients start. */
    public static final List<String> CLIENT_THREAD_PREFIXES = List.of(
            "kafka-producer-network-thread",
            "kafka-admin-client-thread",
            "kafka-coordinator-heartbeat-thread",
            "consumer_background_thread");

    private KafkaTestUtils() {}

    /**
     * Reads every record of {@code topic}, all partitions, from the beginning up to the end offsets
     * at the time of the call (with {@code readCommitted}: the last stable offsets, so open or aborted
     * transactions are not waited for and aborted records are skipped).
     */
    public static List<ConsumerRecord<byte[], byte[]>> drainAllRecordsFromTopic(
            String bootstrapServers, String topic, boolean readCommitted) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "drain-" + topic);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, DEFAULT_TIMEOUT);
            if (partitions == null || partitions.isEmpty()) {
                throw new AssertionError("topic " + topic + " does not exist on " + bootstrapServers);
            }
            List<TopicPartition> assigned = partitions.stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .collect(Collectors.toList());
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            Map<TopicPartition, Long> endOffsets = consumer.endOffsets(assigned, DEFAULT_TIMEOUT);
            long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
            while (!reachedEnd(consumer, endOffsets)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(String.format(
                            "Could not drain %s within %s: end offsets %s, read %s records",
                            topic, DEFAULT_TIMEOUT, endOffsets, records.size()));
                }
                consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() < endOffsets.get(tp)) {
                        records.add(r);
                    }
                });
            }
        }
        return records;
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> endOffsets) {
        return endOffsets.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey(), DEFAULT_TIMEOUT) >= e.getValue());
    }

    /** Properties of an idempotent producer with byte[] keys and values. */
    public static Properties producerProperties(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        return props;
    }

    /** Sends the records with a fresh idempotent producer and waits for every acknowledgement. */
    public static void produce(String bootstrapServers, Collection<ProducerRecord<byte[], byte[]>> records) {
        withProducer(producerProperties(bootstrapServers), producer -> sendAll(producer, records));
    }

    /** Sends {@code key -> value} pairs (keys may be null) to one topic and waits for the acks. */
    public static void produce(String bootstrapServers, String topic, Map<byte[], byte[]> keyValues) {
        produce(bootstrapServers, keyValues.entrySet().stream()
                .map(e -> new ProducerRecord<>(topic, e.getKey(), e.getValue()))
                .collect(Collectors.toList()));
    }

    /**
     * Sends the records in one transaction with a fresh transactional producer; commits it, or
     * aborts it when {@code commit} is false. Either way the producer is closed.
     */
    public static void produceInTransaction(
            String bootstrapServers, Collection<ProducerRecord<byte[], byte[]>> records, boolean commit) {
        Properties props = producerProperties(bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-tx-" + UUID.randomUUID());
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
        withProducer(props, producer -> {
            producer.initTransactions();
            producer.beginTransaction();
            sendAll(producer, records);
            if (commit) {
                producer.commitTransaction();
            } else {
                producer.abortTransaction();
            }
        });
    }

    private static void withProducer(Properties props, Consumer<KafkaProducer<byte[], byte[]>> action) {
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            action.accept(producer);
        }
    }

    private static void sendAll(KafkaProducer<byte[], byte[]> producer,
                                Collection<ProducerRecord<byte[], byte[]>> records) {
        List<Future<?>> acks = new ArrayList<>();
        records.forEach(r -> acks.add(producer.send(r)));
        producer.flush();
        for (Future<?> ack : acks) {
            try {
                ack.get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while producing", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("a record was not acknowledged: " + e, e);
            }
        }
    }

    /** Names of live Kafka client threads (producer, consumer, admin). */
    public static List<String> kafkaClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> CLIENT_THREAD_PREFIXES.stream().anyMatch(name::startsWith))
                .sorted()
                .collect(Collectors.toList());
    }

    /**
     * Fails if Kafka client threads are still alive: some producer, consumer or admin client was not closed. A closed
     * client's threads have ended when {@code close()} returns; they get {@link #DEFAULT_TIMEOUT} all the same.
     */
    public static void assertNoKafkaClientThreadsLeft() {
        try {
            CommonTestUtils.waitUtil(() -> kafkaClientThreads().isEmpty(), DEFAULT_TIMEOUT, Duration.ofMillis(50), "");
        } catch (TimeoutException e) {
            throw new AssertionError("Kafka client threads left running (a client was not closed): " + kafkaClientThreads());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for Kafka client threads to end", e);
        }
    }
}
