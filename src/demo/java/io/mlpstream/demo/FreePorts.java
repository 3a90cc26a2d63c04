package io.mlpstream.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports on 127.0.0.1 for servers that bind later (the embedded broker, a Flink cluster started as processes),
 * chosen below the OS's ephemeral ports: those are the ones it gives outgoing connections and port-0 binds, so a port
 * picked there can be taken by any process's connection between the pick and the server's bind, at its first start or
 * at a restart. A port below them is taken only by a server that asks for it by number.
 */
public final class FreePorts {
    private static final Logger LOG = LoggerFactory.getLogger(FreePorts.class);
    /** The lowest port picked: above the ports services usually listen on. */
    public static final int FIRST_PORT = 10_000;
    private static final int MAX_TRIES = 200;
    private static final Path LINUX_EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private FreePorts() {}

    /**
     * {@code count} different ports on {@code host}, each bound to check it is free, all held open until all are
     * found. Picked at random from {@value #FIRST_PORT} up to the first ephemeral port; where fewer than 1000 ports
     * lie there, or no free one is found, the OS picks (port 0).
     */
    public static int[] pick(String host, int count) throws IOException {
        int[] range = belowEphemeralPorts();
        List<ServerSocket> held = new ArrayList<>(count);
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = bindFree(host, range);
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }

    /**
     * The first of {@code count} consecutive ports on {@code host} that are free right now (for a setting that takes a
     * range, e.g. a metric reporter's port on every JVM of a cluster, each taking the first one still free). Picked
     * below the ephemeral ports as {@link #pick} does.
     */
    public static int pickRange(String host, int count) throws IOException {
        int[] range = belowEphemeralPorts();
        int low = range == null ? FIRST_PORT : range[0];
        int high = range == null ? 60_000 : range[1];
        InetAddress address = InetAddress.getByName(host);
        for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(low, high - count);
            List<ServerSocket> held = new ArrayList<>(count);
            try {
                for (int i = 0; i < count; i++) {
                    ServerSocket socket = new ServerSocket();
                    held.add(socket);
                    socket.setReuseAddress(true);
                    socket.bind(new InetSocketAddress(address, first + i));
                }
                return first;
            } catch (IOException inUse) {
                // one of them is taken: another range
            } finally {
                for (ServerSocket socket : held) {
                    socket.close();
                }
            }
        }
        throw new IOException("no " + count + " consecutive free ports on " + host + " in " + MAX_TRIES + " tries");
    }

    private static ServerSocket bindFree(String host, @Nullable int[] range) throws IOException {
        InetAddress address = InetAddress.getByName(host);
        for (int attempt = 0; range != null && attempt < MAX_TRIES; attempt++) {
            ServerSocket socket = new ServerSocket();
            try {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(address, ThreadLocalRandom.current().nextInt(range[0], range[1])));
                return socket;
            } catch (IOException inUse) {
                socket.close();
            }
        }
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(address, 0));
        return socket;
    }

    /**
     * {first, end}: from {@value #FIRST_PORT} up to, not including, the first ephemeral port (Linux's configured one,
     * else 32768, where Linux starts them by default; macOS, BSD and Windows start at 49152). Null if fewer than 1000.
     */
    @Nullable
    private static int[] belowEphemeralPorts() {
        int end = 32768;
        if (Files.isReadable(LINUX_EPHEMERAL_RANGE)) {
            try { // not Files.readString: it reads procfs files only in part
                end = Integer.parseInt(Files.readAllLines(LINUX_EPHEMERAL_RANGE).get(0).trim().split("\\s+")[0]);
            } catch (IOException | RuntimeException e) {
                LOG.debug("Could not read {}; taking ephemeral ports to start at {}", LINUX_EPHEMERAL_RANGE, end, e);
            }
        }
        return end - FIRST_PORT >= 1000 ? new int[] {FIRST_PORT, end} : null;
    }
}
