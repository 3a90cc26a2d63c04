package io.mlpstream.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An element the model gave no answer for: the element itself, the stage it failed at ({@link
 * io.mlpstream.core.inference.Stage}: input, decode, preprocess, inference, timeout, or a stage named by the {@code
 * imageBytes} function), the exception's class and its message. A Flink POJO whose element field has the input stream's
 * type ({@link #typeInfo}).
 */
public class InferenceFailure<T> {
    private T element;
    private String stage;
    private String exceptionClass;
    private String message;
    private long failedAtMs;

    public InferenceFailure() {}

    public InferenceFailure(T element, String stage, String exceptionClass, String message, long failedAtMs) {
        this.element = element;
        this.stage = stage;
        this.exceptionClass = exceptionClass;
        this.message = message;
        this.failedAtMs = failedAtMs;
    }

    /** A failure of {@code element} at {@code stage}, now, for {@code error}. */
    public static <T> InferenceFailure<T> of(T element, String stage, Throwable error) {
        String message = error.getMessage() == null ? error.toString() : error.getMessage();
        return new InferenceFailure<>(element, stage, error.getClass().getName(), message, System.currentTimeMillis());
    }

    /** The Flink type of a failure of elements of {@code elementType}. */
    public static <T> TypeInformation<InferenceFailure<T>> typeInfo(TypeInformation<T> elementType) {
        Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
        fields.put("element", elementType);
        fields.put("stage", Types.STRING);
        fields.put("exceptionClass", Types.STRING);
        fields.put("message", Types.STRING);
        fields.put("failedAtMs", Types.LONG);
        @SuppressWarnings({"unchecked", "rawtypes"})
        TypeInformation<InferenceFailure<T>> type = (TypeInformation) Types.POJO(InferenceFailure.class, fields);
        return type;
    }

    public T getElement() {
        return element;
    }

    public void setElement(T element) {
        this.element = element;
    }

    public String getStage() {
        return stage;
    }

    public void setStage(String stage) {
        this.stage = stage;
    }

    public String getExceptionClass() {
        return exceptionClass;
    }

    public void setExceptionClass(String exceptionClass) {
        this.exceptionClass = exceptionClass;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    /** Wall clock when it failed, epoch milliseconds. */
    public long getFailedAtMs() {
        return failedAtMs;
    }

    public void setFailedAtMs(long failedAtMs) {
        this.failedAtMs = failedAtMs;
    }

    @Override
    public String toString() {
        return "InferenceFailure{" + element + ", stage=" + stage + ", " + exceptionClass + ": " + message + "}";
    }
}
