package io.mlpstream.job;

import io.mlpstream.avro.LabelScore;
import io.mlpstream.avro.TaggedImage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;

/**
 * {@code results}: what the job wrote, one JSON line per result (id, top-k labels and scores, model, latency) and per
 * dead letter (id, stage, reason), as a read_committed reader: only what a checkpoint committed.
 */
final class ResultsCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "results";
    }

    @Override
    public String usage() {
        return "[--bootstrap HOST:PORT] [--topic tags] [--dead-letter-topic dead-letter] [--follow] [--config FILE] "
                + "[--set key=value]...";
    }

    @Override
    public String description() {
        return "Prints every result in the results topic and every dead letter in the dead-letter topic from their "
                + "beginning, one JSON line each, with the fields type (result), id, labels (label and score, best "
                + "first), model, version, latencyMs (end to end), batchSize and attributes; or type (dead-letter), id, "
                + "stage, reason, error and from (topic/partition@offset of the image event). Reads as read_committed, so a result shows once the "
                + "checkpoint that wrote it completed. Stops at the end of both topics, or with --follow keeps printing "
                + "new ones until stopped (Ctrl-C). --bootstrap and the topics default to kafka.bootstrap-servers, "
                + "kafka.results-topic and kafka.dead-letter-topic (--config / --set, which also pass kafka.properties.*).";
    }

    @Override
    public List<String> valueFlags() {
        return List.of("bootstrap", "topic", "dead-letter-topic");
    }

    @Override
    public List<String> switches() {
        return List.of("follow");
    }

    @Override
    public int run(CommandLine cl, PrintStream out) {
        InferenceJobSpec spec = InferenceJobSpec.from(cl.jobConfig());
        String bootstrap = cl.flag("bootstrap", spec.kafkaBootstrapServers());
        try (OutputReader reader = OutputReader.open(ClientProperties.of(bootstrap, spec.kafkaProperties()),
                cl.flag("topic", spec.kafkaResultsTopic()), cl.flag("dead-letter-topic", spec.kafkaDeadLetterTopic()), true)) {
            if (!cl.has("follow")) {
                reader.readToEnd(o -> out.println(json(o)));
                return 0;
            }
            Thread main = Thread.currentThread();
            Thread stop = new Thread(() -> {
                reader.wakeup();
                try {
                    main.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mlpstream-results-stop");
            Runtime.getRuntime().addShutdownHook(stop);
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    reader.poll(Duration.ofMillis(500), o -> out.println(json(o)));
                }
            } catch (WakeupException | InterruptException e) {
                // Ctrl-C, or the thread was interrupted: stop following
            } finally {
                removeHook(stop);
            }
            return 0;
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down (Ctrl-C): the hook is running
        }
    }

    /** One output as its JSON line. */
    static String json(OutputReader.Output output) {
        ObjectNode node = JSON.createObjectNode();
        if (output instanceof OutputReader.Tagged t) {
            TaggedImage image = t.image();
            node.put("type", "result").put("id", image.getEventId());
            ArrayNode labels = node.putArray("labels");
            for (LabelScore l : image.getLabels()) {
                labels.addObject().put("label", l.getLabel()).put("score", l.getScore());
            }
            node.put("model", image.getModelName()).put("version", image.getModelVersion())
                    .put("latencyMs", Math.round(image.getLatency().getEndToEndUs() / 100.0) / 10.0)
                    .put("batchSize", image.getBatchSize());
            ObjectNode attributes = node.putObject("attributes");
            new TreeMap<>(image.getAttributes()).forEach(attributes::put);
        } else if (output instanceof OutputReader.DeadLetter d) {
            node.put("type", "dead-letter").put("id", d.id()).put("stage", d.stage()).put("reason", d.reason())
                    .put("error", d.exceptionClass()).put("from", d.origin());
        }
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
