package io.mlpstream.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.operator.DeadLetter;
import io.mlpstream.operator.TaggedResult;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SerdeTest {

    static ImageEvent event(String id) {
        return ImageEvent.newBuilder()
                .setEventId(id)
                .setSource("cam-1")
                .setCaptureTime(Instant.ofEpochMilli(1_700_000_000_123L))
                .setContentType("image/png")
                .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setModelName(null)
                .setAttributes(Map.of("site", "north"))
                .build();
    }

    @Test
    void imageEventRoundTripsInSingleObjectEncoding() throws Exception {
        byte[] bytes = ImageEventCodec.encode(event("e-1"));
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        ImageEvent back = ImageEventCodec.decode(bytes);
        assertThat(back.getEventId()).isEqualTo("e-1");
        assertThat(back.getCaptureTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(back.getAttributes()).containsEntry("site", "north");
        assertThat(back.getImage().remaining()).isEqualTo(3);
    }

    @Test
    void bytesThatAreNotAnImageEventSayWhy() {
        assertThatThrownBy(() -> ImageEventCodec.decode(new byte[0]))
                .hasMessageContaining("empty record value");
        assertThatThrownBy(() -> ImageEventCodec.decode("{\"json\": true}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ImageEventCodec.UndecodableEventException.class)
                .hasMessageContaining("not Avro single-object encoding");
        byte[] otherSchema = LatencyReportSerializer.encode(LatencyReport.newBuilder()
                .setWindowStart(Instant.EPOCH).setWindowEnd(Instant.EPOCH).setModelName("m").setCount(0).setDeadLetters(0)
                .setThroughputPerSecond(0).setMeanBatchSize(0).setStages(List.of()).build());
        assertThatThrownBy(() -> ImageEventCodec.decode(otherSchema))
                .isInstanceOf(ImageEventCodec.UndecodableEventException.class)
                .hasMessageContaining("Avro of another schema");
        byte[] truncated = ImageEventCodec.encode(event("e-2"));
        byte[] cut = java.util.Arrays.copyOf(truncated, 14);
        assertThatThrownBy(() -> ImageEventCodec.decode(cut)).isInstanceOf(ImageEventCodec.UndecodableEventException.class);
    }

    @Test
    void taggedResultBecomesAKeyedTaggedImage() throws Exception {
        TaggedResult r = new TaggedResult();
        r.eventId = "e-7";
        r.source = "cam";
        r.captureTimeMs = 5;
        r.modelName = "mixer-digits";
        r.modelVersion = "1";
        r.modelSha256 = "ab";
        r.labels = new String[] {"7", "1"};
        r.classIndices = new int[] {7, 1};
        r.scores = new float[] {0.9f, 0.05f};
        r.kafkaToIngestUs = 10;
        r.queueWaitUs = 20;
        r.preprocessUs = 30;
        r.inferenceUs = 40;
        r.endToEndUs = 100;
        r.batchSize = 8;
        r.processedAtMs = 99;
        r.attributes = Map.of("trueLabel", "7");
        ProducerRecord<byte[], byte[]> rec = new TaggedImageSerializer("tags").serialize(r, null, 123L);
        assertThat(rec.topic()).isEqualTo("tags");
        assertThat(new String(rec.key(), StandardCharsets.UTF_8)).isEqualTo("e-7");
        TaggedImage t = TaggedImageSerializer.decode(rec.value());
        assertThat(t.getLabels()).hasSize(2);
        assertThat(t.getLabels().get(0).getLabel()).isEqualTo("7");
        assertThat(t.getLabels().get(0).getScore()).isEqualTo(0.9f);
        assertThat(t.getLatency().getEndToEndUs()).isEqualTo(100);
        assertThat(t.getBatchSize()).isEqualTo(8);
        assertThat(t.getAttributes()).containsEntry("trueLabel", "7");
    }

    @Test
    void deadLettersKeepTheOriginalRecordAndAddConnectStyleHeaders() {
        KafkaRecord origin = new KafkaRecord("images", 2, 41, 1L, "k".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9},
                List.of(new KafkaHeader("trace", "t-1".getBytes(StandardCharsets.UTF_8))));
        DeadLetter d = DeadLetter.of(origin, DeadLetter.STAGE_DECODE, new IllegalArgumentException("x".repeat(10_000)));
        ProducerRecord<byte[], byte[]> rec = new DeadLetterSerializer("dead-letter").serialize(d, null, 5L);
        assertThat(rec.topic()).isEqualTo("dead-letter");
        assertThat(rec.key()).isEqualTo(origin.key);
        assertThat(rec.value()).isEqualTo(origin.value);
        assertThat(header(rec, "trace")).isEqualTo("t-1");
        assertThat(header(rec, DeadLetterSerializer.TOPIC)).isEqualTo("images");
        assertThat(header(rec, DeadLetterSerializer.PARTITION)).isEqualTo("2");
        assertThat(header(rec, DeadLetterSerializer.OFFSET)).isEqualTo("41");
        assertThat(header(rec, DeadLetterSerializer.STAGE)).isEqualTo("decode");
        assertThat(header(rec, DeadLetterSerializer.EXCEPTION_CLASS)).isEqualTo("java.lang.IllegalArgumentException");
        assertThat(header(rec, DeadLetterSerializer.EXCEPTION_MESSAGE)).hasSize(DeadLetterSerializer.MAX_MESSAGE_CHARS + 1);
    }

    @Test
    void kafkaRecordsAreCopiedWithTheirHeaders() throws Exception {
        org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> cr =
                new org.apache.kafka.clients.consumer.ConsumerRecord<>("images", 1, 7L, new byte[] {1}, new byte[] {2});
        cr.headers().add("h", new byte[] {3});
        List<KafkaRecord> out = new java.util.ArrayList<>();
        new KafkaRecordDeserializer().deserialize(cr, new org.apache.flink.api.common.functions.util.ListCollector<>(out));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).coordinates()).isEqualTo("images-1@7");
        assertThat(out.get(0).headers).extracting(h -> h.key).containsExactly("h");
    }

    private static String header(ProducerRecord<byte[], byte[]> rec, String key) {
        Header h = rec.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
