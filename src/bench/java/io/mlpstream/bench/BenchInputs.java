package io.mlpstream.bench;

import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.core.model.ModelCard;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Encoded images a model is benchmarked with: held-out digit PNGs for 28×28 grayscale models, and
 * camera-sized (640×480) colour JPEGs for ImageNet-shaped models, so decoding costs what it costs
 * in production.
 */
final class BenchInputs {
    static final int JPEG_WIDTH = 640;
    static final int JPEG_HEIGHT = 480;

    private BenchInputs() {}

    record Inputs(List<byte[]> images, String contentType, String description) {}

    static Inputs forCard(ModelCard card, int count) throws IOException {
        ModelCard.Input in = card.input();
        if (in.channels() == 1 && in.height() <= 64) {
            DigitsDataset digits = DigitsDataset.loadBundled();
            List<byte[]> pngs = new ArrayList<>();
            for (int i = 0; i < Math.min(count, digits.size()); i++) {
                pngs.add(digits.png(i));
            }
            return new Inputs(pngs, "image/png", "28x28 grayscale PNG digits (~" + avg(pngs) + " bytes)");
        }
        List<byte[]> jpegs = new ArrayList<>();
        Random random = new Random(42);
        DigitsDataset digits = DigitsDataset.loadBundled();
        for (int i = 0; i < count; i++) {
            jpegs.add(jpeg(scene(random, digits, i)));
        }
        return new Inputs(jpegs, "image/jpeg", JPEG_WIDTH + "x" + JPEG_HEIGHT + " colour JPEG q90 (~" + avg(jpegs) + " bytes)");
    }

    /** A busy colour scene: gradient sky, noisy ground, scaled-up digits as "objects". */
    private static BufferedImage scene(Random random, DigitsDataset digits, int index) throws IOException {
        BufferedImage img = new BufferedImage(JPEG_WIDTH, JPEG_HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setPaint(new GradientPaint(0, 0, new Color(random.nextInt(1 << 24)), JPEG_WIDTH, JPEG_HEIGHT,
                new Color(random.nextInt(1 << 24))));
        g.fillRect(0, 0, JPEG_WIDTH, JPEG_HEIGHT);
        for (int k = 0; k < 6; k++) {
            BufferedImage digit = ImageIO.read(new java.io.ByteArrayInputStream(digits.png((index * 6 + k) % digits.size())));
            int size = 80 + random.nextInt(200);
            g.drawImage(digit, random.nextInt(JPEG_WIDTH - size), random.nextInt(JPEG_HEIGHT - size), size, size, null);
        }
        g.dispose();
        for (int n = 0; n < JPEG_WIDTH * JPEG_HEIGHT / 4; n++) {
            int x = random.nextInt(JPEG_WIDTH);
            int y = random.nextInt(JPEG_HEIGHT);
            img.setRGB(x, y, img.getRGB(x, y) ^ (random.nextInt(64) * 0x010101));
        }
        return img;
    }

    private static byte[] jpeg(BufferedImage img) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static long avg(List<byte[]> images) {
        return images.stream().mapToLong(b -> b.length).sum() / Math.max(1, images.size());
    }
}
