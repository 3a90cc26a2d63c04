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
 * resize, crop (and, in border mode, padding), {@code (pixel / scale - mean[c]) / std[c]} in float, NCHW.
 * Immutable and thread-safe; writing different slots of one buffer from several threads is fine.
 *
 * <p>Every antialiased interpolation is Pillow's own, byte for byte, fused with the crop: only the crop
 * window is computed, straight into the batch buffer ({@link PillowResample}, {@link PillowNearest}); so is
 * bilinear without antialiasing ({@link BilinearCrop}). Only bicubic without antialiasing draws through Java2D.
 */
public final class Preprocessor {

    private final PreprocessSpec spec;
    /** Pillow's convolution filter when the spec resizes with one (antialiased, not nearest), else null. */
    private final PillowResample.Filter pillow;
    /** lut[c * 256 + v] = (v / scale - mean[c]) / std[c], computed in float in that order. */
    private final float[] lut;

    public Preprocessor(PreprocessSpec spec) {
        if (spec == null) {
            throw new NullPointerException("spec");
        }
        this.spec = spec;
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
     * Only the fused paths (Pillow's filters, and bilinear without antialiasing) read a smaller
     * window: the crop's source footprint.
     */
    public Rectangle sourceWindow(int width, int height) {
        CenterCrop crop = CenterCrop.of(width, height, spec);
        if (!crop.resamples(width, height)) {
            return null;
        }
        CenterCrop.Block block = crop.inside(spec.height(), spec.width());
        int[] s;
        if (pillow != null) {
            s = PillowResample.span(pillow, width, height, block);
        } else if (spec.interpolation() == PreprocessSpec.Interpolation.NEAREST) {
            s = PillowNearest.span(width, height, block);
        } else if (spec.interpolation() == PreprocessSpec.Interpolation.BILINEAR) {
            int[] xs = BilinearCrop.span(width, block.resizedWidth(), block.left(), block.width());
            int[] ys = BilinearCrop.span(height, block.resizedHeight(), block.top(), block.height());
            s = new int[] {xs[0], ys[0], xs[1], ys[1]};
        } else {
            return null;
        }
        return new Rectangle(s[0], s[1], s[2] - s[0] + 1, s[3] - s[1] + 1);
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
        Target target = new Target(batch, (int) start, spec.height() * spec.width(), spec.width());
        int srcW = decoded.sourceWidth();
        int srcH = decoded.sourceHeight();
        BufferedImage source = PixelConversion.canonical(image, spec.color());
        CenterCrop crop = CenterCrop.of(srcW, srcH, spec);
        CenterCrop.Block block = crop.inside(spec.height(), spec.width());
        if (block.width() < spec.width() || block.height() < spec.height()) {
            pad(block, target);
        }
        int left = block.left();
        int top = block.top();
        if (crop.resamples(srcW, srcH)) {
            // fused: only the crop window, straight into the batch buffer
            InterleavedBytes pixels = new InterleavedBytes(source, decoded.left(), decoded.top());
            int bands = source.getType() == BufferedImage.TYPE_BYTE_GRAY ? 1 : 3;
            if (pillow != null) {
                PillowResample.write(pixels, bands, srcW, srcH, block, spec.channels(), pillow, lut, target);
                return;
            }
            if (spec.interpolation() == PreprocessSpec.Interpolation.NEAREST) {
                PillowNearest.write(pixels, bands, srcW, srcH, block, spec.channels(), lut, target);
                return;
            }
            if (spec.interpolation() == PreprocessSpec.Interpolation.BILINEAR) {
                BilinearCrop.write(pixels, bands, srcW, srcH, block, spec.channels(), lut, target);
                return;
            }
            requireWhole(decoded);
            source = resizeAndCrop(source, crop);
            left = block.x();
            top = block.y();
        }
        requireWhole(decoded);
        if (source.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            writeGray(new InterleavedBytes(source), left, top, block, target);
        } else {
            writeBgr(new InterleavedBytes(source), left, top, block, target);
        }
    }

    /** The crop's pixels outside the resized image: the fill colour of each channel, normalised. */
    private void pad(CenterCrop.Block block, Target target) {
        int h = spec.height();
        int w = spec.width();
        FloatBuffer batch = target.batch();
        for (int c = 0; c < spec.channels(); c++) {
            float fill = lut[c * 256 + spec.fill(c)];
            for (int y = 0; y < h; y++) {
                boolean inside = y >= block.y() && y < block.y() + block.height();
                for (int x = 0; x < w; x++) {
                    if (!inside || x < block.x() || x >= block.x() + block.width()) {
                        batch.put(target.index(c, y, x), fill);
                    }
                }
            }
        }
    }

    private static void requireWhole(DecodedImage decoded) {
        if (!decoded.isWhole()) {
            throw new IllegalArgumentException("this preprocessing reads the whole image; decode it with sourceWindow()");
        }
    }

    /**
     * Bicubic without antialiasing: draws the resized image shifted so that only the crop window lands in a
     * height x width target.
     */
    private BufferedImage resizeAndCrop(BufferedImage source, CenterCrop crop) {
        BufferedImage target = new BufferedImage(spec.width(), spec.height(), source.getType());
        Graphics2D g = target.createGraphics();
        try {
            g.setComposite(AlphaComposite.Src);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(source, -crop.left(), -crop.top(), crop.resizedWidth(), crop.resizedHeight(), null);
        } finally {
            g.dispose();
        }
        return target;
    }

    /** Copies the block's pixels from ({@code left}, {@code top}) of {@code gray} to every channel. */
    private void writeGray(InterleavedBytes gray, int left, int top, CenterCrop.Block block, Target target) {
        byte[] data = gray.data();
        int step = gray.pixelStride();
        FloatBuffer batch = target.batch();
        for (int c = 0; c < spec.channels(); c++) {
            int lutBase = c * 256;
            for (int y = 0; y < block.height(); y++) {
                int in = gray.index(left, top + y, 0);
                int out = target.index(c, block.y() + y, block.x());
                for (int x = 0; x < block.width(); x++, in += step) {
                    batch.put(out++, lut[lutBase + (data[in] & 0xFF)]);
                }
            }
        }
    }

    /** Copies the block's pixels from ({@code left}, {@code top}) of {@code bgr}. */
    private void writeBgr(InterleavedBytes bgr, int left, int top, CenterCrop.Block block, Target target) {
        byte[] data = bgr.data();
        int step = bgr.pixelStride();
        int gOff = bgr.index(0, 0, 1) - bgr.index(0, 0, 0);
        int bOff = bgr.index(0, 0, 2) - bgr.index(0, 0, 0);
        int plane = target.plane();
        FloatBuffer batch = target.batch();
        for (int y = 0; y < block.height(); y++) {
            int in = bgr.index(left, top + y, 0);
            int out = target.index(0, block.y() + y, block.x());
            for (int x = 0; x < block.width(); x++, in += step, out++) {
                batch.put(out, lut[data[in] & 0xFF]);
                batch.put(out + plane, lut[256 + (data[in + gOff] & 0xFF)]);
                batch.put(out + 2 * plane, lut[512 + (data[in + bOff] & 0xFF)]);
            }
        }
    }
}
