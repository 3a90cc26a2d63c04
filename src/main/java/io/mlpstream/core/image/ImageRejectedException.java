package io.mlpstream.core.image;

/**
 * An image we refuse to decode or preprocess. {@link #reason()} is a short, stable code for dead-letter
 * headers and metrics; the message names the bad value and what would have been accepted.
 */
public final class ImageRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an image was refused. {@link #code()} is what goes into headers and metrics. */
    public enum Reason {
        /** No bytes at all. */
        EMPTY("empty"),
        /** The magic bytes are not PNG or JPEG (or the reader cannot handle this variant). */
        UNSUPPORTED_FORMAT("unsupported-format"),
        /** The header declares more pixels than the configured limit. */
        TOO_MANY_PIXELS("too-many-pixels"),
        /** The header declares a zero or negative width or height. */
        BAD_DIMENSIONS("bad-dimensions"),
        /** The header or pixel data cannot be read: truncated, garbled, inconsistent. */
        CORRUPT("corrupt");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    public ImageRejectedException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ImageRejectedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        if (reason == null) {
            throw new NullPointerException("reason");
        }
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** The machine-readable code, e.g. {@code too-many-pixels}. */
    public String reasonCode() {
        return reason.code();
    }
}
