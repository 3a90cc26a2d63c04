package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@link ImageEvent} ⇄ Kafka value bytes in Avro single-object encoding: {@code C3 01}, the 8-byte
 * little-endian CRC-64-AVRO fingerprint of the writer schema, then the Avro binary body.
 */
public final class ImageEventCodec {
    private ImageEventCodec() {}

    public static byte[] encode(ImageEvent event) {
        try {
            return TaggedImageSerializer.toBytes(event.toByteBuffer());
        } catch (IOException e) {
            throw new IllegalStateException("Cannot encode ImageEvent " + event.getEventId(), e);
        }
    }

    /** Decodes a Kafka value; the message says why bytes are not an ImageEvent. */
    public static ImageEvent decode(byte[] value) throws UndecodableEventException {
        if (value == null || value.length == 0) {
            throw new UndecodableEventException("empty record value (expected an Avro single-object encoded ImageEvent)");
        }
        try {
            return ImageEvent.fromByteBuffer(ByteBuffer.wrap(value));
        } catch (BadHeaderException e) {
            throw new UndecodableEventException(
                    "value is not Avro single-object encoding (no C3 01 header): " + e.getMessage(), e);
        } catch (MissingSchemaException e) {
            throw new UndecodableEventException(
                    "value is Avro of another schema (fingerprint unknown, expected io.mlpstream.avro.ImageEvent): "
                            + e.getMessage(), e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | IllegalArgumentException
                | NegativeArraySizeException e) {
            throw new UndecodableEventException("value is not a valid ImageEvent: " + e, e);
        }
    }

    /** Bytes that are not an ImageEvent. */
    public static final class UndecodableEventException extends Exception {
        private static final long serialVersionUID = 1L;

        public UndecodableEventException(String message) {
            super(message);
        }

        public UndecodableEventException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
