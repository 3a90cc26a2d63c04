package io.mlpstream.core.model;

import java.io.Serializable;
import java.util.Locale;

/** Where inference runs, as the user writes it: {@code auto}, {@code cpu} or {@code cuda:N}. */
public record Device(Kind kind, int index) implements Serializable {
    public enum Kind {
        AUTO,
        CPU,
        CUDA
    }

    public static final Device AUTO = new Device(Kind.AUTO, 0);
    public static final Device CPU = new Device(Kind.CPU, 0);

    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    /** Parses {@code auto | cpu | cuda | cuda:N}; anything else is an error naming the accepted forms. */
    public static Device parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return AUTO;
        }
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("cuda") || s.equals("gpu")) {
            return cuda(0);
        }
        if (s.startsWith("cuda:")) {
            try {
                int index = Integer.parseInt(s.substring(5));
                if (index >= 0) {
                    return cuda(index);
                }
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException(
                "Unknown device '" + text + "': use auto, cpu, or cuda:N (N = GPU index, e.g. cuda:0).");
    }

    @Override
    public String toString() {
        return kind == Kind.CUDA ? "cuda:" + index : kind.name().toLowerCase(Locale.ROOT);
    }
}
