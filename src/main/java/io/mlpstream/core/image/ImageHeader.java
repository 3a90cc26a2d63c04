package io.mlpstream.core.image;

/** What the guard learned from an image's header, before any pixel was decoded. */
public record ImageHeader(ImageFormat format, int width, int height) {

    /** width × height, in long arithmetic. */
    public long pixels() {
        return (long) width * height;
    }
}
