package io.mlpstream.bench;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageGuard;
import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.BatchItem;
import io.mlpstream.core.inference.Classification;
import io.mlpstream.core.inference.ImageTranslator;
import io.mlpstream.core.model.LoadedModel;
import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.core.model.SharedSessions;
import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.InferenceSettings;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.InferenceJob;
import io.mlpstream.job.serde.ImageEventImages;
import io.mlpstream.job.serde.KafkaRecord;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.List;

/**
 * The job users would write themselves: one model run per record, synchronously, in a process function. Same decode,
 * preprocessing, session and postprocessing as the pipeline — only batching and async are missing — so the comparison
 * isolates what they buy.
 */
final class NaivePerRecordFunction extends ProcessFunction<KafkaRecord, Prediction<KafkaRecord>> {
    private static final long serialVersionUID = 1L;

    static final OutputTag<InferenceFailure<KafkaRecord>> FAILURES =
            new OutputTag<>("naive-failures", InferenceFailure.typeInfo(TypeInformation.of(KafkaRecord.class)));

    /** The naive job's inference stage: this function in a map-like operator. */
    static final InferenceJob.InferenceStage STAGE = (records, spec, images) -> {
        SingleOutputStreamOperator<Prediction<KafkaRecord>> predictions = records
                .process(new NaivePerRecordFunction(spec.inference(), images), Prediction.typeInfo(records.getType()))
                .name("per-record map");
        return new InferenceJob.Inferred(predictions, predictions.getSideOutput(FAILURES));
    };

    private final InferenceSettings settings;
    private final ImageEventImages images;
    private transient SharedSessions.Lease lease;
    private transient BatchInference<KafkaRecord> inference;
    private transient ModelCard card;

    NaivePerRecordFunction(InferenceSettings settings, ImageEventImages images) {
        this.settings = settings;
        this.images = images;
    }

    @Override
    public void open(OpenContext context) {
        LoadedModel model = ModelSource.load(settings.modelName());
        card = model.card();
        lease = SharedSessions.acquire(model, settings.modelDevice(), settings.modelIntraOpThreads());
        inference = new BatchInference<>(lease.runner(), new ImageTranslator(card,
                new ImageDecoder(new ImageGuard(settings.imageMaxPixels()), settings.imageJpegDecoder()), settings.outputTopK()),
                images, 1, BatchInference::nowEpochMicros);
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<Prediction<KafkaRecord>> out) {
        BatchItem<KafkaRecord> item = new BatchItem<>(record, System.nanoTime(), BatchInference.nowEpochMicros());
        inference.infer(inference.prepare(List.of(item)), new BatchInference.Outcomes() {
            @Override
            public void classified(int index, Classification c, BatchInference.Timings t) {
                out.collect(Prediction.of(record, card, c, t, item.ingestedAtMicros()));
            }

            @Override
            public void failed(int index, String stage, Throwable error) {
                ctx.output(FAILURES, InferenceFailure.of(record, stage, error));
            }
        });
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}
