package io.mlpstream.core.model;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression test for the onnxruntime 1.29.0 crash (SIGSEGV inside OrtEnvironment.getEnvironment()
 * when /proc/self/cmdline is longer than ~4 KB, as on a Flink TaskManager with a long -classpath):
 * a JVM with a 16 KB command line must create a session and run the bundled model.
 */
class OrtLongCommandLineITCase {

    /** Runs in the child JVM. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            LoadedModel model = ModelSource.load("mixer-digits");
            try (SharedSessions.Lease lease = SharedSessions.acquire(model, Device.CPU, 1)) {
                ModelRunner runner = lease.runner();
                FloatBuffer input = FloatBuffer.allocate(runner.floatsPerImage());
                float[] out = runner.run(input, 1);
                System.out.println("ORT-OK classes=" + out.length);
            }
        }
    }

    @Test
    void aJvmWithAVeryLongCommandLineCanUseOnnxRuntime() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-Dmlpstream.padding=" + "x".repeat(16 * 1024));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        int length = String.join(" ", cmd).length();
        assertThat(length).isGreaterThan(16 * 1024);

        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean finished = p.waitFor(120, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            p.destroyForcibly();
        }
        System.out.printf("ORT in a JVM with a %d-character command line: exit %d%n", length, finished ? p.exitValue() : -1);
        assertThat(finished).as("child JVM finished; output:%n%s", output).isTrue();
        assertThat(p.exitValue()).as("child exit code (134/139 = native crash); output:%n%s", output).isZero();
        assertThat(output).contains("ORT-OK classes=10");
    }
}
