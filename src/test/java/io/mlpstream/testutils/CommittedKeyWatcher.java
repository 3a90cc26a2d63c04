package io.mlpstream.testutils;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Follows a topic with one {@code read_committed} consumer and counts the distinct record keys seen so
 * far, so a test can wait for "every event has a committed result" while an unbounded job runs. Use
 * {@link KafkaTestUtils#drainAllRecordsFromTopic} for the final audit.
 */
public final class CommittedKeyWatcher implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Set<String> keys = new HashSet<>();
    private long records;

    public CommittedKeyWatcher(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "watch-" + topic);
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, KafkaTestUtils.DEFAULT_TIMEOUT).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls for up to {@code wait}; returns the number of distinct keys seen so far. */
    public int poll(Duration wait) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
            records++;
            keys.add(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8));
        }
        return keys.size();
    }

    /**
     * Polls until {@code count} distinct keys were seen. Fails after {@code timeout}, or as soon as
     * {@code stopReason} returns non-null (e.g. the job ended), with the reason and the progress.
     */
    public void awaitDistinctKeys(int count, Duration timeout, Supplier<String> stopReason) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (poll(Duration.ofMillis(200)) < count) {
            String reason = stopReason.get();
            if (reason != null || System.nanoTime() > deadline) {
                throw new AssertionError(String.format("Saw %d of %d distinct committed keys (%d records) when %s",
                        keys.size(), count, records, reason != null ? reason : "the " + timeout + " timeout passed"));
            }
        }
    }

    /** Whether a committed record with this key was seen (call {@link #poll} to see more). */
    public boolean seen(String key) {
        return keys.contains(key);
    }

    public int distinctKeys() {
        return keys.size();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
