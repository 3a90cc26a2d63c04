package io.mlpstream.core.model;

import org.junit.jupiter.api.Test;

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
}
