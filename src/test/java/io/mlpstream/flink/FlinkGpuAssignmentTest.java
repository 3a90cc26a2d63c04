package io.mlpstream.flink;

import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.model.Device;
import io.mlpstream.core.model.GpuShares;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.testutils.TestGpuDriverFactory;

import org.apache.flink.api.common.externalresource.ExternalResourceDriverFactory;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.plugin.PluginManager;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.externalresource.ExternalResourceInfoProvider;
import org.apache.flink.runtime.externalresource.ExternalResourceUtils;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code model.device: auto} takes the GPUs Flink assigned to the TaskManager: a TaskManager configured with
 * {@code external-resources: gpu} and a GPU driver (here {@link TestGpuDriverFactory}, loaded by Flink's own
 * {@link ExternalResourceUtils} from the configuration, as TaskManagerRunner does) hands its GPUs to the operator through
 * RuntimeContext#getExternalResourceInfos, and its subtasks (operator test harnesses on that TaskManager's resource
 * provider) spread over them. This CPU build of ONNX Runtime has no CUDA provider, so each then runs on the CPU: the
 * CUDA path itself needs the -Pgpu build and an NVIDIA GPU.
 */
class FlinkGpuAssignmentTest {
    private static final ImageBytes<byte[]> PNG = png -> png;

    private final List<OneInputStreamOperatorTestHarness<byte[], Outcome<byte[]>>> harnesses = new ArrayList<>();
    private final List<MockEnvironment> environments = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (OneInputStreamOperatorTestHarness<byte[], Outcome<byte[]>> h : harnesses) {
            h.close();
        }
        for (MockEnvironment env : environments) {
            env.close();
        }
        assertThat(GpuShares.usersPerGpu()).as("GPU claims left after every subtask closed").isEmpty();
        assertThat(SharedSessions.openSessions()).as("ORT sessions left open").isZero();
    }

    /** A TaskManager's external resources as Flink builds them from its configuration. */
    private static ExternalResourceInfoProvider taskManagerWithGpus(String indices, int amount) {
        Configuration config = new Configuration();
        config.setString("external-resources", FlinkGpus.RESOURCE);
        config.setString("external-resource.gpu.amount", Integer.toString(amount));
        config.setString("external-resource.gpu.driver-factory.class", TestGpuDriverFactory.class.getName());
        config.setString("external-resource.gpu.param." + TestGpuDriverFactory.INDICES, indices);
        PluginManager plugins = new PluginManager() {
            @Override
            @SuppressWarnings("unchecked")
            public <P> Iterator<P> load(Class<P> service) {
                return service == ExternalResourceDriverFactory.class
                        ? (Iterator<P>) List.of(new TestGpuDriverFactory()).iterator()
                        : Collections.emptyIterator();
            }
        };
        return ExternalResourceUtils.createStaticExternalResourceInfoProviderFromConfig(config, plugins);
    }

    private static InferenceSettings settings(Device device) {
        return ImageInference.<byte[]>builder()
                .modelName("mixer-digits")
                .modelDevice(device)
                .batching(4, Duration.ofMillis(5))
                .settings();
    }

    /** Opens subtask {@code index} of {@code parallelism} on a TaskManager with {@code resources}; returns its function. */
    private BatchingInferenceFunction<byte[]> openSubtask(InferenceSettings settings, ExternalResourceInfoProvider resources,
                                                          int index, int parallelism) throws Exception {
        BatchingInferenceFunction<byte[]> function = new BatchingInferenceFunction<>(settings, PNG);
        MockEnvironment env = new MockEnvironmentBuilder()
                .setTaskName("mlpstream inference")
                .setParallelism(parallelism)
                .setMaxParallelism(128)
                .setSubtaskIndex(index)
                .setExternalResourceInfoProvider(resources)
                .build();
        environments.add(env);
        OneInputStreamOperatorTestHarness<byte[], Outcome<byte[]>> harness = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, TimeUnit.MINUTES.toMillis(10), 16, AsyncDataStream.OutputMode.UNORDERED),
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO.createSerializer(new SerializerConfigImpl()), env);
        harnesses.add(harness);
        harness.open();
        return function;
    }

    @Test
    void autoSpreadsTheSubtasksOverTheGpusFlinkAssignedAndStillTagsOnTheCpuBuild() throws Exception {
        ExternalResourceInfoProvider taskManager = taskManagerWithGpus("5,3", 2);
        Set<ExternalResourceInfo> infos = taskManager.getExternalResourceInfos(FlinkGpus.RESOURCE);
        assertThat(FlinkGpus.indices(infos)).as("the GPUs Flink's driver reported").containsExactly(3, 5);

        List<Device> devices = new ArrayList<>();
        for (int subtask = 0; subtask < 4; subtask++) {
            devices.add(openSubtask(settings(Device.AUTO), taskManager, subtask, 4).requestedDevice());
        }
        Map<Device, Long> perDevice = devices.stream()
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(perDevice).as("subtasks per device").isEqualTo(Map.of(Device.auto(3), 2L, Device.auto(5), 2L));
        assertThat(GpuShares.usersPerGpu()).isEqualTo(Map.of(3, 2, 5, 2));
        assertThat(SharedSessions.openSessions()).as("one CPU session for all: auto without a CUDA provider").isEqualTo(1);

        DigitsDataset digits = DigitsDataset.loadBundled();
        OneInputStreamOperatorTestHarness<byte[], Outcome<byte[]>> h = harnesses.get(1);
        h.processElement(new StreamRecord<>(digits.png(0), 0));
        h.endInput();
        List<Outcome<byte[]>> outcomes = h.extractOutputValues();
        assertThat(outcomes).hasSize(1);
        assertThat(outcomes.get(0).prediction).as("a prediction (on the CPU)").isNotNull();
        assertThat(outcomes.get(0).prediction.getLabels()[0]).isEqualTo(Integer.toString(digits.label(0)));
    }

    @Test
    void withoutExternalResourcesAutoIsAutoAndNothingIsClaimed() throws Exception {
        BatchingInferenceFunction<byte[]> f = openSubtask(settings(Device.AUTO), ExternalResourceInfoProvider.NO_EXTERNAL_RESOURCES, 0, 1);
        assertThat(f.requestedDevice()).isEqualTo(Device.AUTO);
        assertThat(GpuShares.usersPerGpu()).isEmpty();
    }

    @Test
    void explicitCudaOutsideFlinksGpusFailsOnceWithoutRestartsAndReleasesNothingItDidNotTake() {
        ExternalResourceInfoProvider taskManager = taskManagerWithGpus("0", 1);
        assertThatThrownBy(() -> openSubtask(settings(Device.cuda(1)), taskManager, 0, 1))
                .as("a job that cannot run here fails once instead of restarting forever")
                .isInstanceOf(SuppressRestartsException.class)
                .hasRootCauseMessage("device=cuda:1 is not among the GPUs Flink assigned to this TaskManager [0] (external "
                        + "resource 'gpu'): set device to auto to use those, or to cuda:N with N among them.");
    }

    @Test
    void aGpuWithoutAnIntegerIndexIsAnErrorThatSaysWhatTheDriverOwes() {
        assertThatThrownBy(() -> FlinkGpus.indices(List.of(new TestGpuDriverFactory.Gpu("first"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("external resource 'gpu' reported a GPU whose property 'index' is 'first' (properties [index]): "
                        + "its driver must give each GPU an integer index, as Flink's GPU driver does");
        ExternalResourceInfo noIndex = new ExternalResourceInfo() {
            @Override
            public Optional<String> getProperty(String key) {
                return Optional.empty();
            }

            @Override
            public java.util.Collection<String> getKeys() {
                return List.of("uuid");
            }
        };
        assertThatThrownBy(() -> FlinkGpus.indices(List.of(noIndex)))
                .hasMessageContaining("property 'index' is missing (properties [uuid])");
    }
}
