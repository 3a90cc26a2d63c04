package io.mlpstream.core.model;

import java.io.Serializable;
import java.util.Locale;

/**
 * Where inference runs, as the user writes it: {@code auto}, {@code cpu} or {@code cuda:N}. {@code auto} tries GPU
 * {@link #index()} (0 as written; the GPU Flink assigned, see {@link DeviceSelector#forAssignedGpus}) and falls back to
 * the CPU.
 */
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

    /** {@code auto}, trying GPU {@code gpuIndex} before falling back to the CPU. */
    public static Device auto(int gpuIndex) {
        if (gpuIndex < 0) {
            throw new IllegalArgumentException("GPU index must be >= 0, was " + gpuIndex);
        }
        return new Device(Kind.AUTO, gpuIndex);
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

    /** {@code cpu}, {@code cuda:N}, {@code auto}, or {@code auto(cuda:N)} for auto trying another GPU than 0. */
    @Override
    public String toString() {
        if (kind == Kind.CUDA) {
            return "cuda:" + index;
        }
        if (kind == Kind.AUTO && index != 0) {
            return "auto(cuda:" + index + ")";
        }
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
