package io.mlpstream.testutils;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the job ITCases share: the job's topics, its options for a bounded or an unbounded run, the digit events they
 * feed it and the ids those events get. The options are plain key/value pairs, as a user gives them with
 * {@code --set}; a test adds or overrides its own.
 */
public final class JobFixtures {
    public static final String INPUT = "images";
    public static final String RESULTS = "tags";
    public static final String DEAD = "dead-letter";
    public static final String METRICS = "inference-metrics";
    /** The job's four topics, for {@link KafkaBrokerExtension#withTopics}. */
    public static final String[] TOPICS = {INPUT, RESULTS, DEAD, METRICS};

    private JobFixtures() {}

    /** Event count from {@code -Dmlpstream.events=N}, else the CI default. */
    public static int events(int ciDefault) {
        return Integer.getInteger("mlpstream.events", ciDefault);
    }

    /**
     * Options of a bounded job: it reads from the earliest offset to the input's end offsets at start, on two
     * subtasks, checkpointing every 500 ms, with a transactional-id prefix of its own ({@code name}-nanotime).
     */
    public static Map<String, String> boundedJob(String bootstrapServers, String name) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kafka.bootstrap-servers", bootstrapServers);
        o.put("kafka.bounded", "true");
        o.put("kafka.starting-offsets", "earliest");
        o.put("kafka.transaction-timeout", "60 s");
        o.put("kafka.transactional-id-prefix", name + "-" + System.nanoTime());
        o.put("job.parallelism", "2");
        o.put("job.checkpoint-interval", "500 ms");
        return o;
    }

    /**
     * Options of an unbounded job reading from the earliest offset, checkpointing every second, with
     * a transactional-id prefix and group id of its own.
     */
    public static Map<String, String> unboundedJob(String bootstrapServers, String name) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kafka.bootstrap-servers", bootstrapServers);
        o.put("kafka.starting-offsets", "earliest");
        o.put("kafka.group-id", name);
        o.put("kafka.transactional-id-prefix", name + "-" + System.nanoTime());
        o.put("kafka.transaction-timeout", "60 s");
        o.put("job.checkpoint-interval", "1 s");
        o.put("batch.max-size", "16");
        o.put("batch.max-delay", "20 ms");
        o.put("metrics.window", "1 s");
        o.put("model.device", "cpu");
        return o;
    }

    /** Ids of the first {@code n} events of a {@link DigitEventProducer} (its documented id scheme). */
    public static List<String> digitEventIds(int n, DigitsDataset dataset) {
        List<String> ids = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            ids.add("digit-" + k / dataset.size() + "-" + k % dataset.size());
        }
        return ids;
    }

    /** Starts producing {@code events} digit events into {@link #INPUT}, {@code perSecond} a second. */
    public static DigitEventProducer startProducer(String bootstrapServers, DigitsDataset dataset, int events, double perSecond) {
        return DigitEventProducer.builder()
                .bootstrapServers(bootstrapServers)
                .topic(INPUT)
                .dataset(dataset)
                .numEvents(events)
                .eventsPerSecond(perSecond)
                .build()
                .start();
    }
}
