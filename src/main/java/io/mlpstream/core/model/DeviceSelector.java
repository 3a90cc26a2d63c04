package io.mlpstream.core.model;

import javax.annotation.Nullable;

/**
 * Decides the concrete device from what was asked and what this ONNX Runtime build offers. Pure:
 * the caller passes whether the CUDA provider is compiled in (the {@code gpu} build) and whether a
 * GPU could actually be opened.
 */
public final class DeviceSelector {
    private DeviceSelector() {}

    /** The chosen device, and a one-line note when {@code auto} fell back to CPU. */
    public record Selection(Device device, @Nullable String fallbackNote) {}

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
                            "device=auto: running on CPU (this onnxruntime build has no CUDA provider; build with -Pgpu for GPUs)");
                }
                if (Boolean.FALSE.equals(cudaUsable)) {
                    return new Selection(
                            Device.CPU, "device=auto: running on CPU (CUDA provider present but no usable GPU: " + cudaError + ")");
                }
                return new Selection(Device.cuda(0), null);
        }
    }
}
