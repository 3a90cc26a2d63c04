package io.mlpstream.flink;

import io.mlpstream.core.inference.BatchInference;
import io.mlpstream.core.inference.Classification;
import io.mlpstream.core.model.ModelCard;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model's answer for one element: the element itself, the best labels with their scores (best first), which model
 * answered, and where the time went. A Flink POJO whose element field has the input stream's type ({@link
 * #typeInfo}).
 *
 * <p>Times are in microseconds. {@code ingestedAtUs} and {@code completedAtUs} are wall-clock epoch times (when the
 * element reached the operator, and when its batch's results were ready); {@code queueWaitUs} is the element's own wait
 * in the batcher and for a model slot; {@code preprocessUs} and {@code inferenceUs} are its batch's (decoding and
 * preprocessing all of the batch's images, and the one model run), shared by every element of the batch.
 */
public class Prediction<T> {
    private T element;
    private String modelName;
    private String modelVersion;
    private String modelSha256;
    private String[] labels;
    private int[] classIndices;
    private float[] scores;
    private int batchSize;
    private long queueWaitUs;
    private long preprocessUs;
    private long inferenceUs;
    private long ingestedAtUs;
    private long completedAtUs;

    public Prediction() {}

    /**
     * What the model {@code card} describes said of {@code element}: {@code c}'s labels, class indices and scores, and
     * the timings of its run ({@code t}'s nanoseconds as microseconds); {@code ingestedAtUs} is when the element reached
     * the operator (epoch µs).
     */
    public static <T> Prediction<T> of(T element, ModelCard card, Classification c, BatchInference.Timings t, long ingestedAtUs) {
        Prediction<T> p = new Prediction<>();
        p.setElement(element);
        p.setModelName(card.name());
        p.setModelVersion(card.versionOrDefault());
        p.setModelSha256(card.sha256());
        p.setLabels(c.labels());
        p.setClassIndices(c.classIndices());
        p.setScores(c.scores());
        p.setBatchSize(t.batchSize());
        p.setQueueWaitUs(t.queueWaitNanos() / 1_000);
        p.setPreprocessUs(t.preprocessNanos() / 1_000);
        p.setInferenceUs(t.inferenceNanos() / 1_000);
        p.setIngestedAtUs(ingestedAtUs);
        p.setCompletedAtUs(t.completedAtMicros());
        return p;
    }

    /** The Flink type of a prediction about elements of {@code elementType}. */
    public static <T> TypeInformation<Prediction<T>> typeInfo(TypeInformation<T> elementType) {
        Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
        fields.put("element", elementType);
        fields.put("modelName", Types.STRING);
        fields.put("modelVersion", Types.STRING);
        fields.put("modelSha256", Types.STRING);
        fields.put("labels", Types.OBJECT_ARRAY(Types.STRING));
        fields.put("classIndices", Types.PRIMITIVE_ARRAY(Types.INT));
        fields.put("scores", Types.PRIMITIVE_ARRAY(Types.FLOAT));
        fields.put("batchSize", Types.INT);
        fields.put("queueWaitUs", Types.LONG);
        fields.put("preprocessUs", Types.LONG);
        fields.put("inferenceUs", Types.LONG);
        fields.put("ingestedAtUs", Types.LONG);
        fields.put("completedAtUs", Types.LONG);
        @SuppressWarnings({"unchecked", "rawtypes"})
        TypeInformation<Prediction<T>> type = (TypeInformation) Types.POJO(Prediction.class, fields);
        return type;
    }

    /** The best label. */
    public String topLabel() {
        return labels[0];
    }

    /** The best label's score. */
    public float topScore() {
        return scores[0];
    }

    /** From reaching the operator to the result being ready, in microseconds. */
    public long operatorLatencyUs() {
        return completedAtUs - ingestedAtUs;
    }

    public T getElement() {
        return element;
    }

    public void setElement(T element) {
        this.element = element;
    }

    public String getModelName() {
        return modelName;
    }

    public void setModelName(String modelName) {
        this.modelName = modelName;
    }

    public String getModelVersion() {
        return modelVersion;
    }

    public void setModelVersion(String modelVersion) {
        this.modelVersion = modelVersion;
    }

    public String getModelSha256() {
        return modelSha256;
    }

    public void setModelSha256(String modelSha256) {
        this.modelSha256 = modelSha256;
    }

    /** Labels, best first. */
    public String[] getLabels() {
        return labels;
    }

    public void setLabels(String[] labels) {
        this.labels = labels;
    }

    /** Each label's row in the model's output. */
    public int[] getClassIndices() {
        return classIndices;
    }

    public void setClassIndices(int[] classIndices) {
        this.classIndices = classIndices;
    }

    /** Each label's score: softmax probability, or the model's own probability when its card says so. */
    public float[] getScores() {
        return scores;
    }

    public void setScores(float[] scores) {
        this.scores = scores;
    }

    /** Images in the model run that classified this element. */
    public int getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    public long getQueueWaitUs() {
        return queueWaitUs;
    }

    public void setQueueWaitUs(long queueWaitUs) {
        this.queueWaitUs = queueWaitUs;
    }

    public long getPreprocessUs() {
        return preprocessUs;
    }

    public void setPreprocessUs(long preprocessUs) {
        this.preprocessUs = preprocessUs;
    }

    public long getInferenceUs() {
        return inferenceUs;
    }

    public void setInferenceUs(long inferenceUs) {
        this.inferenceUs = inferenceUs;
    }

    public long getIngestedAtUs() {
        return ingestedAtUs;
    }

    public void setIngestedAtUs(long ingestedAtUs) {
        this.ingestedAtUs = ingestedAtUs;
    }

    public long getCompletedAtUs() {
        return completedAtUs;
    }

    public void setCompletedAtUs(long completedAtUs) {
        this.completedAtUs = completedAtUs;
    }

    @Override
    public String toString() {
        return "Prediction{" + element + " -> " + (labels == null ? "[]" : Arrays.toString(labels)) + " by " + modelName + "}";
    }
}
