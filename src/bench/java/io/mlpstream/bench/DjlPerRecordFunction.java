package io.mlpstream.bench;

import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.RejectedInputException;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;
import io.mlpstream.job.serde.ImageEventImages;
import io.mlpstream.job.serde.KafkaRecord;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * DJL as its users put it in a Flink job: a process function with a DJL Predictor, one {@code predict} per record on the
 * task thread. Records that are no ImageEvent, or whose image DJL cannot load, become failures for the dead-letter sink.
 */
final class DjlPerRecordFunction extends ProcessFunction<KafkaRecord, Prediction<KafkaRecord>> {
    private static final long serialVersionUID = 1L;

    static final OutputTag<InferenceFailure<KafkaRecord>> FAILURES =
            new OutputTag<>("djl-failures", InferenceFailure.typeInfo(TypeInformation.of(KafkaRecord.class)));

    private final String modelName;
    private final int topK;
    private final ImageEventImages images;
    private transient DjlClassifier classifier;

    DjlPerRecordFunction(String modelName, int topK, ImageEventImages images) {
        this.modelName = modelName;
        this.topK = topK;
        this.images = images;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        classifier = new DjlClassifier(modelName, topK);
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<Prediction<KafkaRecord>> out) {
        long start = System.nanoTime();
        long ingestedAt = BatchInference.nowEpochMicros();
        Image image;
        try {
            image = DjlClassifier.load(images.of(record));
        } catch (RejectedInputException e) {
            ctx.output(FAILURES, InferenceFailure.of(record, e.stage(), e));
            return;
        } catch (Exception e) {
            ctx.output(FAILURES, InferenceFailure.of(record, Stage.DECODE, e));
            return;
        }
        long loaded = System.nanoTime();
        Classifications c;
        try {
            c = classifier.predict(image);
        } catch (Exception e) {
            ctx.output(FAILURES, InferenceFailure.of(record, Stage.INFERENCE, e));
            return;
        }
        long predicted = System.nanoTime();
        out.collect(classifier.prediction(record, c, 1, ingestedAt, (loaded - start) / 1_000, (predicted - loaded) / 1_000,
                BatchInference.nowEpochMicros()));
    }

    @Override
    public void close() throws Exception {
        if (classifier != null) {
            classifier.close();
        }
    }
}
