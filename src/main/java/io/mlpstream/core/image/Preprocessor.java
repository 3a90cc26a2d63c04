package io.mlpstream.core.image;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Writes decoded images into a batch tensor as a {@link PreprocessSpec} says: colour conversion,
 * shorter-side resize, center crop, {@code (pixel / scale - mean[c]) / std[c]} in float, NCHW.
 * Immutable and thread-safe; writing different slots of one buffer from several threads is fine.
 */
public final class Preprocessor {

    private final PreprocessSpec spec;
    private final Object interpolationHint;
    /** Pillow's filter when the spec resizes as Pillow does (antialiased bilinear or bicubic), else null. */
    private final PillowResample.Filter pillow;
    /** lut[c * 256 + v] = (v / scale - mean[c]) / std[c], computed in float in that order. */
    private final float[] lut;

    public Preprocessor(PreprocessSpec spec) {
        if (spec == null) {
            throw new NullPointerException("spec");
        }
        this.spec = spec;
        this.interpolationHint = hint(spec.interpolation());
        this.pillow = spec.antialias() && spec.interpolation() != PreprocessSpec.Interpolation.NEAREST
                ? PillowResample.Filter.of(spec.interpolation()) : null;
        this.lut = new float[spec.channels() * 256];
        for (int c = 0; c < spec.channels(); c++) {
            for (int v = 0; v < 256; v++) {
                lut[c * 256 + v] = ((float) v / spec.scale() - spec.mean(c)) / spec.std(c);
            }
        }
    }

    public PreprocessSpec spec() {
        return spec;
    }

    public int floatsPerImage() {
        return spec.floatsPerImage();
    }

    /** A zeroed direct, native-order buffer for {@code batchSize} images, as ONNX Runtime takes without copying. */
    public FloatBuffer newBatchBuffer(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        long bytes = 4L * batchSize * floatsPerImage();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format("a batch of %d x %d floats needs %d bytes, above the"
                    + " %d a direct buffer can hold", batchSize, floatsPerImage(), bytes, Integer.MAX_VALUE));
        }
        return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Writes {@code image}'s CHW floats at {@code slot * floatsPerImage()} with absolute puts; the buffer's
     * position and limit are left alone.
     */
    public void writeInto(BufferedImage image, FloatBuffer batch, int slot) {
        writeInto(DecodedImage.whole(image), batch, slot);
    }

    /**
     * The source pixels {@link #writeInto} reads from a {@code width} x {@code height} image, for
     * {@link ImageDecoder#decode(byte[], ImageDecoder.Window)}; null when it reads all of them.
     * Only the fused paths (Pillow's bilinear and bicubic, and bilinear without antialiasing) read a smaller
     * window: the crop's source footprint.
     */
    public Rectangle sourceWindow(int width, int height) {
        CenterCrop crop = CenterCrop.of(width, height, spec.resize(), spec.height(), spec.width());
        if (!crop.resamples(width, height)) {
            return null;
        }
        if (pillow != null) {
            int[] s = PillowResample.span(pillow, width, height, crop, spec.height(), spec.width());
            return new Rectangle(s[0], s[1], s[2] - s[0] + 1, s[3] - s[1] + 1);
        }
        if (spec.interpolation() != PreprocessSpec.Interpolation.BILINEAR) {
            return null;
        }
        int[] xs = BilinearCrop.span(width, crop.resizedWidth(), crop.left(), spec.width());
        int[] ys = BilinearCrop.span(height, crop.resizedHeight(), crop.top(), spec.height());
        return new Rectangle(xs[0], ys[0], xs[1] - xs[0] + 1, ys[1] - ys[0] + 1);
    }

    /** As {@link #writeInto(BufferedImage, FloatBuffer, int)}, from a decoded window of the source. */
    public void writeInto(DecodedImage decoded, FloatBuffer batch, int slot) {
        BufferedImage image = decoded.pixels();
        int floats = floatsPerImage();
        long start = (long) slot * floats;
        if (slot < 0 || start + floats > batch.limit()) {
            throw new IndexOutOfBoundsException(String.format("slot %d needs floats [%d, %d) but the batch buffer's"
                            + " limit is %d (room for slots 0..%d)", slot, start, start + floats, batch.limit(),
                    batch.limit() / floats - 1));
        }
        int base = (int) start;
        int srcW = decoded.sourceWidth();
        int srcH = decoded.sourceHeight();
        BufferedImage source = PixelConversion.canonical(image, spec.color());
        CenterCrop crop = CenterCrop.of(srcW, srcH, spec.resize(), spec.height(), spec.width());
        int left = crop.left();
        int top = crop.top();
        if (crop.resamples(srcW, srcH)) {
            // fused: only the crop window, straight into the batch buffer
            InterleavedBytes pixels = new InterleavedBytes(source, decoded.left(), decoded.top());
            int bands = source.getType() == BufferedImage.TYPE_BYTE_GRAY ? 1 : 3;
            if (pillow != null) {
                PillowResample.write(pixels, bands, srcW, srcH, crop, spec.height(), spec.width(), spec.channels(),
                        pillow, lut, batch, base);
                return;
            }
            if (spec.interpolation() == PreprocessSpec.Interpolation.BILINEAR) {
                BilinearCrop.write(pixels, bands, srcW, srcH, crop, spec.height(), spec.width(), spec.channels(), lut, batch, base);
                return;
            }
            requireWhole(decoded);
            source = resizeAndCrop(source, crop);
            left = 0;
            top = 0;
        }
        requireWhole(decoded);
        if (source.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            writeGray(new InterleavedBytes(source), left, top, batch, base);
        } else {
            writeBgr(new InterleavedBytes(source), left, top, batch, base);
        }
    }

    private static void requireWhole(DecodedImage decoded) {
        if (!decoded.isWhole()) {
            throw new IllegalArgumentException("this preprocessing reads the whole image; decode it with sourceWindow()");
        }
    }

    /** Draws the resized image shifted so that only the crop window lands in a height x width target. */
    private BufferedImage resizeAndCrop(BufferedImage source, CenterCrop crop) {
        BufferedImage target = new BufferedImage(spec.width(), spec.height(), source.getType());
        Graphics2D g = target.createGraphics();
        try {
            g.setComposite(AlphaComposite.Src);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolationHint);
            g.drawImage(source, -crop.left(), -crop.top(), crop.resizedWidth(), crop.resizedHeight(), null);
        } finally {
            g.dispose();
        }
        return target;
    }

    private void writeGray(InterleavedBytes gray, int left, int top, FloatBuffer batch, int base) {
        int h = spec.height();
        int w = spec.width();
        int plane = h * w;
        byte[] data = gray.data();
        int step = gray.pixelStride();
        for (int c = 0; c < spec.channels(); c++) {
            int lutBase = c * 256;
            int out = base + c * plane;
            for (int y = 0; y < h; y++) {
                int in = gray.index(left, top + y, 0);
                for (int x = 0; x < w; x++, in += step) {
                    batch.put(out++, lut[lutBase + (data[in] & 0xFF)]);
                }
            }
        }
    }

    private void writeBgr(InterleavedBytes bgr, int left, int top, FloatBuffer batch, int base) {
        int h = spec.height();
        int w = spec.width();
        int plane = h * w;
        byte[] data = bgr.data();
        int step = bgr.pixelStride();
        int gOff = bgr.index(0, 0, 1) - bgr.index(0, 0, 0);
        int bOff = bgr.index(0, 0, 2) - bgr.index(0, 0, 0);
        int out = base;
        for (int y = 0; y < h; y++) {
            int in = bgr.index(left, top + y, 0);
            for (int x = 0; x < w; x++, in += step, out++) {
                batch.put(out, lut[data[in] & 0xFF]);
                batch.put(out + plane, lut[256 + (data[in + gOff] & 0xFF)]);
                batch.put(out + 2 * plane, lut[512 + (data[in + bOff] & 0xFF)]);
            }
        }
    }

    private static Object hint(PreprocessSpec.Interpolation interpolation) {
        switch (interpolation) {
            case NEAREST:
                return RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR;
            case BICUBIC:
                return RenderingHints.VALUE_INTERPOLATION_BICUBIC;
            case BILINEAR:
            default:
                return RenderingHints.VALUE_INTERPOLATION_BILINEAR;
        }
    }
}
