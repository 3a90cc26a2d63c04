package io.mlpstream.core.inference;

/**
 * Where an element failed: the value of a failure's {@code stage}. Stable strings, written into dead-letter
 * headers and metrics, so they never change with the code.
 */
public final class Stage {
    /** Getting the image out of the element failed (the {@link ImageBytes} function threw). */
    public static final String INPUT = "input";
    /** The bytes are no image we decode: empty, not PNG/JPEG, corrupt, truncated, or too many pixels. */
    public static final String DECODE = "decode";
    /** A decoded image could not be turned into the model's input. */
    public static final String PREPROCESS = "preprocess";
    /** The model run of the element's batch failed. */
    public static final String INFERENCE = "inference";
    /** No result within the operator's timeout. */
    public static final String TIMEOUT = "timeout";

    private Stage() {}
}
