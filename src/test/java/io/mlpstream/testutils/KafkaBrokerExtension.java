package io.mlpstream.testutils;

import io.mlpstream.demo.EmbeddedKafkaBroker;

import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The embedded Kafka broker ({@link EmbeddedKafkaBroker}: a real KRaft broker in this JVM) for the tests of one class,
 * as a JUnit 5 extension: started, with its topics, before the class's first test and its {@code @BeforeAll} methods;
 * closed after its last test and its {@code @AfterAll} methods.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, "images", "tags");
 * ...
 * KAFKA.bootstrapServers();
 * KAFKA.broker().stop(); // the broker itself, e.g. for an outage
 * }</pre>
 *
 * <p>Register it on a {@code static} field: one broker for all tests of the class.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    /** Settings applied to the broker's builder when the broker is made, before the class's first test. */
    @FunctionalInterface
    public interface BrokerSettings {
        void applyTo(EmbeddedKafkaBroker.Builder builder) throws Exception;
    }

    private final int partitions;
    private final String[] topics;
    private final List<BrokerSettings> settings = new ArrayList<>();
    private boolean expectClientsClosed;
    private EmbeddedKafkaBroker broker;

    private KafkaBrokerExtension(int partitions, String... topics) {
        this.partitions = partitions;
        this.topics = topics.clone();
    }

    /** A broker with these topics, each of {@code partitions} partitions (replication factor 1). */
    public static KafkaBrokerExtension withTopics(int partitions, String... topics) {
        if (partitions < 1 || topics.length == 0) {
            throw new IllegalArgumentException("give at least one topic and at least one partition, got " + partitions
                    + " partitions of " + List.of(topics) + "; for a broker without topics use withoutTopics()");
        }
        return new KafkaBrokerExtension(partitions, topics);
    }

    /** A broker without topics: the tests create their own ({@link #createTopics}). */
    public static KafkaBrokerExtension withoutTopics() {
        return new KafkaBrokerExtension(0);
    }

    /** A broker setting (server.properties key), overriding {@link EmbeddedKafkaBroker}'s defaults. */
    public KafkaBrokerExtension brokerProperty(String key, String value) {
        return configure(builder -> builder.brokerProperty(key, value));
    }

    /**
     * More settings, applied when the broker is made (before the class's first test), e.g. an extra listener whose key
     * store a test makes then. Static {@code @TempDir} fields are set by that time.
     */
    public KafkaBrokerExtension configure(BrokerSettings more) {
        settings.add(more);
        return this;
    }

    /**
     * After closing the broker, fails the class if a Kafka producer, consumer or admin client thread still runs in this
     * JVM: some test did not close a client.
     */
    public KafkaBrokerExtension expectAllClientsClosed() {
        expectClientsClosed = true;
        return this;
    }

    /** The running broker (or stopped, if a test stopped it). */
    public EmbeddedKafkaBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("the embedded Kafka broker is not started: register the KafkaBrokerExtension "
                    + "on a static field with @RegisterExtension, and use it from tests or @BeforeAll methods");
        }
        return broker;
    }

    /** {@code 127.0.0.1:<port>} of the broker's PLAINTEXT listener. */
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** Creates more topics and waits until every partition has a leader. */
    public void createTopics(int partitions, String... topics) {
        broker().createTopics(partitions, topics);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // Kafka ends the JVM on a fatal broker fault (e.g. a port it cannot bind): fail this class instead of the run
        Exit.setExitProcedure(KafkaBrokerExtension::refuseToEndTheJvm);
        Exit.setHaltProcedure(KafkaBrokerExtension::refuseToEndTheJvm);
        EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder();
        for (BrokerSettings s : settings) {
            s.applyTo(builder);
        }
        EmbeddedKafkaBroker started = builder.build().start();
        try {
            if (topics.length > 0) {
                started.createTopics(partitions, topics);
            }
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
        broker = started;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (broker == null) {
                return; // it did not start: beforeAll failed
            }
            try {
                broker.close();
            } finally {
                broker = null;
            }
            if (expectClientsClosed) {
                KafkaTestUtils.assertNoKafkaClientThreadsLeft();
            }
        } finally {
            Exit.resetExitProcedure();
            Exit.resetHaltProcedure();
        }
    }

    private static void refuseToEndTheJvm(int status, String message) {
        throw new IllegalStateException("the embedded Kafka broker had a fatal fault and asked to end the JVM (status "
                + status + (message == null ? "" : ", " + message) + "); its log says why");
    }
}
