package io.mlpstream.core.inference;

import java.io.Serializable;

/**
 * Gets the encoded image (PNG or JPEG bytes) out of an element, e.g. {@code MyEvent::jpeg}. Runs on a batch worker
 * thread, never on the thread that hands elements in, so it may decode a wire format. It is shipped with the job
 * graph, hence serializable.
 *
 * <p>Throwing fails only this element: a {@link RejectedInputException} at the stage it names, anything else at
 * {@link Stage#INPUT}.
 */
@FunctionalInterface
public interface ImageBytes<T> extends Serializable {
    byte[] of(T element) throws Exception;
}
