package io.mlpstream.job;

import io.mlpstream.avro.TaggedImage;
import io.mlpstream.job.serde.DeadLetterSerializer;
import io.mlpstream.job.serde.TaggedImageSerializer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads what the job wrote: results ({@link TaggedImage}) and dead letters, as a read_committed consumer (so only what a
 * checkpoint committed) of every partition of both topics, without a consumer group. For the {@code results} command
 * and the progress and summary of a local {@code run}.
 */
final class OutputReader implements AutoCloseable {
    static final Duration API_TIMEOUT = Duration.ofSeconds(30);

    /** One record of the results or the dead-letter topic. */
    sealed interface Output permits Tagged, DeadLetter {}

    /** A result. */
    record Tagged(TaggedImage image) implements Output {}

    /**
     * A dead letter: the event's id (the record key, else where it came from), the stage that failed and why, from the
     * {@code mlpstream.errors.*} headers.
     */
    record DeadLetter(String id, String stage, String reason, String exceptionClass, String origin) implements Output {}

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String resultsTopic;
    private final String bootstrapServers;

    private OutputReader(KafkaConsumer<byte[], byte[]> consumer, String resultsTopic, String bootstrapServers) {
        this.consumer = consumer;
        this.resultsTopic = resultsTopic;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * A reader of every partition of both topics, from their beginning or from their current end.
     *
     * @throws ConfigException when Kafka does not answer or a topic does not exist
     */
    static OutputReader open(Properties clientProperties, String resultsTopic, String deadLetterTopic, boolean fromBeginning) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "mlpstream-results");
        props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(API_TIMEOUT.toMillis()));
        String bootstrap = String.valueOf(props.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            Set<String> existing = consumer.listTopics().keySet();
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(resultsTopic, deadLetterTopic)) {
                if (!existing.contains(topic)) {
                    throw new ConfigException("Topic '" + topic + "' does not exist on " + bootstrap + " (topics: "
                            + String.join(", ", existing.stream().filter(t -> !t.startsWith("__")).sorted().toList())
                            + "). Check --topic / --dead-letter-topic or kafka.results-topic / kafka.dead-letter-topic.");
                }
                for (PartitionInfo p : consumer.partitionsFor(topic)) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            partitions.forEach(consumer::position); // resolve now: "from the end" means as of this call
            return new OutputReader(consumer, resultsTopic, bootstrap);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            consumer.close();
            throw new ConfigException("Kafka at " + bootstrap + " did not answer within " + API_TIMEOUT.toSeconds() + " s: check "
                    + "--bootstrap (kafka.bootstrap-servers) and that the broker is up.");
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /** Polls once; hands each output read to {@code sink}; returns how many there were. */
    int poll(Duration timeout, Consumer<Output> sink) {
        int n = 0;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
            sink.accept(r.topic().equals(resultsTopic) ? tagged(r) : deadLetter(r));
            n++;
        }
        return n;
    }

    /** The current end of every partition: for read_committed, the last stable offset. */
    Map<TopicPartition, Long> endOffsets() {
        return consumer.endOffsets(consumer.assignment());
    }

    /** Whether every partition has been read up to {@code ends}. */
    boolean reached(Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Reads everything up to the topics' current end. */
    void readToEnd(Consumer<Output> sink) {
        Map<TopicPartition, Long> ends = endOffsets();
        while (!reached(ends)) {
            poll(Duration.ofMillis(200), sink);
        }
    }

    /** Interrupts a {@link #poll} from another thread (it then throws WakeupException). */
    void wakeup() {
        consumer.wakeup();
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    private static Tagged tagged(ConsumerRecord<byte[], byte[]> r) {
        try {
            return new Tagged(TaggedImageSerializer.decode(r.value()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("The record at " + r.topic() + "/" + r.partition() + "@" + r.offset()
                    + " is not a TaggedImage (" + e.getMessage() + "): is this the job's results topic?", e);
        }
    }

    private static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> r) {
        String origin = header(r, DeadLetterSerializer.TOPIC) + "/" + header(r, DeadLetterSerializer.PARTITION) + "@"
                + header(r, DeadLetterSerializer.OFFSET);
        String id = r.key() != null ? new String(r.key(), StandardCharsets.UTF_8) : origin;
        return new DeadLetter(id, header(r, DeadLetterSerializer.STAGE), header(r, DeadLetterSerializer.EXCEPTION_MESSAGE),
                header(r, DeadLetterSerializer.EXCEPTION_CLASS), origin);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
