package io.mlpstream.core.model;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GpuSharesTest {
    private final List<GpuShares.Claim> claims = new ArrayList<>();

    @AfterEach
    void releaseAll() {
        claims.forEach(GpuShares.Claim::close);
        assertThat(GpuShares.usersPerGpu()).as("users left after every claim closed").isEmpty();
    }

    private Device claim(Device requested, List<Integer> gpus) {
        GpuShares.Claim c = GpuShares.claim(requested, gpus);
        claims.add(c);
        return c.device();
    }

    @Test
    void autoInstancesSpreadEvenlyOverFlinksGpus() {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            devices.add(claim(Device.AUTO, List.of(3, 5)));
        }
        assertThat(devices).containsExactly(Device.auto(3), Device.auto(5), Device.auto(3), Device.auto(5), Device.auto(3));
        assertThat(GpuShares.usersPerGpu()).isEqualTo(Map.of(3, 3, 5, 2));
    }

    @Test
    void aClosedClaimFreesItsGpuForTheNextInstanceAndClosesOnce() {
        GpuShares.Claim first = GpuShares.claim(Device.AUTO, List.of(0, 1));
        claim(Device.AUTO, List.of(0, 1));
        first.close();
        first.close();
        assertThat(GpuShares.usersPerGpu()).isEqualTo(Map.of(1, 1));
        assertThat(claim(Device.AUTO, List.of(0, 1))).isEqualTo(Device.auto(0));
    }

    @Test
    void withoutFlinkGpusNothingIsCounted() {
        assertThat(claim(Device.AUTO, List.of())).isEqualTo(Device.AUTO);
        assertThat(claim(Device.cuda(1), List.of())).isEqualTo(Device.cuda(1));
        assertThat(claim(Device.CPU, List.of(0))).isEqualTo(Device.CPU);
        assertThat(GpuShares.usersPerGpu()).isEmpty();
    }

    @Test
    void explicitCudaCountsOnItsGpu() {
        assertThat(claim(Device.cuda(1), List.of(0, 1))).isEqualTo(Device.cuda(1));
        assertThat(claim(Device.AUTO, List.of(0, 1))).isEqualTo(Device.auto(0));
        assertThat(GpuShares.usersPerGpu()).isEqualTo(Map.of(0, 1, 1, 1));
    }
}
