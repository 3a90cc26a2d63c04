package io.mlpstream.flink;

import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The GPUs Flink assigned to this TaskManager: its external resource {@value #RESOURCE} ({@code external-resources: gpu}
 * with Flink's GPU driver, plugins/external-resource-gpu), each reported with its index in the property
 * {@value #INDEX}, as RuntimeContext#getExternalResourceInfos gives them. Empty when none is configured.
 */
final class FlinkGpus {
    /** The external resource's name, as in Flink's GPU documentation. */
    static final String RESOURCE = "gpu";
    /** The property holding a GPU's index (Flink's GPUInfo). */
    static final String INDEX = "index";

    private FlinkGpus() {}

    /** The GPU indices, sorted; a GPU without an integer index is an error naming the driver's duty. */
    static List<Integer> indices(Collection<ExternalResourceInfo> infos) {
        TreeSet<Integer> indices = new TreeSet<>();
        for (ExternalResourceInfo info : infos) {
            Optional<String> index = info.getProperty(INDEX);
            try {
                indices.add(Integer.parseInt(index.orElseThrow().strip()));
            } catch (RuntimeException e) {
                throw new IllegalStateException("external resource '" + RESOURCE + "' reported a GPU whose property '" + INDEX
                        + "' is " + index.map(i -> "'" + i + "'").orElse("missing") + " (properties " + info.getKeys()
                        + "): its driver must give each GPU an integer index, as Flink's GPU driver does");
            }
        }
        return List.copyOf(indices);
    }
}
