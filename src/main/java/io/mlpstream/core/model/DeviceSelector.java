package io.mlpstream.core.model;

import javax.annotation.Nullable;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Decides the concrete device from what was asked, the GPUs Flink assigned to the TaskManager and what this ONNX Runtime
 * build offers. Pure: the caller passes the GPU indices Flink gave (its external resource {@code gpu}), how many
 * operator instances already use each, whether the CUDA provider is compiled in (the {@code gpu} build) and whether a
 * GPU could actually be opened.
 */
public final class DeviceSelector {
    private DeviceSelector() {}

    /** The chosen device, and a one-line note when {@code auto} fell back to CPU. */
    public record Selection(Device device, @Nullable String fallbackNote) {}

    /**
     * The device one operator instance asks ONNX Runtime for, given the GPUs Flink assigned to its TaskManager.
     * {@code auto} takes the assigned GPU the fewest instances of this TaskManager use yet (the lowest index on a tie),
     * so the instances spread evenly; {@code cuda:N} must be one of the assigned GPUs; {@code cpu} stays {@code cpu}.
     * Without assigned GPUs, the request is returned as it is ({@code auto} then tries GPU 0).
     *
     * @param assignedGpus the indices Flink's GPU driver reported for this TaskManager; empty when none
     * @param usersPerGpu operator instances of this TaskManager already on each GPU (absent = none)
     */
    public static Device forAssignedGpus(Device requested, Collection<Integer> assignedGpus, Map<Integer, Integer> usersPerGpu) {
        if (assignedGpus.isEmpty() || requested.kind() == Device.Kind.CPU) {
            return requested;
        }
        List<Integer> gpus = List.copyOf(new TreeSet<>(assignedGpus));
        if (requested.kind() == Device.Kind.CUDA) {
            if (!gpus.contains(requested.index())) {
                throw new ModelException("device=" + requested + " is not among the GPUs Flink assigned to this TaskManager "
                        + gpus + " (external resource 'gpu'): set device to auto to use those, or to cuda:N with N among them.");
            }
            return requested;
        }
        int leastUsed = gpus.get(0);
        for (int gpu : gpus) {
            if (usersPerGpu.getOrDefault(gpu, 0) < usersPerGpu.getOrDefault(leastUsed, 0)) {
                leastUsed = gpu;
            }
        }
        return Device.auto(leastUsed);
    }

    /**
     * @param cudaProviderPresent the CUDA execution provider is in this onnxruntime build
     * @param cudaUsable a CUDA session option could be created for the requested GPU; null when not tried
     * @param cudaError why CUDA could not be used, if it was tried and failed
     */
    public static Selection select(
            Device requested, boolean cudaProviderPresent, @Nullable Boolean cudaUsable, @Nullable String cudaError) {
        switch (requested.kind()) {
            case CPU:
                return new Selection(Device.CPU, null);
            case CUDA:
                if (!cudaProviderPresent) {
                    throw new ModelException(
                            "device=" + requested + " asked for CUDA, but this onnxruntime build has no CUDA provider. "
                                    + "Build with 'mvn -Pgpu package' (onnxruntime_gpu) or set device to auto or cpu.");
                }
                if (Boolean.FALSE.equals(cudaUsable)) {
                    throw new ModelException(
                            "device=" + requested + " could not be opened: " + cudaError
                                    + ". Check the GPU index and CUDA/cuDNN installation, or set device to auto or cpu.");
                }
                return new Selection(requested, null);
            case AUTO:
            default:
                if (!cudaProviderPresent) {
                    return new Selection(
                            Device.CPU,
                            "device=" + requested + ": running on CPU (this onnxruntime build has no CUDA provider; build with -Pgpu for GPUs)");
                }
                if (Boolean.FALSE.equals(cudaUsable)) {
                    return new Selection(
                            Device.CPU, "device=" + requested + ": running on CPU (CUDA provider present but no usable GPU: " + cudaError + ")");
                }
                return new Selection(Device.cuda(requested.index()), null);
        }
    }
}
