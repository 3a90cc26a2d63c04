package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.core.inference.ImageBytes;
import io.mlpstream.core.inference.RejectedInputException;

import java.nio.ByteBuffer;

/**
 * The image inside a Kafka record of the input topic: decodes the Avro {@code ImageEvent} (on a batch worker, not on the
 * task thread) and checks it asks for the model this job serves. Bytes that are no {@code ImageEvent} fail at stage
 * {@value #STAGE_DESERIALIZE}; an event for another model at {@value #STAGE_VALIDATE}.
 */
public final class ImageEventImages implements ImageBytes<KafkaRecord> {
    private static final long serialVersionUID = 1L;

    public static final String STAGE_DESERIALIZE = "deserialize";
    public static final String STAGE_VALIDATE = "validate";

    private final String modelName;

    /** @param modelName the name on the served model's card, which an event's {@code modelName} must equal if set */
    public ImageEventImages(String modelName) {
        this.modelName = modelName;
    }

    @Override
    public byte[] of(KafkaRecord record) throws RejectedInputException {
        ImageEvent event;
        try {
            event = ImageEventCodec.decode(record.value);
        } catch (ImageEventCodec.UndecodableEventException e) {
            throw new RejectedInputException(STAGE_DESERIALIZE, e.getMessage(), e);
        }
        String asked = event.getModelName();
        if (asked != null && !asked.isEmpty() && !asked.equals(modelName)) {
            throw new RejectedInputException(STAGE_VALIDATE, "event " + event.getEventId() + " asks for model '" + asked
                    + "' but this job serves '" + modelName + "'; route it to a job serving that model or leave modelName empty");
        }
        return bytesOf(event.getImage());
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
