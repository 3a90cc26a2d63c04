package io.mlpstream.core.image;

import java.nio.FloatBuffer;

/**
 * Where one image's CHW floats go in a batch buffer: channel {@code c}, row {@code y}, column {@code x} at
 * {@code base + c * plane + y * width + x}.
 */
record Target(FloatBuffer batch, int base, int plane, int width) {

    /** Index of channel {@code c}, row {@code y}, column {@code x}. */
    int index(int c, int y, int x) {
        return base + c * plane + y * width + x;
    }
}
