package io.mlpstream.core.inference;

/**
 * Thrown by an {@link ImageBytes} function to refuse an element under a stage name of its own (e.g. a wire
 * format's {@code deserialize}); any other exception from it fails the element at {@link Stage#INPUT}.
 */
public class RejectedInputException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String stage;

    public RejectedInputException(String stage, String message) {
        this(stage, message, null);
    }

    public RejectedInputException(String stage, String message, Throwable cause) {
        super(message, cause);
        if (stage == null || stage.isBlank()) {
            throw new IllegalArgumentException("stage must be named");
        }
        this.stage = stage;
    }

    public String stage() {
        return stage;
    }
}
