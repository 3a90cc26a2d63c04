package io.mlpstream.demo;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.testutils.DigitsFiles;
import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DigitEventProducerTest {

    private final DigitsDataset dataset = DigitsFiles.synthetic(10, 8, 8, 7);

    @Test
    void producesEventsCyclingThroughTheDataset() throws Exception {
        MockProducer<String, byte[]> mock = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        AtomicReference<Properties> seenProps = new AtomicReference<>();
        Instant before = Instant.now();
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .topic("images")
                .dataset(dataset)
                .numEvents(25)
                .producerProperty("linger.ms", "1")
                .producerFactory(props -> {
                    seenProps.set(props);
                    return mock;
                })
                .build()
                .start()) {
            assertThat(producer.awaitCompletion(Duration.ofSeconds(30))).isTrue();
            DigitEventProducer.Progress progress = producer.progress();
            assertThat(progress.sent()).isEqualTo(25);
            assertThat(progress.acked()).isEqualTo(25);
            assertThat(progress.failed()).isZero();
            assertThat(progress.finished()).isTrue();
            assertThat(progress.firstError()).isNull();
        }
        assertThat(mock.closed()).isTrue();
        assertThat(seenProps.get())
                .containsEntry("enable.idempotence", "true")
                .containsEntry("acks", "all")
                .containsEntry("linger.ms", "1");

        List<ProducerRecord<String, byte[]>> history = mock.history();
        assertThat(history).hasSize(25);
        for (int k = 0; k < history.size(); k++) {
            ProducerRecord<String, byte[]> record = history.get(k);
            int index = k % 10;
            ImageEvent event = ImageEvent.fromByteBuffer(ByteBuffer.wrap(record.value()));
            assertThat(record.topic()).isEqualTo("images");
            assertThat(record.key()).isEqualTo(event.getEventId()).isEqualTo("digit-" + (k / 10) + "-" + index);
            assertThat(event.getSource()).isEqualTo(DigitEventProducer.SOURCE);
            assertThat(event.getContentType()).isEqualTo("image/png");
            assertThat(event.getModelName()).isNull();
            assertThat(event.getCaptureTime()).isBetween(before.minusMillis(1), Instant.now());
            assertThat(event.getAttributes()).isEqualTo(Map.of(
                    "trueLabel", String.valueOf(dataset.label(index)),
                    "datasetIndex", String.valueOf(index)));
            assertThat(bytes(event.getImage())).isEqualTo(dataset.png(index));
        }
    }

    /** Two runs with their own prefixes never share an id (their results would collide in the results topic). */
    @Test
    void anIdPrefixGivesEachRunItsOwnIds() throws Exception {
        MockProducer<String, byte[]> mock = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .topic("images").dataset(dataset).numEvents(12).idPrefix("run2")
                .producerFactory(props -> mock)
                .build()
                .start()) {
            assertThat(producer.awaitCompletion(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(mock.history()).extracting(ProducerRecord::key)
                .containsExactly("run2-0-0", "run2-0-1", "run2-0-2", "run2-0-3", "run2-0-4", "run2-0-5", "run2-0-6",
                        "run2-0-7", "run2-0-8", "run2-0-9", "run2-1-0", "run2-1-1");
        assertThatThrownBy(() -> DigitEventProducer.builder().bootstrapServers("h:1").topic("t").dataset(dataset)
                .numEvents(1).idPrefix("").build()).hasMessageContaining("id prefix");
    }

    @Test
    void closeStopsAnEndlessProducer() throws Exception {
        MockProducer<String, byte[]> mock = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        DigitEventProducer producer = DigitEventProducer.builder()
                .topic("images").dataset(dataset).numEvents(Long.MAX_VALUE).eventsPerSecond(200)
                .producerFactory(props -> mock)
                .build()
                .start();
        CommonTestUtils.waitUtil(() -> producer.progress().acked() >= 10, Duration.ofSeconds(60), Duration.ofMillis(10),
                "the endless producer did not get 10 events acknowledged within 60 s: " + producer.progress());
        producer.close();
        assertThat(producer.awaitCompletion(Duration.ZERO)).isTrue();
        assertThat(mock.closed()).isTrue();
        long sent = producer.progress().sent();
        assertThat(sent).isGreaterThanOrEqualTo(10).isLessThan(Long.MAX_VALUE);
        assertThat(producer.progress().acked()).isEqualTo(sent);
    }

    @Test
    void builderExplainsWhatIsMissing() {
        assertThatThrownBy(() -> DigitEventProducer.builder().topic("t").dataset(dataset).numEvents(1).build())
                .hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> DigitEventProducer.builder().bootstrapServers("h:1").dataset(dataset).numEvents(1).build())
                .hasMessageContaining("topic");
        assertThatThrownBy(() -> DigitEventProducer.builder().bootstrapServers("h:1").topic("t").dataset(dataset).build())
                .hasMessageContaining("numEvents");
        assertThatThrownBy(() -> DigitEventProducer.builder().bootstrapServers("h:1").topic("t").dataset(dataset)
                .numEvents(1).eventsPerSecond(-5).build())
                .hasMessageContaining("-5");
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
