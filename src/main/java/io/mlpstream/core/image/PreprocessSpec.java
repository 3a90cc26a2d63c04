package io.mlpstream.core.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a model wants its input: EXIF orientation, colour, resize-then-crop geometry, interpolation, and
 * {@code (pixel / scale - mean[c]) / std[c]} normalisation, laid out NCHW. Immutable; build it with
 * {@link #builder()}, which validates every field and every combination.
 *
 * <p>The geometry is timm's eval transforms ({@code transforms_imagenet_eval}). The scale size is
 * {@code (resize, resize)}, or {@code (floor(height / cropPct), floor(width / cropPct))}; then, by crop mode:
 * <ul>
 *   <li>{@link CropMode#CENTER}: with a square scale size {@code s}, torchvision's {@code Resize(s)} (the shorter
 *   side becomes {@code s}, the longer one {@code floor(s * long / short)}); otherwise timm's
 *   {@code ResizeKeepRatio}: both sides divided by {@code min(srcHeight / scaleHeight, srcWidth / scaleWidth)},
 *   rounded half to even. Then torchvision's {@code CenterCrop((height, width))}, at offsets
 *   {@code round((resized - crop) / 2)}, half to even.</li>
 *   <li>{@link CropMode#SQUASH}: both sides resized to the scale size, the aspect ratio ignored; then the center
 *   crop.</li>
 *   <li>{@link CropMode#BORDER}: {@code ResizeKeepRatio} by the larger of the two ratios (the whole image fits in
 *   the scale size), then timm's {@code CenterCropOrPad}: a side shorter than the crop is padded, the odd pixel
 *   after, with the mean colour {@code round(scale * mean[c])}; a longer one is center-cropped.</li>
 * </ul>
 */
public final class PreprocessSpec {

    public static final Color DEFAULT_COLOR = Color.RGB;
    public static final Interpolation DEFAULT_INTERPOLATION = Interpolation.BILINEAR;
    public static final CropMode DEFAULT_CROP_MODE = CropMode.CENTER;
    public static final boolean DEFAULT_ANTIALIAS = true;
    public static final float DEFAULT_SCALE = 255.0f;
    public static final Layout DEFAULT_LAYOUT = Layout.NCHW;
    public static final ExifOrientation DEFAULT_EXIF_ORIENTATION = ExifOrientation.IGNORE;

    /** The colour conversion applied before resizing, as PIL's {@code convert("L")} / {@code convert("RGB")}. */
    public enum Color {
        GRAYSCALE("grayscale"),
        RGB("rgb");

        private final String id;

        Color(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Color parse(String id) {
            return PreprocessSpec.parse(values(), id, "color");
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /** Pillow's resampling filters, by the names timm and torchvision give them. */
    public enum Interpolation {
        NEAREST("nearest"),
        BILINEAR("bilinear"),
        BICUBIC("bicubic"),
        BOX("box"),
        HAMMING("hamming"),
        LANCZOS("lanczos");

        private final String id;

        Interpolation(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Interpolation parse(String id) {
            return PreprocessSpec.parse(values(), id, "interpolation");
        }

        /**
         * Whether {@code antialias} may be false: bilinear and bicubic have a plain interpolating form; nearest ignores
         * the flag; Pillow's box, hamming and lanczos always antialias.
         */
        public boolean allowsAntialiasOff() {
            return this == NEAREST || this == BILINEAR || this == BICUBIC;
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /** timm's eval crop modes ({@code crop_mode}); see the class documentation. */
    public enum CropMode {
        CENTER("center"),
        SQUASH("squash"),
        BORDER("border");

        private final String id;

        CropMode(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static CropMode parse(String id) {
            return PreprocessSpec.parse(values(), id, "crop mode");
        }

        @Override
        public String toString() {
            return id;
        }
    }

    public enum Layout {
        NCHW("NCHW");

        private final String id;

        Layout(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Layout parse(String id) {
            return PreprocessSpec.parse(values(), id, "layout");
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /**
     * What an image's EXIF orientation tag does: nothing ({@code ignore}, as torchvision's PIL loading,
     * {@code Image.open(f).convert("RGB")}, does), or turn the image upright first ({@code apply}, as
     * {@code PIL.ImageOps.exif_transpose}). An EXIF block that cannot be read counts as no orientation.
     */
    public enum ExifOrientation {
        IGNORE("ignore"),
        APPLY("apply");

        private final String id;

        ExifOrientation(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static ExifOrientation parse(String id) {
            return PreprocessSpec.parse(values(), id, "exifOrientation");
        }

        @Override
        public String toString() {
            return id;
        }
    }

    private final int channels;
    private final int height;
    private final int width;
    private final Color color;
    private final int resize;
    private final double cropPct;
    private final CropMode cropMode;
    private final int scaleHeight;
    private final int scaleWidth;
    private final Interpolation interpolation;
    private final boolean antialias;
    private final float scale;
    /** As given: the normalisation uses them as floats, the border's fill colour as doubles (as timm does). */
    private final double[] mean;
    private final float[] std;
    private final Layout layout;
    private final ExifOrientation exifOrientation;

    private PreprocessSpec(Builder b) {
        this.channels = b.channels;
        this.height = b.height;
        this.width = b.width;
        this.color = b.color;
        this.resize = b.resize;
        this.cropPct = b.cropPct == null ? 0 : b.cropPct;
        this.cropMode = b.cropMode;
        this.scaleHeight = b.scaleHeight;
        this.scaleWidth = b.scaleWidth;
        this.interpolation = b.interpolation;
        this.antialias = b.antialias;
        this.scale = b.scale;
        this.mean = b.mean.clone();
        this.std = b.std.clone();
        this.layout = b.layout;
        this.exifOrientation = b.exifOrientation;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this spec's values, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder().channels(channels).size(height, width).color(color).cropMode(cropMode)
                .interpolation(interpolation).antialias(antialias).scale(scale).mean(mean).std(std).layout(layout)
                .exifOrientation(exifOrientation);
        return cropPct > 0 ? b.cropPct(cropPct) : b.resize(resize);
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public Color color() {
        return color;
    }

    /** The scale size as one length (the shorter side in {@link CropMode#CENTER}); 0 when {@link #cropPct()} sets it. */
    public int resize() {
        return resize;
    }

    /** The crop as a fraction of the scale size, as timm's {@code crop_pct}; 0 when {@link #resize()} sets it. */
    public double cropPct() {
        return cropPct;
    }

    public CropMode cropMode() {
        return cropMode;
    }

    /** timm's {@code scale_size[0]}: {@code resize}, or {@code floor(height / cropPct)}. */
    public int scaleHeight() {
        return scaleHeight;
    }

    /** timm's {@code scale_size[1]}: {@code resize}, or {@code floor(width / cropPct)}. */
    public int scaleWidth() {
        return scaleWidth;
    }

    public Interpolation interpolation() {
        return interpolation;
    }

    /**
     * Whether resizing is Pillow's {@code Image.resize} (the filter widens with the downscale factor, so every
     * source pixel counts; what torchvision's {@code Resize} does to PIL images and timm's eval transforms do),
     * reproduced bit for bit; or, when false (bilinear and bicubic only), plain interpolation between the nearest
     * source pixels, as {@code torch.nn.functional.interpolate(..., antialias=False)}. Nearest ignores it.
     */
    public boolean antialias() {
        return antialias;
    }

    public float scale() {
        return scale;
    }

    public float[] mean() {
        float[] f = new float[mean.length];
        for (int c = 0; c < f.length; c++) {
            f[c] = (float) mean[c];
        }
        return f;
    }

    public float[] std() {
        return std.clone();
    }

    public Layout layout() {
        return layout;
    }

    public ExifOrientation exifOrientation() {
        return exifOrientation;
    }

    /** channels × height × width. */
    public int floatsPerImage() {
        return channels * height * width;
    }

    float mean(int channel) {
        return (float) mean[channel];
    }

    /**
     * The 8-bit value {@link CropMode#BORDER} pads channel {@code c} with: the mean colour,
     * {@code round(scale * mean[c])} half to even in double precision (timm's {@code round(255 * v)}), clamped to 0..255.
     */
    int fill(int channel) {
        double v = Math.rint((double) scale * mean[channel]);
        return v < 0 ? 0 : v > 255 ? 255 : (int) v;
    }

    float std(int channel) {
        return std[channel];
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PreprocessSpec)) {
            return false;
        }
        PreprocessSpec s = (PreprocessSpec) o;
        return channels == s.channels && height == s.height && width == s.width && color == s.color
                && resize == s.resize && Double.compare(cropPct, s.cropPct) == 0 && cropMode == s.cropMode
                && interpolation == s.interpolation && antialias == s.antialias
                && Float.compare(scale, s.scale) == 0 && Arrays.equals(mean, s.mean)
                && Arrays.equals(std, s.std) && layout == s.layout && exifOrientation == s.exifOrientation;
    }

    @Override
    public int hashCode() {
        int h = java.util.Objects.hash(channels, height, width, color, resize, cropPct, cropMode, interpolation,
                antialias, scale, layout, exifOrientation);
        return 31 * (31 * h + Arrays.hashCode(mean)) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "PreprocessSpec{%s %dx%dx%d, exifOrientation=%s, color=%s, %s, crop_mode=%s,"
                        + " interpolation=%s, antialias=%s, scale=%s, mean=%s, std=%s}", layout, channels, height, width,
                exifOrientation, color, cropPct > 0 ? "crop_pct=" + cropPct : "resize=" + resize, cropMode, interpolation,
                antialias, scale, Arrays.toString(mean), Arrays.toString(std));
    }

    /** Setters return {@code this}; {@link #build()} validates. */
    public static final class Builder {
        private int channels = 3;
        private int height;
        private int width;
        private Color color = DEFAULT_COLOR;
        private int resize; // 0: max(height, width), unless cropPct is set
        private Double cropPct; // null: resize sets the scale size
        private CropMode cropMode = DEFAULT_CROP_MODE;
        private int scaleHeight;
        private int scaleWidth;
        private Interpolation interpolation = DEFAULT_INTERPOLATION;
        private boolean antialias = DEFAULT_ANTIALIAS;
        private float scale = DEFAULT_SCALE;
        private double[] mean; // null: 0 per channel
        private float[] std; // null: 1 per channel
        private Layout layout = DEFAULT_LAYOUT;
        private ExifOrientation exifOrientation = DEFAULT_EXIF_ORIENTATION;

        private Builder() {}

        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** The model's input height and width: the center-crop size. */
        public Builder size(int height, int width) {
            this.height = height;
            this.width = width;
            return this;
        }

        public Builder color(Color color) {
            this.color = checkNotNull(color, "color");
            return this;
        }

        public Builder color(String color) {
            return color(Color.parse(color));
        }

        /**
         * The scale size as one length: the shorter side before the center crop; defaults to max(height, width), i.e.
         * no margin. Exclusive with {@link #cropPct}.
         */
        public Builder resize(int resize) {
            this.resize = resize;
            return this;
        }

        /** timm's {@code crop_pct} in (0, 1]: scale size {@code floor(side / cropPct)} per side. Exclusive with {@link #resize}. */
        public Builder cropPct(double cropPct) {
            this.cropPct = cropPct;
            return this;
        }

        public Builder cropMode(CropMode cropMode) {
            this.cropMode = checkNotNull(cropMode, "cropMode");
            return this;
        }

        public Builder cropMode(String cropMode) {
            return cropMode(CropMode.parse(cropMode));
        }

        public Builder interpolation(Interpolation interpolation) {
            this.interpolation = checkNotNull(interpolation, "interpolation");
            return this;
        }

        public Builder interpolation(String interpolation) {
            return interpolation(Interpolation.parse(interpolation));
        }

        public Builder antialias(boolean antialias) {
            this.antialias = antialias;
            return this;
        }

        public Builder scale(float scale) {
            this.scale = scale;
            return this;
        }

        public Builder mean(float... mean) {
            checkNotNull(mean, "mean");
            this.mean = new double[mean.length];
            for (int c = 0; c < mean.length; c++) {
                this.mean[c] = mean[c];
            }
            return this;
        }

        /** The mean as written in a model card or timm config: the border's fill colour is computed from it exactly. */
        public Builder mean(double... mean) {
            this.mean = checkNotNull(mean, "mean").clone();
            return this;
        }

        public Builder std(float... std) {
            this.std = checkNotNull(std, "std").clone();
            return this;
        }

        public Builder layout(Layout layout) {
            this.layout = checkNotNull(layout, "layout");
            return this;
        }

        public Builder layout(String layout) {
            return layout(Layout.parse(layout));
        }

        public Builder exifOrientation(ExifOrientation exifOrientation) {
            this.exifOrientation = checkNotNull(exifOrientation, "exifOrientation");
            return this;
        }

        public Builder exifOrientation(String exifOrientation) {
            return exifOrientation(ExifOrientation.parse(exifOrientation));
        }

        public PreprocessSpec build() {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
            }
            if (channels == 1 && color != Color.GRAYSCALE) {
                throw new IllegalArgumentException("channels = 1 needs color \"grayscale\", got \"" + color
                        + "\"; use channels = 3 for rgb");
            }
            if (height <= 0 || width <= 0) {
                throw new IllegalArgumentException(String.format(
                        "height and width must be positive, got %d x %d", height, width));
            }
            long floats = (long) channels * height * width;
            if (floats > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(String.format("%d x %d x %d = %d floats per image does not fit"
                        + " in one buffer (at most %d)", channels, height, width, floats, Integer.MAX_VALUE));
            }
            if (cropPct != null) {
                if (resize != 0) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "resize %d and crop_pct %s both set"
                            + " the scale size; give one of them", resize, cropPct));
                }
                if (!(cropPct > 0 && cropPct <= 1)) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "crop_pct must be in (0, 1], got %s"
                            + " (0.875: a 224 crop of 256)", cropPct));
                }
                scaleHeight = (int) Math.floor(height / cropPct); // Python's math.floor(size / crop_pct)
                scaleWidth = (int) Math.floor(width / cropPct);
            } else {
                if (resize == 0) {
                    resize = Math.max(height, width);
                }
                if (resize < Math.max(height, width)) {
                    throw new IllegalArgumentException(String.format("resize %d is smaller than the %d x %d crop; the"
                            + " shorter side must be resized to at least %d", resize, height, width,
                            Math.max(height, width)));
                }
                scaleHeight = resize;
                scaleWidth = resize;
            }
            if (!antialias && !interpolation.allowsAntialiasOff()) {
                throw new IllegalArgumentException("antialias false needs interpolation \"bilinear\" or \"bicubic\","
                        + " got \"" + interpolation + "\"; Pillow's " + interpolation + " filter always antialiases");
            }
            if (!(scale > 0) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException("scale must be a positive finite divisor (typically 255.0), got "
                        + scale);
            }
            if (mean == null) {
                mean = new double[channels];
            }
            if (std == null) {
                std = new float[channels];
                Arrays.fill(std, 1f);
            }
            if (mean.length != channels) {
                throw new IllegalArgumentException(String.format("mean has %d values %s, expected one per channel (%d)",
                        mean.length, Arrays.toString(mean), channels));
            }
            if (std.length != channels) {
                throw new IllegalArgumentException(String.format("std has %d values %s, expected one per channel (%d)",
                        std.length, Arrays.toString(std), channels));
            }
            for (int c = 0; c < channels; c++) {
                if (!Double.isFinite(mean[c]) || !Float.isFinite((float) mean[c])) {
                    throw new IllegalArgumentException("mean[" + c + "] must be finite, got " + mean[c]);
                }
                if (!(std[c] > 0) || Float.isInfinite(std[c])) {
                    throw new IllegalArgumentException("std[" + c + "] must be positive and finite, got " + std[c]);
                }
            }
            return new PreprocessSpec(this);
        }
    }

    private static <T> T checkNotNull(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    private static <E extends Enum<E>> E parse(E[] values, String id, String what) {
        if (id != null) {
            for (E value : values) {
                if (value.toString().equalsIgnoreCase(id.trim())) {
                    return value;
                }
            }
        }
        StringBuilder accepted = new StringBuilder();
        for (E value : values) {
            accepted.append(accepted.length() == 0 ? "" : ", ").append('"').append(value).append('"');
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "unknown %s \"%s\"; expected one of %s",
                what, id, accepted));
    }
}
