package com.example.photos;

import io.mlpstream.flink.ImageInference;
import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/** A DataStream job that labels every PNG or JPEG file of a folder with a digit model, in micro-batches. */
public final class PhotoTagging {

    /** The job's two outputs: one prediction per photo, or one failure per file that is no image the model takes. */
    public record Tagged(DataStream<Prediction<Photo>> predictions, DataStream<InferenceFailure<Photo>> failures) {}

    private PhotoTagging() {}

    /** Adds the job to {@code env}: every file of {@code folder} comes out once, as a prediction or a failure. */
    public static Tagged tagFolder(StreamExecutionEnvironment env, String folder) {
        FileSource<Photo> files = FileSource.forBulkFileFormat(new PhotoFormat(), new Path(folder)).build();
        DataStream<Photo> photos = env.fromSource(files, WatermarkStrategy.noWatermarks(), "photos");

        ImageInference<Photo> inference = ImageInference.<Photo>builder()
                .modelName("mixer-digits")
                .imageBytes(Photo::getBytes)
                .batching(32, Duration.ofMillis(20))
                .build();
        SingleOutputStreamOperator<Prediction<Photo>> predictions = inference.apply(photos);
        DataStream<InferenceFailure<Photo>> failures = predictions.getSideOutput(inference.failures());
        return new Tagged(predictions, failures);
    }

    /** {@code flink run photo-tagging.jar <folder>}: prints one line per file, its label or where and why it failed. */
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(10_000);
        Tagged tagged = tagFolder(env, args[0]);
        tagged.predictions().map(p -> p.getElement().fileName() + " " + p.topLabel()).print();
        tagged.failures().map(f -> f.getElement().fileName() + " failed at " + f.getStage() + ": " + f.getMessage())
                .print();
        env.execute("photo tagging");
    }
}
