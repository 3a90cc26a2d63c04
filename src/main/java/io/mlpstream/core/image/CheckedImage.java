package io.mlpstream.core.image;

import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An image whose header passed the {@link ImageGuard}, with its reader still open and positioned after
 * the header, so decoding reuses the header work. Close it (try-with-resources): closing disposes the
 * reader and closes the stream.
 */
public final class CheckedImage implements AutoCloseable {

    private final ImageHeader header;
    private final ImageReader reader;
    private final ImageInputStream stream;

    CheckedImage(ImageHeader header, ImageReader reader, ImageInputStream stream) {
        this.header = header;
        this.reader = reader;
        this.stream = stream;
    }

    public ImageHeader header() {
        return header;
    }

    /** The open reader, input set to image 0 with metadata ignored. */
    ImageReader reader() {
        return reader;
    }

    @Override
    public void close() {
        reader.dispose();
        try {
            stream.close();
        } catch (IOException ignored) {
            // an in-memory stream has nothing to fail on close
        }
    }
}
