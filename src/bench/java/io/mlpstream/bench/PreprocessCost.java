package io.mlpstream.bench;

import io.mlpstream.core.image.DecodedImage;
import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.image.ImageGuard;
import io.mlpstream.core.image.JpegDecoding;
import io.mlpstream.core.image.PreprocessSpec;
import io.mlpstream.core.image.Preprocessor;
import io.mlpstream.core.image.TurboJpeg;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * CPU cost per image of the preprocessing steps, side by side on the same inputs: decode alone;
 * decode of only the crop's source window + the fused bilinear resize/crop (what the job does);
 * whole decode + the fused resize/crop (the previous job); decode + the previous Java2D path (full
 * shorter-side resize with Graphics2D, then crop and normalise), kept here as the reference; and the
 * whole decode through TurboJPEG (image.jpeg-decoder=auto when libturbojpeg is installed), alone and with
 * the fused resize/crop (NaN without the library).
 */
final class PreprocessCost {
    private PreprocessCost() {}

    /** turboOtherMs: TurboJPEG decode + the resize/crop with the card's {@code antialias} flipped, for comparison. */
    record Cost(double decodeMs, double fusedMs, double java2dMs, double windowMs, double turboDecodeMs, double turboMs,
                double turboOtherMs) {}

    static Cost measure(PreprocessSpec spec, List<byte[]> images, int rounds) throws Exception {
        ImageDecoder decoder = new ImageDecoder(new ImageGuard(), JpegDecoding.IMAGEIO);
        ImageDecoder turbo = TurboJpeg.available().isPresent() ? new ImageDecoder(new ImageGuard(), JpegDecoding.TURBOJPEG) : null;
        Preprocessor pre = new Preprocessor(spec);
        Preprocessor other = new Preprocessor(spec.toBuilder().antialias(!spec.antialias()).build());
        FloatBuffer buf = pre.newBatchBuffer(1);
        for (int warm = 0; warm < 2; warm++) {
            for (byte[] img : images) {
                pre.writeInto(decoder.decode(img), buf, 0);
                java2d(spec, decoder.decode(img), buf);
                pre.writeInto(decoder.decode(img, pre::sourceWindow), buf, 0);
                if (turbo != null) {
                    pre.writeInto(turbo.decode(img, pre::sourceWindow), buf, 0);
                    other.writeInto(turbo.decode(img, other::sourceWindow), buf, 0);
                }
            }
        }
        long turboOther = 0;
        long turboDecode = 0;
        long turboFused = 0;
        long window = 0;
        long decode = 0;
        long fused = 0;
        long java2d = 0;
        int n = 0;
        for (int r = 0; r < rounds; r++) {
            for (byte[] img : images) {
                long t0 = System.nanoTime();
                BufferedImage a = decoder.decode(img);
                long t1 = System.nanoTime();
                pre.writeInto(a, buf, 0);
                long t2 = System.nanoTime();
                BufferedImage b = decoder.decode(img);
                long t3 = System.nanoTime();
                java2d(spec, b, buf);
                long t4 = System.nanoTime();
                pre.writeInto(decoder.decode(img, pre::sourceWindow), buf, 0);
                long t5 = System.nanoTime();
                window += t5 - t4;
                if (turbo != null) {
                    DecodedImage d = turbo.decode(img, pre::sourceWindow);
                    long t6 = System.nanoTime();
                    pre.writeInto(d, buf, 0);
                    turboDecode += t6 - t5;
                    long t7 = System.nanoTime();
                    turboFused += t7 - t5;
                    other.writeInto(turbo.decode(img, other::sourceWindow), buf, 0);
                    turboOther += System.nanoTime() - t7;
                }
                decode += (t1 - t0) + (t3 - t2);
                fused += t2 - t0;
                java2d += (t4 - t3) + (t3 - t2);
                n++;
            }
        }
        double none = Double.NaN;
        return new Cost(decode / 2.0 / n / 1e6, fused / (double) n / 1e6, java2d / (double) n / 1e6, window / (double) n / 1e6,
                turbo == null ? none : turboDecode / (double) n / 1e6, turbo == null ? none : turboFused / (double) n / 1e6,
                turbo == null ? none : turboOther / (double) n / 1e6);
    }

    /** The previous path: Java2D resizes the whole image, then the crop window is normalised. */
    private static void java2d(PreprocessSpec spec, BufferedImage src, FloatBuffer buf) {
        int w = src.getWidth();
        int h = src.getHeight();
        int rw;
        int rh;
        if (w <= h) {
            rw = spec.resize();
            rh = (int) ((double) spec.resize() * h / w);
        } else {
            rh = spec.resize();
            rw = (int) ((double) spec.resize() * w / h);
        }
        int left = (int) Math.rint((rw - spec.width()) / 2.0);
        int top = (int) Math.rint((rh - spec.height()) / 2.0);
        BufferedImage target = new BufferedImage(spec.width(), spec.height(), BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = target.createGraphics();
        g.setComposite(AlphaComposite.Src);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, -left, -top, rw, rh, null);
        g.dispose();
        byte[] px = ((DataBufferByte) target.getRaster().getDataBuffer()).getData();
        int plane = spec.width() * spec.height();
        float[] mean = spec.mean();
        float[] std = spec.std();
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                int v = px[i * 3 + (2 - c)] & 0xFF;
                buf.put(c * plane + i, (v / spec.scale() - mean[c]) / std[c]);
            }
        }
    }
}
