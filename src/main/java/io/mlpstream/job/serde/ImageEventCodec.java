package io.mlpstream.job.serde;

import io.mlpstream.avro.ImageEvent;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * {@link ImageEvent} ⇄ Kafka value bytes in Avro single-object encoding: {@code C3 01}, the 8-byte little-endian
 * CRC-64-AVRO fingerprint of the writer schema, then the Avro binary body. Encodes with our current schema; decodes
 * values written with any of the {@link ImageEventSchemas} it was made with, resolved to our current schema by Avro's
 * schema resolution (fields the writer added are skipped, fields it lacks take our defaults). Serializable; each copy
 * builds its decoder when first used.
 */
public final class ImageEventCodec implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ImageEventSchemas schemas;
    private transient volatile BinaryMessageDecoder<ImageEvent> decoder;

    public ImageEventCodec(ImageEventSchemas schemas) {
        this.schemas = schemas;
    }

    /** A codec reading our own schemas only (the current one and its history). */
    public static ImageEventCodec ours() {
        return new ImageEventCodec(ImageEventSchemas.ours());
    }

    public static byte[] encode(ImageEvent event) {
        try {
            return TaggedImageSerializer.toBytes(event.toByteBuffer());
        } catch (IOException e) {
            throw new IllegalStateException("Cannot encode ImageEvent " + event.getEventId(), e);
        }
    }

    /** Decodes a Kafka value; the message says why bytes are not an ImageEvent. */
    public ImageEvent decode(byte[] value) throws UndecodableEventException {
        if (value == null || value.length == 0) {
            throw new UndecodableEventException("empty record value (expected an Avro single-object encoded ImageEvent)");
        }
        try {
            return decoder().decode(ByteBuffer.wrap(value));
        } catch (BadHeaderException e) {
            throw new UndecodableEventException(
                    "value is not Avro single-object encoding (no C3 01 header): " + e.getMessage(), e);
        } catch (MissingSchemaException e) {
            throw new UndecodableEventException(unknownWriter(value), e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | IllegalArgumentException
                | NegativeArraySizeException e) {
            throw new UndecodableEventException("value is not a valid ImageEvent: " + e, e);
        }
    }

    private String unknownWriter(byte[] value) {
        String fingerprint = value.length >= 10
                ? ImageEventSchemas.wireHex(ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong())
                : "(cut short)";
        List<String> known = schemas.describe();
        return "value is Avro of another schema: its writer schema fingerprint " + fingerprint + " (CRC-64-AVRO, value "
                + "bytes 3 to 10 in hex) is none of the " + known.size() + " ImageEvent schemas this job reads: "
                + String.join(", ", known) + ". If the producer writes an ImageEvent schema compatible with ours, put its "
                + ".avsc file into the kafka.writer-schemas-dir directory and resubmit the job; otherwise produce with "
                + "one of these schemas.";
    }

    private BinaryMessageDecoder<ImageEvent> decoder() {
        BinaryMessageDecoder<ImageEvent> d = decoder;
        if (d == null) {
            d = ImageEvent.createDecoder(schemas.store());
            decoder = d;
        }
        return d;
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
