package io.mlpstream.demo;

import io.mlpstream.job.Command;
import io.mlpstream.job.CommandLine;
import io.mlpstream.job.ConfigException;
import io.mlpstream.job.InferenceJobOptions;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/** {@code produce}: held-out digits as PNG ImageEvents to a running broker, a load source for a real deployment. */
final class ProduceCommand implements Command {
    @Override
    public String name() {
        return "produce";
    }

    @Override
    public String usage() {
        return "--bootstrap HOST:PORT [--topic images] [--events N] [--rate PER_SECOND]";
    }

    @Override
    public String description() {
        return "Sends held-out digits (PNG ImageEvents, true label in the attribute trueLabel) to the topic at the given "
                + "rate; --events defaults to every held-out digit once.";
    }

    @Override
    public List<String> valueFlags() {
        return List.of("bootstrap", "topic", "events", "rate");
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        String bootstrap = cl.flags().get("bootstrap");
        if (bootstrap == null) {
            throw new ConfigException("'produce' needs --bootstrap host:port (the Kafka broker to send digit events to).");
        }
        DigitsDataset dataset = DigitsDataset.loadBundled();
        int events = cl.intFlag("events", dataset.size());
        String topic = cl.flag("topic", InferenceJobOptions.KAFKA_INPUT_TOPIC.defaultValue());
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
}
