package io.mlpstream.job.serde;

import io.mlpstream.flink.InferenceFailure;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * A failed input record → dead-letter topic, Kafka Connect style: the original key, value and headers untouched, plus
 * {@code mlpstream.errors.*} headers saying where it came from and why it failed.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<InferenceFailure<KafkaRecord>> {
    private static final long serialVersionUID = 1L;

    public static final String HEADER_PREFIX = "mlpstream.errors.";
    public static final String TOPIC = HEADER_PREFIX + "topic";
    public static final String PARTITION = HEADER_PREFIX + "partition";
    public static final String OFFSET = HEADER_PREFIX + "offset";
    public static final String STAGE = HEADER_PREFIX + "stage";
    public static final String EXCEPTION_CLASS = HEADER_PREFIX + "exception.class.name";
    public static final String EXCEPTION_MESSAGE = HEADER_PREFIX + "exception.message";
    /** Header values are capped so one absurd message cannot exceed the broker's record size. */
    static final int MAX_MESSAGE_CHARS = 4_000;

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(InferenceFailure<KafkaRecord> failure, KafkaSinkContext context, Long timestamp) {
        KafkaRecord origin = failure.getElement();
        RecordHeaders headers = new RecordHeaders();
        if (origin.headers != null) {
            for (KafkaHeader h : origin.headers) {
                headers.add(h.key, h.value);
            }
        }
        headers.add(TOPIC, utf8(origin.topic));
        headers.add(PARTITION, utf8(Integer.toString(origin.partition)));
        headers.add(OFFSET, utf8(Long.toString(origin.offset)));
        headers.add(STAGE, utf8(failure.getStage()));
        headers.add(EXCEPTION_CLASS, utf8(failure.getExceptionClass()));
        String message = failure.getMessage() == null ? "" : failure.getMessage();
        headers.add(EXCEPTION_MESSAGE, utf8(message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message));
        return new ProducerRecord<>(topic, null, timestamp, origin.key, origin.value, headers);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
