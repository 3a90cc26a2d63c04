package io.mlpstream.demo;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FreePortsTest {

    @Test
    void picksDifferentFreePortsBelowTheEphemeralOnes() throws IOException {
        int firstEphemeral = firstEphemeralPort();
        assumeTrue(firstEphemeral - FreePorts.FIRST_PORT >= 1000, "fewer than 1000 ports below the ephemeral ones");
        int[] ports = FreePorts.pick(EmbeddedKafkaBroker.HOST, 5);
        assertThat(ports).hasSize(5).doesNotHaveDuplicates();
        for (int port : ports) {
            assertThat(port).as("below the ephemeral ports").isBetween(FreePorts.FIRST_PORT, firstEphemeral - 1);
            try (ServerSocket server = new ServerSocket()) {
                server.setReuseAddress(true);
                server.bind(new InetSocketAddress(InetAddress.getByName(EmbeddedKafkaBroker.HOST), port));
                assertThat(server.getLocalPort()).as("bound to the picked port, so it was released").isEqualTo(port);
            }
        }
    }

    private static int firstEphemeralPort() throws IOException {
        Path linux = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        return Files.isReadable(linux) ? Integer.parseInt(Files.readAllLines(linux).get(0).trim().split("\\s+")[0]) : 32768;
    }
}
