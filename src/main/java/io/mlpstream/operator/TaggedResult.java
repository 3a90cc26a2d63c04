package io.mlpstream.operator;

import java.util.HashMap;
import java.util.Map;

/** The labels of one image plus where its time went. Becomes an Avro TaggedImage at the sink. Flink POJO. */
public class TaggedResult {
    public String eventId;
    public String source;
    public long captureTimeMs;
    public String modelName;
    public String modelVersion;
    public String modelSha256;
    /** Top-k, best first. */
    public String[] labels;
    public int[] classIndices;
    public float[] scores;
    public long kafkaToIngestUs;
    public long queueWaitUs;
    public long preprocessUs;
    public long inferenceUs;
    public long endToEndUs;
    public int batchSize;
    public long processedAtMs;
    public Map<String, String> attributes = new HashMap<>();
    public String inputTopic;
    public int inputPartition;
    public long inputOffset;

    public TaggedResult() {}

    public String topLabel() {
        return labels.length == 0 ? null : labels[0];
    }
}
