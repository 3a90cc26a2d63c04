package io.mlpstream.job.serde;

import io.mlpstream.flink.InferenceFailure;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A failed input record → dead-letter topic, Kafka Connect style: the original key, value and headers untouched, plus
 * {@code mlpstream.errors.*} headers saying where it came from and why it failed.
 *
 * <p>A dead letter never exceeds {@code maxRecordBytes}, the most its topic and producer accept, since a refused record
 * would fail the job and replay it forever. One that would is shortened, each step only if the previous was not enough:
 * the value is cut to the prefix that fits ({@value #VALUE_TRUNCATED} = its original length in bytes); the original
 * headers are dropped ({@value #HEADERS_DROPPED} = how many); the key is cut ({@value #KEY_TRUNCATED} = its original
 * length). The {@value #TOPIC}, {@value #PARTITION} and {@value #OFFSET} headers always stay, so the original can be read
 * back from the input topic while its retention keeps it.
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
    /** Present when the value was cut to fit the topic: the original value's length in bytes. */
    public static final String VALUE_TRUNCATED = HEADER_PREFIX + "value.truncated";
    /** Present when the original headers were dropped to fit the topic: how many there were. */
    public static final String HEADERS_DROPPED = HEADER_PREFIX + "headers.dropped";
    /** Present when the key was cut to fit the topic: the original key's length in bytes. */
    public static final String KEY_TRUNCATED = HEADER_PREFIX + "key.truncated";
    /** Header values are capped so one absurd message cannot exceed the broker's record size. */
    static final int MAX_MESSAGE_CHARS = 4_000;
    /** How much the record's and the value's length varints can grow from an empty value to any value. */
    private static final int VARINT_GROWTH = 8;
    private static final byte[] EMPTY = new byte[0];

    private final String topic;
    private final int maxRecordBytes;

    /** @param maxRecordBytes the largest record the topic and the sink's producer accept, in bytes */
    public DeadLetterSerializer(String topic, int maxRecordBytes) {
        this.topic = topic;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(InferenceFailure<KafkaRecord> failure, KafkaSinkContext context, Long timestamp) {
        KafkaRecord origin = failure.getElement();
        List<Header> original = new ArrayList<>();
        if (origin.headers != null) {
            for (KafkaHeader h : origin.headers) {
                original.add(new RecordHeader(h.key, h.value));
            }
        }
        List<Header> errors = errorHeaders(failure);
        RecordHeaders headers = headers(original, errors);
        if (RecordSize.of(origin.key, origin.value, headers) <= maxRecordBytes) {
            return new ProducerRecord<>(topic, null, timestamp, origin.key, origin.value, headers);
        }
        return shortened(origin, original, errors, timestamp);
    }

    private ProducerRecord<byte[], byte[]> shortened(KafkaRecord origin, List<Header> original, List<Header> errors, Long timestamp) {
        List<Header> notes = new ArrayList<>();
        int valueLength = origin.value == null ? 0 : origin.value.length;
        notes.add(header(VALUE_TRUNCATED, Integer.toString(valueLength)));
        List<Header> kept = original;
        byte[] key = origin.key;
        if (roomForValue(key, kept, errors, notes) < 0 && !kept.isEmpty()) {
            notes.add(header(HEADERS_DROPPED, Integer.toString(kept.size())));
            kept = List.of();
        }
        if (roomForValue(key, kept, errors, notes) < 0 && key != null) {
            notes.add(header(KEY_TRUNCATED, Integer.toString(key.length)));
            key = Arrays.copyOf(key, Math.max(0, roomForValue(EMPTY, kept, errors, notes) - VARINT_GROWTH));
        }
        int room = Math.max(0, roomForValue(key, kept, errors, notes));
        if (valueLength <= room) {
            notes.remove(0); // the key or headers were the excess; the value is whole
        }
        byte[] value = origin.value == null || valueLength <= room ? origin.value : Arrays.copyOf(origin.value, room);
        List<Header> all = new ArrayList<>(errors);
        all.addAll(notes);
        return new ProducerRecord<>(topic, null, timestamp, key, value, headers(kept, all));
    }

    /** The bytes left for the value with this key and these headers; negative when they alone exceed the limit. */
    private int roomForValue(byte[] key, List<Header> kept, List<Header> errors, List<Header> notes) {
        List<Header> all = new ArrayList<>(errors);
        all.addAll(notes);
        return maxRecordBytes - RecordSize.of(key, EMPTY, headers(kept, all)) - VARINT_GROWTH;
    }

    private static List<Header> errorHeaders(InferenceFailure<KafkaRecord> failure) {
        KafkaRecord origin = failure.getElement();
        String message = failure.getMessage() == null ? "" : failure.getMessage();
        return List.of(
                header(TOPIC, origin.topic),
                header(PARTITION, Integer.toString(origin.partition)),
                header(OFFSET, Long.toString(origin.offset)),
                header(STAGE, failure.getStage()),
                header(EXCEPTION_CLASS, failure.getExceptionClass()),
                header(EXCEPTION_MESSAGE, message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message));
    }

    private static RecordHeaders headers(List<Header> first, List<Header> then) {
        RecordHeaders headers = new RecordHeaders();
        first.forEach(headers::add);
        then.forEach(headers::add);
        return headers;
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
}
