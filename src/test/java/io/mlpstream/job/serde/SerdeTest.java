package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.avro.LatencyReport;
import io.mlpstream.avro.TaggedImage;
import io.mlpstream.core.inference.RejectedInputException;
import io.mlpstream.core.inference.Stage;
import io.mlpstream.flink.InferenceFailure;
import io.mlpstream.flink.Prediction;

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
    static final ImageEventCodec OURS = ImageEventCodec.ours();

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
        ImageEvent back = OURS.decode(bytes);
        assertThat(back.getEventId()).isEqualTo("e-1");
        assertThat(back.getCaptureTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(back.getAttributes()).containsEntry("site", "north");
        assertThat(back.getImage().remaining()).isEqualTo(3);
    }

    @Test
    void bytesThatAreNotAnImageEventSayWhy() {
        assertThatThrownBy(() -> OURS.decode(new byte[0]))
                .hasMessageContaining("empty record value");
        assertThatThrownBy(() -> OURS.decode("{\"json\": true}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ImageEventCodec.UndecodableEventException.class)
                .hasMessageContaining("not Avro single-object encoding");
        byte[] otherSchema = LatencyReportSerializer.encode(LatencyReport.newBuilder()
                .setWindowStart(Instant.EPOCH).setWindowEnd(Instant.EPOCH).setModelName("m").setCount(0).setDeadLetters(0)
                .setThroughputPerSecond(0).setMeanBatchSize(0).setStages(List.of()).build());
        assertThatThrownBy(() -> OURS.decode(otherSchema))
                .isInstanceOf(ImageEventCodec.UndecodableEventException.class)
                .hasMessageContaining("Avro of another schema");
        byte[] truncated = ImageEventCodec.encode(event("e-2"));
        byte[] cut = java.util.Arrays.copyOf(truncated, 14);
        assertThatThrownBy(() -> OURS.decode(cut)).isInstanceOf(ImageEventCodec.UndecodableEventException.class);
    }

    @Test
    void aPredictionBecomesAKeyedTaggedImageWithTheEventsFieldsAndLatenciesFromTheKafkaTimestamp() throws Exception {
        ImageEvent e = event("e-7");
        e.setAttributes(Map.of("trueLabel", "7"));
        KafkaRecord record = new KafkaRecord("images", 0, 3, 1_000L, null, ImageEventCodec.encode(e), List.of());
        Prediction<KafkaRecord> p = new Prediction<>();
        p.setElement(record);
        p.setModelName("mixer-digits");
        p.setModelVersion("1");
        p.setModelSha256("ab");
        p.setLabels(new String[] {"7", "1"});
        p.setClassIndices(new int[] {7, 1});
        p.setScores(new float[] {0.9f, 0.05f});
        p.setQueueWaitUs(20);
        p.setPreprocessUs(30);
        p.setInferenceUs(40);
        p.setIngestedAtUs(1_000_010L);
        p.setCompletedAtUs(1_000_100L);
        p.setBatchSize(8);
        ProducerRecord<byte[], byte[]> rec = new TaggedImageSerializer("tags", OURS, 1_048_588).serialize(p, null, 123L);
        assertThat(rec.topic()).isEqualTo("tags");
        assertThat(new String(rec.key(), StandardCharsets.UTF_8)).isEqualTo("e-7");
        TaggedImage t = TaggedImageSerializer.decode(rec.value());
        assertThat(t.getEventId()).isEqualTo("e-7");
        assertThat(t.getSource()).isEqualTo("cam-1");
        assertThat(t.getCaptureTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(t.getLabels()).hasSize(2);
        assertThat(t.getLabels().get(0).getLabel()).isEqualTo("7");
        assertThat(t.getLabels().get(0).getScore()).isEqualTo(0.9f);
        assertThat(t.getLatency().getKafkaToIngestUs()).isEqualTo(10);
        assertThat(t.getLatency().getEndToEndUs()).isEqualTo(100);
        assertThat(t.getLatency().getInferenceUs()).isEqualTo(40);
        assertThat(t.getBatchSize()).isEqualTo(8);
        assertThat(t.getProcessedAt()).isEqualTo(Instant.ofEpochMilli(1_000L));
        assertThat(t.getAttributes()).containsEntry("trueLabel", "7");
        assertThat(t.getModelSha256()).isEqualTo("ab");
    }

    @Test
    void theImageOfARecordIsItsEventsImageAndBadRecordsAreRefusedWithTheirStage() throws Exception {
        ImageEventImages images = new ImageEventImages("mixer-digits");
        KafkaRecord good = new KafkaRecord("images", 0, 1, 1L, null, ImageEventCodec.encode(event("e-1")), List.of());
        assertThat(images.of(good)).containsExactly(1, 2, 3);
        KafkaRecord garbage = new KafkaRecord("images", 0, 2, 1L, null, new byte[] {1, 2}, List.of());
        assertThatThrownBy(() -> images.of(garbage)).isInstanceOf(RejectedInputException.class)
                .satisfies(x -> assertThat(((RejectedInputException) x).stage()).isEqualTo(ImageEventImages.STAGE_DESERIALIZE));
        ImageEvent other = event("e-3");
        other.setModelName("resnet50");
        KafkaRecord elsewhere = new KafkaRecord("images", 0, 3, 1L, null, ImageEventCodec.encode(other), List.of());
        assertThatThrownBy(() -> images.of(elsewhere)).isInstanceOf(RejectedInputException.class)
                .hasMessageContaining("asks for model 'resnet50' but this job serves 'mixer-digits'")
                .satisfies(x -> assertThat(((RejectedInputException) x).stage()).isEqualTo(ImageEventImages.STAGE_VALIDATE));
    }

    @Test
    void deadLettersKeepTheOriginalRecordAndAddConnectStyleHeaders() {
        KafkaRecord origin = new KafkaRecord("images", 2, 41, 1L, "k".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9},
                List.of(new KafkaHeader("trace", "t-1".getBytes(StandardCharsets.UTF_8))));
        InferenceFailure<KafkaRecord> d = InferenceFailure.of(origin, Stage.DECODE, new IllegalArgumentException("x".repeat(10_000)));
        ProducerRecord<byte[], byte[]> rec = new DeadLetterSerializer("dead-letter", 1_048_588).serialize(d, null, 5L);
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
