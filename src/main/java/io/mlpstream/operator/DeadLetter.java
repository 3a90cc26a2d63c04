package io.mlpstream.operator;

import io.mlpstream.serde.KafkaRecord;

/**
 * An input event that could not be tagged, with the original record and why. Goes to the
 * dead-letter topic with Kafka Connect style error headers. Flink POJO.
 */
public class DeadLetter {
    /** Stages at which an event can fail. */
    public static final String STAGE_DESERIALIZE = "deserialize";
    public static final String STAGE_VALIDATE = "validate";
    public static final String STAGE_DECODE = "decode";
    public static final String STAGE_PREPROCESS = "preprocess";
    public static final String STAGE_INFERENCE = "inference";
    public static final String STAGE_TIMEOUT = "timeout";

    public KafkaRecord origin;
    public String stage;
    public String exceptionClass;
    public String message;
    public long failedAtMs;

    public DeadLetter() {}

    public DeadLetter(KafkaRecord origin, String stage, String exceptionClass, String message, long failedAtMs) {
        this.origin = origin;
        this.stage = stage;
        this.exceptionClass = exceptionClass;
        this.message = message;
        this.failedAtMs = failedAtMs;
    }

    public static DeadLetter of(KafkaRecord origin, String stage, Throwable error) {
        String message = error.getMessage() == null ? error.toString() : error.getMessage();
        return new DeadLetter(origin, stage, error.getClass().getName(), message, System.currentTimeMillis());
    }

    @Override
    public String toString() {
        return "DeadLetter{" + origin + ", stage=" + stage + ", " + exceptionClass + ": " + message + "}";
    }
}
