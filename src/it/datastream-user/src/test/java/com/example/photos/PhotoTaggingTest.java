package com.example.photos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mlpstream.core.inference.ImageClassifier;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;

/**
 * Runs {@link PhotoTagging} on a local MiniCluster over src/test/photos (five PNG and five JPEG digits, one corrupt
 * file): each photo's label is the model's offline answer for that file, and the corrupt file is a decode failure.
 */
class PhotoTaggingTest {
    private static final Path PHOTOS = Path.of("src/test/photos");
    private static final String CORRUPT = "corrupt.jpg";

    @Test
    void labelsEachPhotoAsTheModelDoesOfflineAndTheCorruptFileFailsAtDecode() throws Exception {
        List<String> expected = new ArrayList<>();
        try (ImageClassifier model = ImageClassifier.open("mixer-digits"); Stream<Path> files = Files.list(PHOTOS)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                expected.add(name + (name.equals(CORRUPT)
                        ? " failed at decode"
                        : " " + model.classify(Files.readAllBytes(file)).topLabel()));
            }
        }
        assertEquals(11, expected.size(), "files in " + PHOTOS);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        PhotoTagging.Tagged tagged = PhotoTagging.tagFolder(env, PHOTOS.toAbsolutePath().toString());
        tagged.predictions().map(p -> p.getElement().fileName() + " " + p.topLabel())
                .union(tagged.failures().map(f -> f.getElement().fileName() + " failed at " + f.getStage()))
                .sinkTo(new CollectingSink());
        env.execute("photo tagging");

        assertEquals(expected.stream().sorted().toList(), CollectingSink.VALUES.stream().sorted().toList());
    }

    /** Keeps what reaches it in this JVM, where the local MiniCluster runs. */
    private static final class CollectingSink implements Sink<String> {
        static final Queue<String> VALUES = new ConcurrentLinkedQueue<>();

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(String value, Context context) {
                    VALUES.add(value);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
