package io.mlpstream.testutils;

import org.apache.flink.api.common.externalresource.ExternalResourceDriver;
import org.apache.flink.api.common.externalresource.ExternalResourceDriverFactory;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.configuration.Configuration;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Flink external resource driver for machines without GPUs: reports GPUs with the indices listed in its parameter
 * {@value #INDICES} ({@code external-resource.gpu.param.indices: 3,5}), each with the property {@code index} as Flink's
 * own GPU driver (plugins/external-resource-gpu) does, at most the amount Flink asks for.
 */
public final class TestGpuDriverFactory implements ExternalResourceDriverFactory {
    public static final String INDICES = "indices";

    @Override
    public ExternalResourceDriver createExternalResourceDriver(Configuration config) {
        List<String> indices = Arrays.stream(config.getString(INDICES, "").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toList());
        return amount -> indices.stream().limit(amount).map(Gpu::new).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** One reported GPU. */
    public record Gpu(String index) implements ExternalResourceInfo {
        @Override
        public Optional<String> getProperty(String key) {
            return "index".equals(key) ? Optional.of(index) : Optional.empty();
        }

        @Override
        public Collection<String> getKeys() {
            return Set.of("index");
        }
    }
}
