package io.mlpstream.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/**
 * Direct access to the byte array behind a {@code TYPE_BYTE_GRAY} or {@code TYPE_3BYTE_BGR} image,
 * honouring sub-image offsets and strides, so hot loops need no per-pixel {@code getRGB}.
 */
final class InterleavedBytes {

    private final byte[] data;
    private final int origin;
    private final int scanlineStride;
    private final int pixelStride;
    private final int[] bandOffsets;

    InterleavedBytes(BufferedImage image) {
        this(image, 0, 0);
    }

    /**
     * For an image that holds a window of a larger source whose top-left pixel is source pixel (left, top):
     * {@link #index} then takes source coordinates (inside the window).
     */
    InterleavedBytes(BufferedImage image, int left, int top) {
        Raster raster = image.getRaster();
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        this.data = buffer.getData();
        this.scanlineStride = sm.getScanlineStride();
        this.pixelStride = sm.getPixelStride();
        this.bandOffsets = sm.getBandOffsets();
        int x0 = raster.getMinX() - raster.getSampleModelTranslateX();
        int y0 = raster.getMinY() - raster.getSampleModelTranslateY();
        this.origin = buffer.getOffset() + (y0 - top) * scanlineStride + (x0 - left) * pixelStride;
    }

    /** Index in {@link #data()} of band {@code band} of pixel (x, y), image coordinates. */
    int index(int x, int y, int band) {
        return origin + y * scanlineStride + x * pixelStride + bandOffsets[band];
    }

    byte[] data() {
        return data;
    }

    int pixelStride() {
        return pixelStride;
    }

    int red(int x, int y) {
        return data[index(x, y, 0)] & 0xFF;
    }

    int green(int x, int y) {
        return data[index(x, y, 1)] & 0xFF;
    }

    int blue(int x, int y) {
        return data[index(x, y, 2)] & 0xFF;
    }
}
