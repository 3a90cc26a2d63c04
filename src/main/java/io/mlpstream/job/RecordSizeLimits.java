package io.mlpstream.job;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;

/**
 * The largest record, in bytes, each sink may write: the least of its topic's {@code max.message.bytes} (the brokers'
 * {@code message.max.bytes} unless the topic overrides it) and its producer's {@code max.request.size} and {@code
 * buffer.memory} ({@code kafka.properties.*}). A record above any of them is refused, and a refused record fails the
 * job, which replays it and fails again; so the serializers shorten what would not fit (see {@code
 * DeadLetterSerializer}, {@code TaggedImageSerializer}). {@link TopicPreflight} reads the topics; without it (or without
 * the right to describe their configs) Kafka's default {@value #KAFKA_DEFAULT_MAX_MESSAGE_BYTES} is assumed.
 *
 * @param basis where the topic limits came from, for the log
 */
public record RecordSizeLimits(int results, int deadLetters, int metrics, String basis) implements Serializable {
    /** Kafka's default {@code max.message.bytes}: 1 MiB plus 12 bytes of log overhead. */
    public static final int KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
    /**
     * The least a sink must accept: room for a dead letter's own {@code mlpstream.errors.*} headers (a message of up to
     * 4,000 characters) and for a result's model, labels, event id and source.
     */
    public static final int MIN_RECORD_BYTES = 64 * 1024;

    /** Limits with Kafka's default {@code max.message.bytes} for each topic. */
    public static RecordSizeLimits assumed(Map<String, String> kafkaProperties, String why) {
        return of(kafkaProperties, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
                KAFKA_DEFAULT_MAX_MESSAGE_BYTES, "Kafka's default max.message.bytes, " + why);
    }

    /** Limits from the topics' {@code max.message.bytes} and the producer's settings. */
    static RecordSizeLimits of(Map<String, String> kafkaProperties, int resultsTopic, int deadLetterTopic, int metricsTopic,
                               String basis) {
        int producer = producerLimit(kafkaProperties);
        return new RecordSizeLimits(Math.min(resultsTopic, producer), Math.min(deadLetterTopic, producer),
                Math.min(metricsTopic, producer), basis);
    }

    /**
     * The largest record the sinks' producers accept: {@code max.request.size}, or {@code buffer.memory} if less.
     *
     * @throws ConfigException if either is not a number or below {@link #MIN_RECORD_BYTES}
     */
    static int producerLimit(Map<String, String> kafkaProperties) {
        long maxRequestSize = bytes(kafkaProperties, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1024 * 1024, ConfigDef.Type.INT);
        long bufferMemory = bytes(kafkaProperties, ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024, ConfigDef.Type.LONG);
        return (int) Math.min(Integer.MAX_VALUE, Math.min(maxRequestSize, bufferMemory));
    }

    private static long bytes(Map<String, String> kafkaProperties, String name, long kafkaDefault, ConfigDef.Type type) {
        String text = kafkaProperties.get(name);
        if (text == null) {
            return kafkaDefault;
        }
        long value;
        try {
            value = ((Number) ConfigDef.parseType(name, text, type)).longValue();
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new ConfigException(InferenceJobOptions.KAFKA_PROPERTIES_PREFIX + name + "=" + text
                    + " is not a number of bytes; use e.g. " + kafkaDefault + " (Kafka's default).");
        }
        if (value < MIN_RECORD_BYTES) {
            throw new ConfigException(String.format(Locale.ROOT, "%s%s=%d is below the %d bytes each record of the job's "
                            + "sinks may need (a dead letter's headers, a result's labels); raise it (Kafka's default: %d).",
                    InferenceJobOptions.KAFKA_PROPERTIES_PREFIX, name, value, MIN_RECORD_BYTES, kafkaDefault));
        }
        return value;
    }

    /** One line for the log. */
    public String describe() {
        return String.format(Locale.ROOT, "largest records: results %d, dead letters %d, metrics %d bytes (%s)",
                results, deadLetters, metrics, basis);
    }
}
