package io.mlpstream.flink;


import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

import javax.annotation.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What became of one element in the async operator: exactly one of a prediction and a failure. A Flink POJO, so public;
 * not part of the API ({@link ImageInference#apply} splits it into predictions and failures).
 */
@Internal
public class Outcome<T> {
    @Nullable public Prediction<T> prediction;
    @Nullable public InferenceFailure<T> failure;

    public Outcome() {}

    public static <T> Outcome<T> of(Prediction<T> prediction) {
        Outcome<T> o = new Outcome<>();
        o.prediction = prediction;
        return o;
    }

    public static <T> Outcome<T> of(InferenceFailure<T> failure) {
        Outcome<T> o = new Outcome<>();
        o.failure = failure;
        return o;
    }

    /** The Flink type of outcomes for elements of {@code elementType}. */
    public static <T> TypeInformation<Outcome<T>> typeInfo(TypeInformation<T> elementType) {
        Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
        fields.put("prediction", Prediction.typeInfo(elementType));
        fields.put("failure", InferenceFailure.typeInfo(elementType));
        @SuppressWarnings({"unchecked", "rawtypes"})
        TypeInformation<Outcome<T>> type = (TypeInformation) Types.POJO(Outcome.class, fields);
        return type;
    }

    @Override
    public String toString() {
        return prediction != null ? String.valueOf(prediction) : String.valueOf(failure);
    }
}
