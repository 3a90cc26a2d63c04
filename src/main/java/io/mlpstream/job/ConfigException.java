package io.mlpstream.job;

/** A configuration a user must fix; its message is the one line they see. */
public class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
