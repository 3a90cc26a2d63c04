package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.inference.RejectedInputException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The image inside a Kafka record of the input topic: decodes the Avro {@code ImageEvent} (on a batch worker, not on the
 * task thread) and checks it asks for the model this job serves and that its result can be written. Bytes that are no
 * {@code ImageEvent} of a schema the codec reads fail at stage {@value #STAGE_DESERIALIZE}; an event for another model,
 * or one whose {@code eventId} and {@code source} would not fit the results topic, at {@value #STAGE_VALIDATE}.
 */
public final class ImageEventImages implements ImageBytes<KafkaRecord> {
    private static final long serialVersionUID = 1L;

    public static final String STAGE_DESERIALIZE = "deserialize";
    public static final String STAGE_VALIDATE = "validate";

    private final String modelName;
    private final ImageEventCodec codec;
    private final int maxIdentityBytes;

    /**
     * @param modelName         the name on the served model's card, which an event's {@code modelName} must equal if set
     * @param codec             reads the writer schemas the input topic may carry
     * @param maxResultBytes    the largest record the results topic accepts
     */
    public ImageEventImages(String modelName, ImageEventCodec codec, int maxResultBytes) {
        this.modelName = modelName;
        this.codec = codec;
        this.maxIdentityBytes = TaggedImageSerializer.maxIdentityBytes(maxResultBytes);
    }

    /** Our own schemas and no results topic to fit (benchmarks and tests of the operator alone). */
    public ImageEventImages(String modelName) {
        this(modelName, ImageEventCodec.ours(), Integer.MAX_VALUE);
    }

    @Override
    public byte[] of(KafkaRecord record) throws RejectedInputException {
        ImageEvent event;
        try {
            event = codec.decode(record.value);
        } catch (ImageEventCodec.UndecodableEventException e) {
            throw new RejectedInputException(STAGE_DESERIALIZE, e.getMessage(), e);
        }
        String asked = event.getModelName();
        if (asked != null && !asked.isEmpty() && !asked.equals(modelName)) {
            throw new RejectedInputException(STAGE_VALIDATE, "event " + event.getEventId() + " asks for model '" + asked
                    + "' but this job serves '" + modelName + "'; route it to a job serving that model or leave modelName empty");
        }
        long identity = 3L * (event.getEventId().length() + event.getSource().length()); // UTF-8 at most, no copy
        if (identity > maxIdentityBytes
                && (identity = utf8Length(event.getEventId()) + utf8Length(event.getSource())) > maxIdentityBytes) {
            throw new RejectedInputException(STAGE_VALIDATE, "eventId and source take " + identity + " bytes, more than the "
                    + maxIdentityBytes + " a result may spend on them (a quarter of what the results topic accepts); "
                    + "shorten them");
        }
        return bytesOf(event.getImage());
    }

    private static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static byte[] bytesOf(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }
}
