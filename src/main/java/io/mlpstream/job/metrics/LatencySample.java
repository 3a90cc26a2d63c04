package io.mlpstream.job.metrics;

import io.mlpstream.flink.Prediction;
import io.mlpstream.job.serde.KafkaRecord;

/**
 * One outcome's latencies (µs) on its way to the metrics window: what the window needs of a result, without the record.
 * A failure carries none, only that it happened. Flink POJO.
 */
public class LatencySample {
    public boolean failed;
    public long kafkaToIngestUs;
    public long queueWaitUs;
    public long preprocessUs;
    public long inferenceUs;
    public long endToEndUs;
    public int batchSize;
    /** When the outcome was decided, epoch ms: the window's event time. */
    public long decidedAtMs;

    public LatencySample() {}

    public static LatencySample of(Prediction<KafkaRecord> p) {
        LatencySample s = new LatencySample();
        long kafkaMicros = p.getElement().timestamp * 1_000L;
        s.kafkaToIngestUs = p.getIngestedAtUs() - kafkaMicros;
        s.queueWaitUs = p.getQueueWaitUs();
        s.preprocessUs = p.getPreprocessUs();
        s.inferenceUs = p.getInferenceUs();
        s.endToEndUs = p.getCompletedAtUs() - kafkaMicros;
        s.batchSize = p.getBatchSize();
        s.decidedAtMs = p.getCompletedAtUs() / 1_000;
        return s;
    }

    public static LatencySample failure(long failedAtMs) {
        LatencySample s = new LatencySample();
        s.failed = true;
        s.decidedAtMs = failedAtMs;
        return s;
    }
}
