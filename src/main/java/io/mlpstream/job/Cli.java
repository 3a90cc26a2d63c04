package io.mlpstream.job;

import io.mlpstream.embedded.Demo;
import io.mlpstream.embedded.DigitEventProducer;
import io.mlpstream.embedded.DigitsDataset;
import io.mlpstream.model.ModelException;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * Command-line entry point.
 *
 * <pre>
 *   demo    [--events N] [--rate PER_SECOND] [--config FILE] [--set key=value]...
 *   run     --config FILE [--set key=value]...
 *   produce --bootstrap HOST:PORT [--topic T] [--events N] [--rate PER_SECOND]
 *   options
 * </pre>
 */
public final class Cli {
    static final String USAGE = "Usage: mlpstream demo [--events N] [--rate R] [--set key=value]... | "
            + "run --config jobs/digits-tagging.yaml [--set key=value]... | "
            + "produce --bootstrap host:port [--topic images] [--events N] [--rate R] | options";

    private Cli() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the process exit code. User errors are one line on {@code err}, exit code 2. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            CommandLine cl = CommandLine.parse(args, List.of("events", "rate", "bootstrap", "topic"));
            switch (cl.command()) {
                case "demo" -> {
                    return Demo.run(cl.config(), cl.overrides(), cl.intFlag("events", Demo.DEFAULT_EVENTS),
                            cl.intFlag("rate", Demo.DEFAULT_RATE), out);
                }
                case "run" -> {
                    if (cl.config() == null) {
                        throw new ConfigException("'run' needs --config FILE (e.g. --config jobs/digits-tagging.yaml).");
                    }
                    JobConfig config = JobConfig.load(cl.config(), cl.overrides());
                    if (StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment
                            && !config.values().containsKey(InferenceJobOptions.CHECKPOINT_DIR.key())) {
                        // a local MiniCluster has no checkpoint directory; in-flight images can exceed the in-memory 5 MB
                        Map<String, String> overrides = new LinkedHashMap<>(cl.overrides());
                        overrides.put(InferenceJobOptions.CHECKPOINT_DIR.key(), LocalCheckpoints.directory());
                        config = JobConfig.load(cl.config(), overrides);
                    }
                    submit(InferenceJobSpec.from(config));
                    return 0;
                }
                case "produce" -> {
                    return produce(cl, out);
                }
                case "options" -> {
                    printOptions(out);
                    return 0;
                }
                case "help", "--help", "-h" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> throw new ConfigException("Unknown command '" + cl.command() + "'. " + USAGE);
            }
        } catch (ConfigException | ModelException e) {
            err.println("mlpstream: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("mlpstream: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** Checks topics and model, builds the job and runs it in the current environment (a cluster under 'flink run'). */
    static void submit(InferenceJobSpec spec) {
        if (spec.checkTopics()) {
            TopicPreflight.check(spec);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, spec);
        try {
            env.execute(spec.jobName());
        } catch (Exception e) {
            throw new IllegalStateException("Job '" + spec.jobName() + "' failed", e);
        }
    }

    /** Sends held-out digits as PNG ImageEvents to a running broker: a load source for a real deployment. */
    static int produce(CommandLine cl, PrintStream out) throws Exception {
        String bootstrap = cl.flags().get("bootstrap");
        if (bootstrap == null) {
            throw new ConfigException("'produce' needs --bootstrap host:port (the Kafka broker to send digit events to).");
        }
        DigitsDataset dataset = DigitsDataset.loadBundled();
        int events = cl.intFlag("events", dataset.size());
        String topic = cl.flags().getOrDefault("topic", InferenceJobOptions.INPUT_TOPIC.defaultValue());
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .bootstrapServers(bootstrap)
                .topic(topic)
                .dataset(dataset)
                .numEvents(events)
                .eventsPerSecond(cl.intFlag("rate", Demo.DEFAULT_RATE))
                .build()
                .start()) {
            boolean done = producer.awaitCompletion(Duration.ofSeconds(60 + events));
            DigitEventProducer.Progress p = producer.progress();
            out.println("produced to " + topic + " on " + bootstrap + ": " + p);
            return done && p.failed() == 0 ? 0 : 1;
        }
    }

    static void printOptions(PrintStream out) {
        out.println("| option | default | description |");
        out.println("|---|---|---|");
        for (ConfigOption<?> o : InferenceJobOptions.all()) {
            Object def = !o.hasDefaultValue() ? "" : o.defaultValue() instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : o.defaultValue();
            out.println("| `" + o.key() + "` | `" + def + "` | " + new org.apache.flink.configuration.description.HtmlFormatter().format(o.description()).replace("|", "\\|") + " |");
        }
        out.println("| `kafka.properties.<name>` | | Any Kafka client property, passed to source and sinks as is "
                + "(values may be `${env:NAME}` or `${file:/path}`; secrets are masked in logs). |");
    }
}
