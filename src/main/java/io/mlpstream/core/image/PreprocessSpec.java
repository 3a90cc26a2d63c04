package io.mlpstream.core.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a model wants its input: EXIF orientation, colour, resize-then-center-crop geometry, interpolation, and
 * {@code (pixel / scale - mean[c]) / std[c]} normalisation, laid out NCHW. Immutable; build it with
 * {@link #builder()}, which validates every field and every combination.
 *
 * <p>The geometry is torchvision's {@code Resize(resize)} followed by {@code CenterCrop((height, width))}:
 * the shorter side becomes {@code resize}, the longer one {@code floor(resize * long / short)}, and the
 * crop offsets are {@code round((resized - crop) / 2)} with Python's half-to-even rounding.
 */
public final class PreprocessSpec {

    public static final Color DEFAULT_COLOR = Color.RGB;
    public static final Interpolation DEFAULT_INTERPOLATION = Interpolation.BILINEAR;
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

    public enum Interpolation {
        NEAREST("nearest"),
        BILINEAR("bilinear"),
        BICUBIC("bicubic");

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
    private final Interpolation interpolation;
    private final boolean antialias;
    private final float scale;
    private final float[] mean;
    private final float[] std;
    private final Layout layout;
    private final ExifOrientation exifOrientation;

    private PreprocessSpec(Builder b) {
        this.channels = b.channels;
        this.height = b.height;
        this.width = b.width;
        this.color = b.color;
        this.resize = b.resize;
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
        return new Builder().channels(channels).size(height, width).color(color).resize(resize)
                .interpolation(interpolation).antialias(antialias).scale(scale).mean(mean).std(std).layout(layout)
                .exifOrientation(exifOrientation);
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

    /** The length the shorter side is resized to before the center crop. */
    public int resize() {
        return resize;
    }

    public Interpolation interpolation() {
        return interpolation;
    }

    /**
     * Whether bilinear and bicubic resizing is Pillow's {@code Image.resize} (the filter widens with the
     * downscale factor, so every source pixel counts; what torchvision's {@code Resize} does to PIL images and
     * timm's eval transforms do), reproduced bit for bit; or, when false, plain interpolation between the
     * nearest source pixels, as {@code torch.nn.functional.interpolate(..., antialias=False)}. Nearest ignores it.
     */
    public boolean antialias() {
        return antialias;
    }

    public float scale() {
        return scale;
    }

    public float[] mean() {
        return mean.clone();
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
        return mean[channel];
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
                && resize == s.resize && interpolation == s.interpolation && antialias == s.antialias
                && Float.compare(scale, s.scale) == 0 && Arrays.equals(mean, s.mean)
                && Arrays.equals(std, s.std) && layout == s.layout && exifOrientation == s.exifOrientation;
    }

    @Override
    public int hashCode() {
        int h = java.util.Objects.hash(channels, height, width, color, resize, interpolation, antialias, scale, layout,
                exifOrientation);
        return 31 * (31 * h + Arrays.hashCode(mean)) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return String.format("PreprocessSpec{%s %dx%dx%d, exifOrientation=%s, color=%s, resize=%d, interpolation=%s,"
                        + " antialias=%s, scale=%s, mean=%s, std=%s}", layout, channels, height, width, exifOrientation, color,
                resize, interpolation, antialias, scale, Arrays.toString(mean), Arrays.toString(std));
    }

    /** Setters return {@code this}; {@link #build()} validates. */
    public static final class Builder {
        private int channels = 3;
        private int height;
        private int width;
        private Color color = DEFAULT_COLOR;
        private int resize; // 0: max(height, width)
        private Interpolation interpolation = DEFAULT_INTERPOLATION;
        private boolean antialias = DEFAULT_ANTIALIAS;
        private float scale = DEFAULT_SCALE;
        private float[] mean; // null: 0 per channel
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

        /** Shorter side before the crop; defaults to max(height, width), i.e. no margin. */
        public Builder resize(int resize) {
            this.resize = resize;
            return this;
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
            if (resize == 0) {
                resize = Math.max(height, width);
            }
            if (resize < Math.max(height, width)) {
                throw new IllegalArgumentException(String.format("resize %d is smaller than the %d x %d crop; the"
                        + " shorter side must be resized to at least %d", resize, height, width,
                        Math.max(height, width)));
            }
            if (!(scale > 0) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException("scale must be a positive finite divisor (typically 255.0), got "
                        + scale);
            }
            if (mean == null) {
                mean = new float[channels];
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
                if (!Float.isFinite(mean[c])) {
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
