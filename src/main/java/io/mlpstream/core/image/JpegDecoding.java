package io.mlpstream.core.image;

import java.util.Locale;

/** Which library decodes JPEGs: the {@code image.jpeg-decoder} option. */
public enum JpegDecoding {
    /** TurboJPEG when libturbojpeg can be loaded, else ImageIO. */
    AUTO,
    /** TurboJPEG, and refuse to start without it. */
    TURBOJPEG,
    /** The JDK's ImageIO reader only. */
    IMAGEIO;

    /** "auto", "turbojpeg" or "imageio", any case. */
    public static JpegDecoding parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "auto" -> AUTO;
            case "turbojpeg" -> TURBOJPEG;
            case "imageio" -> IMAGEIO;
            default -> throw new IllegalArgumentException("'" + text + "' is not a JPEG decoder: use auto, turbojpeg or imageio");
        };
    }

    /** The TurboJPEG decoder this choice uses, or null for ImageIO; TURBOJPEG without the library fails with the reason. */
    TurboJpeg resolve() {
        return resolve(TurboJpeg.LOADED);
    }

    /** As {@link #resolve()}, given how loading libturbojpeg went (tests pass a failed load). */
    TurboJpeg resolve(TurboJpeg.Loaded loaded) {
        return switch (this) {
            case IMAGEIO -> null;
            case AUTO -> loaded.decoder();
            case TURBOJPEG -> {
                if (loaded.decoder() == null) {
                    throw new IllegalStateException(
                            "image.jpeg-decoder=turbojpeg, but " + loaded.reason() + " (or set image.jpeg-decoder=auto)");
                }
                yield loaded.decoder();
            }
        };
    }
}
