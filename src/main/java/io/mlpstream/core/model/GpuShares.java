package io.mlpstream.core.model;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Which of the TaskManager's GPUs each operator instance in this JVM took, so that {@code auto} spreads the instances
 * evenly over the GPUs Flink assigned ({@link DeviceSelector#forAssignedGpus}): one TaskManager is one JVM. An instance
 * {@link #claim claims} its device when it opens and {@link Claim#close() releases} it when it closes.
 */
public final class GpuShares {
    private static final Map<Integer, Integer> USERS = new HashMap<>();

    private GpuShares() {}

    /** A device taken by one operator instance; on one of Flink's GPUs, it counts as a user of it until closed. */
    public static final class Claim implements AutoCloseable {
        private final Device device;
        private final boolean counted;
        private boolean closed;

        private Claim(Device device, boolean counted) {
            this.device = device;
            this.counted = counted;
        }

        /** The device to ask ONNX Runtime for (auto or cuda:N on an assigned GPU, or the request as it was). */
        public Device device() {
            return device;
        }

        @Override
        public void close() {
            synchronized (USERS) {
                if (closed || !counted) {
                    closed = true;
                    return;
                }
                closed = true;
                USERS.computeIfPresent(device.index(), (gpu, users) -> users == 1 ? null : users - 1);
            }
        }
    }

    /** The device for an instance that asked for {@code requested} on a TaskManager Flink gave {@code assignedGpus}. */
    public static Claim claim(Device requested, Collection<Integer> assignedGpus) {
        synchronized (USERS) {
            Device device = DeviceSelector.forAssignedGpus(requested, assignedGpus, USERS);
            boolean onAssignedGpu = !assignedGpus.isEmpty() && device.kind() != Device.Kind.CPU;
            if (onAssignedGpu) {
                USERS.merge(device.index(), 1, Integer::sum);
            }
            return new Claim(device, onAssignedGpu);
        }
    }

    /** Instances of this JVM on each GPU now (for tests and logs). */
    public static Map<Integer, Integer> usersPerGpu() {
        synchronized (USERS) {
            return Map.copyOf(USERS);
        }
    }
}
