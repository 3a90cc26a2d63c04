package io.mlpstream.demo;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.testutils.DigitsFiles;
import io.mlpstream.testutils.KafkaBrokerExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.mlpstream.testutils.KafkaTestUtils.assertNoKafkaClientThreadsLeft;
import static io.mlpstream.testutils.KafkaTestUtils.drainAllRecordsFromTopic;
import static org.assertj.core.api.Assertions.assertThat;

class DigitEventProducerITCase {

    private static final int EVENTS = 500;
    private static final double RATE = 1000;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withoutTopics();

    @Test
    void producesDecodableDigitEventsAtTheRequestedRate() throws Exception {
        KAFKA.createTopics(3, "digits");
        DigitsDataset dataset = DigitsFiles.synthetic(37, 28, 28, 1); // 500 events = 13.5 passes

        DigitEventProducer.Progress progress;
        try (DigitEventProducer producer = DigitEventProducer.builder()
                .bootstrapServers(KAFKA.bootstrapServers())
                .topic("digits")
                .dataset(dataset)
                .numEvents(EVENTS)
                .eventsPerSecond(RATE)
                .build()
                .start()) {
            assertThat(producer.awaitCompletion(Duration.ofSeconds(60))).isTrue();
            progress = producer.progress();
        }
        System.out.printf("DigitEventProducer: %s (target %.0f/s)%n", progress, RATE);
        assertThat(progress.sent()).isEqualTo(EVENTS);
        assertThat(progress.acked()).isEqualTo(EVENTS);
        assertThat(progress.failed()).isZero();
        assertThat(progress.firstError()).isNull();
        // the limiter never runs ahead of its schedule: event k goes out no earlier than k/RATE s
        assertThat(progress.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis((long) ((EVENTS - 1) * 1000 / RATE)));
        assertNoKafkaClientThreadsLeft();

        List<ConsumerRecord<byte[], byte[]>> records = drainAllRecordsFromTopic(KAFKA.bootstrapServers(), "digits", true);
        assertThat(records).hasSize(EVENTS);
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ImageEvent event = ImageEvent.fromByteBuffer(ByteBuffer.wrap(record.value()));
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(event.getEventId());
            int index = Integer.parseInt(event.getAttributes().get(DigitEventProducer.DATASET_INDEX_ATTRIBUTE));
            assertThat(event.getEventId()).endsWith("-" + index);
            assertThat(event.getAttributes().get(DigitEventProducer.TRUE_LABEL_ATTRIBUTE))
                    .isEqualTo(String.valueOf(dataset.label(index)));
            ByteBuffer image = event.getImage();
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(image.array(),
                    image.arrayOffset() + image.position(), image.remaining()));
            assertThat((byte[]) png.getRaster().getDataElements(0, 0, 28, 28, null)).isEqualTo(dataset.pixels(index));
            ids.add(event.getEventId());
        }
        assertThat(ids).hasSize(EVENTS).contains("digit-0-0", "digit-13-18"); // 499 = 13 * 37 + 18
        assertNoKafkaClientThreadsLeft();
    }
}
