package io.mlpstream.demo;

import io.mlpstream.job.Command;
import io.mlpstream.job.CommandLine;
import io.mlpstream.job.ConfigException;
import io.mlpstream.job.InferenceJobSpec;

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
        return "[--bootstrap HOST:PORT] [--topic images] [--events N] [--rate PER_SECOND] [--id-prefix digit] "
                + "[--config FILE] [--set key=value]...";
    }

    @Override
    public String description() {
        return "Sends held-out digits (PNG ImageEvents, true label in the attribute trueLabel) to the topic at the given "
                + "rate; --events defaults to every held-out digit once. Event ids are PREFIX-PASS-INDEX (digit-0-0, ...): "
                + "give each run its own --id-prefix so that their results do not collide. --bootstrap and --topic "
                + "default to kafka.bootstrap-servers and kafka.input-topic (--config / --set).";
    }

    @Override
    public List<String> valueFlags() {
        return List.of("bootstrap", "topic", "events", "rate", "id-prefix");
    }

    @Override
    public int run(CommandLine cl, PrintStream out) throws Exception {
        InferenceJobSpec spec = InferenceJobSpec.from(cl.jobConfig());
        String bootstrap = cl.flag("bootstrap", spec.kafkaBootstrapServers());
        String idPrefix = cl.flag("id-prefix", DigitEventProducer.DEFAULT_ID_PREFIX);
        if (idPrefix.isBlank()) {
            throw new ConfigException("--id-prefix must not be empty (e.g. --id-prefix run2).");
        }
        DigitsDataset dataset = DigitsDataset.loadBundled();
        int events = cl.intFlag("events", dataset.size());
        String topic = cl.flag("topic", spec.kafkaInputTopic());
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .bootstrapServers(bootstrap)
                .topic(topic)
                .idPrefix(idPrefix)
                .dataset(dataset)
                .numEvents(events)
                .eventsPerSecond(cl.intFlag("rate", Demo.DEFAULT_RATE))
                .build()
                .start()) {
            boolean done = producer.awaitCompletion(Duration.ofSeconds(60 + events));
            DigitEventProducer.Progress p = producer.progress();
            out.println("produced " + idPrefix + "-* to " + topic + " on " + bootstrap + ": " + p);
            return done && p.failed() == 0 ? 0 : 1;
        }
    }
}
