package io.mlpstream.bench;

import io.mlpstream.image.ImageDecoder;
import io.mlpstream.image.ImageGuard;
import io.mlpstream.image.Preprocessor;
import io.mlpstream.model.LoadedModel;
import io.mlpstream.model.ModelSource;
import io.mlpstream.model.SharedSessions;
import io.mlpstream.operator.BatchInference;
import io.mlpstream.operator.BatchItem;
import io.mlpstream.operator.InferenceSettings;
import io.mlpstream.operator.Outcome;
import io.mlpstream.serde.KafkaRecord;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

import java.util.List;

/**
 * The job users would write themselves: one model run per record, synchronously, in a map function.
 * Same decode, preprocessing, session and postprocessing as the pipeline — only batching and async
 * are missing — so the comparison isolates what they buy.
 */
final class NaivePerRecordFunction extends RichMapFunction<KafkaRecord, Outcome> {
    private static final long serialVersionUID = 1L;

    private final InferenceSettings settings;
    private transient SharedSessions.Lease lease;
    private transient BatchInference inference;

    NaivePerRecordFunction(InferenceSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext context) {
        LoadedModel model = ModelSource.load(settings.model());
        lease = SharedSessions.acquire(model, settings.device(), settings.intraOpThreads());
        inference = new BatchInference(lease.runner(), new ImageDecoder(new ImageGuard(settings.maxImagePixels()), settings.jpegDecoding()),
                new Preprocessor(model.card().preprocessSpec()), settings.topK(), 1, BatchInference::nowEpochMicros);
    }

    @Override
    public Outcome map(KafkaRecord record) {
        return inference.process(List.of(new BatchItem(record, System.nanoTime(), BatchInference.nowEpochMicros())))[0];
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}
