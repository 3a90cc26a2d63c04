package io.mlpstream.demo;

import io.mlpstream.job.Command;
import io.mlpstream.job.CommandLine;

import java.io.PrintStream;
import java.util.List;

/** {@code demo}: the embedded demo (broker, job and producer in this process). */
final class DemoCommand implements Command {
    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String usage() {
        return "[--events N] [--rate PER_SECOND] [--images DIR|FILE]... [--config FILE] [--set key=value]...";
    }

    @Override
    public String description() {
        return "Starts a Kafka broker in this process, runs the tagging job on a local Flink, produces held-out digits "
                + "as PNG events at --rate per second (--events 0: every held-out digit once) and prints progress, then "
                + "throughput, latency percentiles and accuracy against the true labels. With --images (e.g. with "
                + "--set model.name=DIR, your own model) it sends your PNG and JPEG files instead, each once, and lists "
                + "their top labels; a model whose labels are not the digits 0-9 gets no accuracy line, and says why.";
    }

    @Override
    public List<String> valueFlags() {
        return List.of("events", "rate");
    }

    @Override
    public List<String> repeatableFlags() {
        return List.of("images");
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        return Demo.run(cl.config(), cl.overrides(), cl.intFlag("events", Demo.DEFAULT_EVENTS),
                cl.intFlag("rate", Demo.DEFAULT_RATE), cl.list("images"), out);
    }
}
