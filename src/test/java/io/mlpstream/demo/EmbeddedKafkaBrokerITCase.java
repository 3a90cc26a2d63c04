package io.mlpstream.demo;

import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.mlpstream.testutils.KafkaTestUtils.assertNoKafkaClientThreadsLeft;
import static io.mlpstream.testutils.KafkaTestUtils.drainAllRecordsFromTopic;
import static io.mlpstream.testutils.KafkaTestUtils.produce;
import static io.mlpstream.testutils.KafkaTestUtils.produceInTransaction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class EmbeddedKafkaBrokerITCase {
    private static final Duration HANG = Duration.ofSeconds(120);

    @AfterEach
    void noClientThreadsLeft() {
        assertNoKafkaClientThreadsLeft();
    }

    @Test
    void readCommittedSeesExactlyTheCommittedTransactions() {
        try (EmbeddedKafkaBroker kafka = startTimed(EmbeddedKafkaBroker.builder().build())) {
            kafka.createTopics(2, "tx-out", "plain");
            String bootstrap = kafka.bootstrapServers();

            produceInTransaction(bootstrap, records("tx-out", "committed-a", 5), true);
            produceInTransaction(bootstrap, records("tx-out", "aborted", 7), false);
            produceInTransaction(bootstrap, records("tx-out", "committed-b", 3), true);

            assertThat(values(drainAllRecordsFromTopic(bootstrap, "tx-out", true)))
                    .containsExactlyInAnyOrderElementsOf(concat(names("committed-a", 5), names("committed-b", 3)));
            // read_uncommitted also returns the aborted records
            assertThat(values(drainAllRecordsFromTopic(bootstrap, "tx-out", false)))
                    .hasSize(15)
                    .containsAll(names("aborted", 7));

            produce(bootstrap, records("plain", "p", 4));
            assertThat(values(drainAllRecordsFromTopic(bootstrap, "plain", true)))
                    .containsExactlyInAnyOrderElementsOf(names("p", 4));
        }
    }

    @Test
    void closeStopsTheBrokerAndItsThreadsAndDeletesTheTemporaryLogDir() throws Exception {
        Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
        EmbeddedKafkaBroker kafka = startTimed(EmbeddedKafkaBroker.builder().build());
        Path logDir = kafka.logDir();
        kafka.createTopics(1, "t");
        produce(kafka.bootstrapServers(), records("t", "x", 1));

        long start = System.nanoTime();
        // about half a second; the deadline only turns a hang into a failure
        assertTimeoutPreemptively(HANG, kafka::close, "close() did not return within " + HANG);
        System.out.printf("Embedded Kafka broker close: %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

        // the broker's threads end soon after close() returns
        Supplier<List<String>> brokerThreadsLeft = () -> Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.isDaemon() && !threadsBefore.contains(t))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.toList());
        try {
            CommonTestUtils.waitUtil(() -> brokerThreadsLeft.get().isEmpty(), HANG, Duration.ofMillis(50), "");
        } catch (TimeoutException e) {
            assertThat(brokerThreadsLeft.get()).as("non-daemon threads the broker left running after %s", HANG).isEmpty();
        }
        assertThat(kafka.isRunning()).isFalse();
        assertThat(logDir).doesNotExist();
        kafka.close(); // idempotent
        assertThatThrownBy(kafka::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void restartKeepsPortsAndData(@TempDir Path dir) {
        Path logDir = dir.resolve("kafka-logs");
        try (EmbeddedKafkaBroker kafka = startTimed(EmbeddedKafkaBroker.builder().logDir(logDir).build())) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopics(1, "durable");
            produce(bootstrap, records("durable", "before", 3));

            long start = System.nanoTime();
            kafka.stop();
            long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(kafka.isRunning()).isFalse();
            start = System.nanoTime();
            kafka.start();
            System.out.printf("Embedded Kafka broker stop: %d ms, restart: %d ms%n",
                    stopMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
            produce(bootstrap, records("durable", "after", 2));
            assertThat(values(drainAllRecordsFromTopic(bootstrap, "durable", true)))
                    .containsExactlyElementsOf(concat(names("before", 3), names("after", 2)));
        }
        assertThat(logDir).as("a given log dir is kept").isDirectory();
        assertThat(logDir.resolve("meta.properties")).exists();
        assertThat(Files.isDirectory(logDir.resolve("durable-0"))).isTrue();
    }

    @Test
    void builderRejectsSettingsItManages() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().brokerProperty("listeners", "PLAINTEXT://:9092").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'listeners'");
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().clusterId("my cluster").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("my cluster");
    }

    private static EmbeddedKafkaBroker startTimed(EmbeddedKafkaBroker broker) {
        long start = System.nanoTime();
        broker.start();
        System.out.printf("Embedded Kafka broker start: %d ms (%s)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), broker.bootstrapServers());
        return broker;
    }

    private static List<ProducerRecord<byte[], byte[]>> records(String topic, String prefix, int count) {
        return names(prefix, count).stream()
                .map(v -> new ProducerRecord<byte[], byte[]>(topic, null, v.getBytes(StandardCharsets.UTF_8)))
                .collect(Collectors.toList());
    }

    private static List<String> names(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).collect(Collectors.toList());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }
}
