package io.mlpstream.core.model;

/** A model that cannot be used: missing, tampered, malformed card, or refused by ONNX Runtime. */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
