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
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.GlobalWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;

/**
 * DJL batched as its users would batch in Flink: a keyed count window (fired at its size or on a processing-time
 * timeout) whose function loads every image with DJL and runs them all in one {@code batchPredict}. A record that is no
 * ImageEvent or no loadable image fails alone; a failed batch fails its records.
 */
final class DjlWindowFunction extends ProcessWindowFunction<KafkaRecord, Prediction<KafkaRecord>, Integer, GlobalWindow> {
    private static final long serialVersionUID = 1L;

    static final OutputTag<InferenceFailure<KafkaRecord>> FAILURES =
            new OutputTag<>("djl-batch-failures", InferenceFailure.typeInfo(TypeInformation.of(KafkaRecord.class)));

    private final String modelName;
    private final int topK;
    private final ImageEventImages images;
    private transient DjlClassifier classifier;

    DjlWindowFunction(String modelName, int topK, ImageEventImages images) {
        this.modelName = modelName;
        this.topK = topK;
        this.images = images;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        classifier = new DjlClassifier(modelName, topK);
    }

    @Override
    public void process(Integer key, Context ctx, Iterable<KafkaRecord> elements, Collector<Prediction<KafkaRecord>> out) {
        long start = System.nanoTime();
        long firedAt = BatchInference.nowEpochMicros();
        List<KafkaRecord> records = new ArrayList<>();
        List<Image> loaded = new ArrayList<>();
        for (KafkaRecord record : elements) {
            try {
                loaded.add(DjlClassifier.load(images.of(record)));
                records.add(record);
            } catch (RejectedInputException e) {
                ctx.output(FAILURES, InferenceFailure.of(record, e.stage(), e));
            } catch (Exception e) {
                ctx.output(FAILURES, InferenceFailure.of(record, Stage.DECODE, e));
            }
        }
        if (records.isEmpty()) {
            return;
        }
        long loadedAt = System.nanoTime();
        List<Classifications> results;
        try {
            results = classifier.batchPredict(loaded);
        } catch (Exception e) {
            for (KafkaRecord record : records) {
                ctx.output(FAILURES, InferenceFailure.of(record, Stage.INFERENCE, e));
            }
            return;
        }
        long predicted = System.nanoTime();
        long completedAt = BatchInference.nowEpochMicros();
        for (int i = 0; i < records.size(); i++) {
            out.collect(classifier.prediction(records.get(i), results.get(i), records.size(), firedAt, (loadedAt - start) / 1_000,
                    (predicted - loadedAt) / 1_000, completedAt));
        }
    }

    @Override
    public void close() throws Exception {
        if (classifier != null) {
            classifier.close();
        }
    }
}
