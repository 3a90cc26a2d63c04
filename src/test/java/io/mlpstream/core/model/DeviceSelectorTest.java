package io.mlpstream.core.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceSelectorTest {

    @Test
    void parsesTheAcceptedForms() {
        assertThat(Device.parse("auto")).isEqualTo(Device.AUTO);
        assertThat(Device.parse(" CPU ")).isEqualTo(Device.CPU);
        assertThat(Device.parse("cuda")).isEqualTo(Device.cuda(0));
        assertThat(Device.parse("cuda:3")).isEqualTo(Device.cuda(3));
        assertThat(Device.cuda(1).toString()).isEqualTo("cuda:1");
    }

    @Test
    void rejectsOtherFormsNamingTheRightOnes() {
        for (String bad : new String[] {"", "gpu0", "cuda:-1", "cuda:x", "tpu"}) {
            assertThatThrownBy(() -> Device.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("use auto, cpu, or cuda:N");
        }
    }

    @Test
    void autoUsesCudaWhenTheProviderAndAGpuAreThere() {
        DeviceSelector.Selection s = DeviceSelector.select(Device.AUTO, true, true, null);
        assertThat(s.device()).isEqualTo(Device.cuda(0));
        assertThat(s.fallbackNote()).isNull();
    }

    @Test
    void autoFallsBackToCpuWithOneClearLine() {
        DeviceSelector.Selection noProvider = DeviceSelector.select(Device.AUTO, false, null, null);
        assertThat(noProvider.device()).isEqualTo(Device.CPU);
        assertThat(noProvider.fallbackNote()).contains("running on CPU").contains("no CUDA provider").contains("-Pgpu");

        DeviceSelector.Selection noGpu = DeviceSelector.select(Device.AUTO, true, false, "no CUDA-capable device is detected");
        assertThat(noGpu.device()).isEqualTo(Device.CPU);
        assertThat(noGpu.fallbackNote()).contains("no usable GPU").contains("no CUDA-capable device is detected");
    }

    @Test
    void cpuIsAlwaysCpu() {
        assertThat(DeviceSelector.select(Device.CPU, true, true, null).device()).isEqualTo(Device.CPU);
    }

    @Test
    void explicitCudaNeverFallsBackSilently() {
        assertThatThrownBy(() -> DeviceSelector.select(Device.cuda(0), false, null, null))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("no CUDA provider")
                .hasMessageContaining("-Pgpu");
        assertThatThrownBy(() -> DeviceSelector.select(Device.cuda(2), true, false, "invalid device ordinal"))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("cuda:2")
                .hasMessageContaining("invalid device ordinal");
        assertThat(DeviceSelector.select(Device.cuda(1), true, true, null).device()).isEqualTo(Device.cuda(1));
    }

    @Test
    void autoTriesTheGpuItWasGivenAndSaysWhichWhenItFallsBack() {
        assertThat(DeviceSelector.select(Device.auto(3), true, true, null).device()).isEqualTo(Device.cuda(3));
        DeviceSelector.Selection noProvider = DeviceSelector.select(Device.auto(3), false, null, null);
        assertThat(noProvider.device()).isEqualTo(Device.CPU);
        assertThat(noProvider.fallbackNote()).startsWith("device=auto(cuda:3): running on CPU");
        assertThat(Device.auto(0)).isEqualTo(Device.AUTO).hasToString("auto");
        assertThat(Device.auto(2)).hasToString("auto(cuda:2)");
        assertThatThrownBy(() -> Device.auto(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withoutFlinkGpusTheRequestStandsAsWritten() {
        for (Device d : List.of(Device.AUTO, Device.CPU, Device.cuda(2))) {
            assertThat(DeviceSelector.forAssignedGpus(d, List.of(), Map.of())).isEqualTo(d);
        }
    }

    @Test
    void autoTakesTheLeastUsedOfFlinksGpusTheLowestOnATie() {
        List<Integer> gpus = List.of(5, 3);
        assertThat(DeviceSelector.forAssignedGpus(Device.AUTO, gpus, Map.of())).isEqualTo(Device.auto(3));
        assertThat(DeviceSelector.forAssignedGpus(Device.AUTO, gpus, Map.of(3, 1))).isEqualTo(Device.auto(5));
        assertThat(DeviceSelector.forAssignedGpus(Device.AUTO, gpus, Map.of(3, 1, 5, 1))).isEqualTo(Device.auto(3));
        assertThat(DeviceSelector.forAssignedGpus(Device.AUTO, gpus, Map.of(3, 2, 5, 1))).isEqualTo(Device.auto(5));
        // a GPU Flink did not assign (another TaskManager's) does not count
        assertThat(DeviceSelector.forAssignedGpus(Device.AUTO, List.of(1), Map.of(0, 0, 1, 7))).isEqualTo(Device.auto(1));
    }

    @Test
    void cpuIgnoresFlinksGpus() {
        assertThat(DeviceSelector.forAssignedGpus(Device.CPU, List.of(0, 1), Map.of())).isEqualTo(Device.CPU);
    }

    @Test
    void explicitCudaMustBeOneOfFlinksGpus() {
        assertThat(DeviceSelector.forAssignedGpus(Device.cuda(1), List.of(0, 1), Map.of(1, 4))).isEqualTo(Device.cuda(1));
        assertThatThrownBy(() -> DeviceSelector.forAssignedGpus(Device.cuda(2), List.of(1, 0), Map.of()))
                .isInstanceOf(ModelException.class)
                .hasMessage("device=cuda:2 is not among the GPUs Flink assigned to this TaskManager [0, 1] (external resource "
                        + "'gpu'): set device to auto to use those, or to cuda:N with N among them.");
    }
}
