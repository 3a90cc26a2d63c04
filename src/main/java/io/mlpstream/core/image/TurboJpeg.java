package io.mlpstream.core.image;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Optional;

/**
 * JPEG decoding straight through libjpeg-turbo's TurboJPEG API ({@code libturbojpeg.so.0}, Debian/Ubuntu package
 * {@code libturbojpeg0}; 2.0 or later), called through JNA.
 *
 * <p>Why: the JDK's ImageIO reader decodes with the same libjpeg-turbo (Debian's OpenJDK links the system
 * {@code libjpeg.so.62}) but wraps it in a Java call per scanline: a 640x480 q90 JPEG took 3.0-4.0 ms through
 * ImageIO, 1.8 ms in C with the same library, 2.0-2.1 ms here (BENCHMARKS.md). With default flags
 * (accurate integer IDCT, smooth chroma upsampling) both produce the same bytes, which the tests check.
 *
 * <p>Four-channel JPEGs (CMYK, and YCCK, which libjpeg turns into CMYK) are decoded to CMYK samples and converted as
 * Pillow converts them ({@link CmykJpeg}).
 *
 * <p>This is only the fast path: any error or warning from TurboJPEG (truncated or corrupt data, 12-bit) makes
 * {@link #decode} return null and the caller decodes with ImageIO, whose verdict and message stand as before. Each
 * call opens and destroys its own TurboJPEG handle, so instances are thread-safe and hold no native memory.
 */
public final class TurboJpeg {

    private static final int TJPF_BGR = 1;
    private static final int TJPF_GRAY = 6;
    private static final int TJPF_CMYK = 11;
    private static final int TJCS_RGB = 0;
    private static final int TJCS_YCBCR = 1;
    private static final int TJCS_GRAY = 2;
    private static final int TJCS_CMYK = 3;
    private static final int TJCS_YCCK = 4;

    static final Loaded LOADED = load("turbojpeg");

    private TurboJpeg() {}

    /** The decoder, or empty with {@link #unavailableReason()} saying why. Loads the library once per class loader. */
    public static Optional<TurboJpeg> available() {
        return Optional.ofNullable(LOADED.decoder);
    }

    /** Why {@link #available()} is empty (one line), or null when it is not. */
    public static String unavailableReason() {
        return LOADED.reason;
    }

    /**
     * The pixels {@link ImageDecoder}'s ImageIO path gives — {@code TYPE_3BYTE_BGR} for colour and CMYK,
     * {@code TYPE_BYTE_GRAY} for greyscale — or null when TurboJPEG cannot decode {@code jpeg} cleanly. The declared
     * size is checked against {@code guard}'s pixel limit before any pixel is decoded.
     */
    public BufferedImage decode(byte[] jpeg, ImageGuard guard) throws ImageRejectedException {
        Pointer handle = Lib.tjInitDecompress();
        if (handle == null) {
            return null;
        }
        try {
            NativeLong size = new NativeLong(jpeg.length);
            int[] width = new int[1];
            int[] height = new int[1];
            int[] subsampling = new int[1];
            int[] colorspace = new int[1];
            if (Lib.tjDecompressHeader3(handle, jpeg, size, width, height, subsampling, colorspace) != 0) {
                return null;
            }
            ImageGuard.checkDimensions(ImageFormat.JPEG, width[0], height[0], guard.maxPixels());
            if (colorspace[0] == TJCS_CMYK || colorspace[0] == TJCS_YCCK) {
                return decodeCmyk(handle, jpeg, size, width[0], height[0]);
            }
            boolean gray = colorspace[0] == TJCS_GRAY;
            if (!gray && colorspace[0] != TJCS_YCBCR && colorspace[0] != TJCS_RGB) {
                return null;
            }
            BufferedImage image = new BufferedImage(width[0], height[0],
                    gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
            byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            int status = Lib.tjDecompress2(handle, jpeg, size, pixels, width[0], 0, height[0], gray ? TJPF_GRAY : TJPF_BGR, 0);
            return status == 0 ? image : null; // -1 also on warnings, e.g. "Premature end of JPEG file"
        } finally {
            Lib.tjDestroy(handle);
        }
    }

    private static BufferedImage decodeCmyk(Pointer handle, byte[] jpeg, NativeLong size, int width, int height) {
        long bytes = 4L * width * height;
        if (bytes > Integer.MAX_VALUE - 8) {
            return null;
        }
        byte[] cmyk = new byte[(int) bytes];
        int status = Lib.tjDecompress2(handle, jpeg, size, cmyk, width, 0, height, TJPF_CMYK, 0);
        return status == 0 ? CmykJpeg.fromCmyk(cmyk, width, height) : null;
    }

    /** The decoder, or null and the one-line reason it could not be loaded. */
    record Loaded(TurboJpeg decoder, String reason) {}

    /** Binds {@link Lib} to {@code library} (JNA's name: "turbojpeg" is libturbojpeg.so); once per class loader. */
    static Loaded load(String library) {
        try {
            Native.register(Lib.class, NativeLibrary.getInstance(library));
            return new Loaded(new TurboJpeg(), null);
        } catch (LinkageError | RuntimeException e) {
            String detail = e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage().lines().findFirst().orElse("").replaceAll("[:\\s]+$", "");
            return new Loaded(null, "libturbojpeg (2.0 or later) could not be loaded (" + detail
                    + "): install libturbojpeg0 (Debian/Ubuntu) or libjpeg-turbo (RHEL/Fedora) on every TaskManager");
        }
    }

    /** The TurboJPEG functions used (turbojpeg.h, 2.0 API), bound by JNA's direct mapping. */
    private static final class Lib {
        static native Pointer tjInitDecompress();

        static native int tjDecompressHeader3(Pointer handle, byte[] jpegBuf, NativeLong jpegSize, int[] width, int[] height,
                int[] jpegSubsamp, int[] jpegColorspace);

        static native int tjDecompress2(Pointer handle, byte[] jpegBuf, NativeLong jpegSize, byte[] dstBuf, int width, int pitch,
                int height, int pixelFormat, int flags);

        static native int tjDestroy(Pointer handle);

        /** Only to refuse libturbojpeg older than 2.0 at load time (its TJFLAG/TJERR semantics differ). */
        static native int tjGetErrorCode(Pointer handle);
    }
}
