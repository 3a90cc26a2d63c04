package io.mlpstream.core.image;

/**
 * The crop geometry of a {@link PreprocessSpec} for one source size: the size the source is resampled to and
 * where the crop window starts in it. The window may reach outside the resized image ({@link
 * PreprocessSpec.CropMode#BORDER}): {@code left} or {@code top} is then negative, and what lies outside is padding.
 *
 * @param resizedWidth width after the resize
 * @param resizedHeight height after the resize
 * @param left first column of the crop in the resized image
 * @param top first row of the crop in the resized image
 */
record CenterCrop(int resizedWidth, int resizedHeight, int left, int top) {

    static CenterCrop of(int srcWidth, int srcHeight, PreprocessSpec spec) {
        int scaleH = spec.scaleHeight();
        int scaleW = spec.scaleWidth();
        int resizedWidth;
        int resizedHeight;
        switch (spec.cropMode()) {
            case SQUASH -> {
                resizedWidth = scaleW;
                resizedHeight = scaleH;
            }
            case BORDER -> {
                double ratio = Math.max((double) srcHeight / scaleH, (double) srcWidth / scaleW);
                resizedWidth = keepRatio(srcWidth, ratio);
                resizedHeight = keepRatio(srcHeight, ratio);
            }
            default -> {
                if (scaleH == scaleW) {
                    return of(srcWidth, srcHeight, scaleH, spec.height(), spec.width());
                }
                double ratio = Math.min((double) srcHeight / scaleH, (double) srcWidth / scaleW);
                resizedWidth = keepRatio(srcWidth, ratio);
                resizedHeight = keepRatio(srcHeight, ratio);
            }
        }
        return new CenterCrop(resizedWidth, resizedHeight, offset(resizedWidth, spec.width()),
                offset(resizedHeight, spec.height()));
    }

    /** torchvision's {@code Resize(resize)} (shorter side) + {@code CenterCrop((cropHeight, cropWidth))}. */
    static CenterCrop of(int srcWidth, int srcHeight, int resize, int cropHeight, int cropWidth) {
        int resizedWidth;
        int resizedHeight;
        if (srcWidth <= srcHeight) {
            resizedWidth = resize;
            resizedHeight = (int) ((double) ((long) resize * srcHeight) / srcWidth); // Python int(size * long / short)
        } else {
            resizedHeight = resize;
            resizedWidth = (int) ((double) ((long) resize * srcWidth) / srcHeight);
        }
        return new CenterCrop(resizedWidth, resizedHeight, offset(resizedWidth, cropWidth),
                offset(resizedHeight, cropHeight));
    }

    /**
     * timm's {@code ResizeKeepRatio}: {@code round(side / ratio)}, half to even as Python's round; at least 1 (Pillow
     * refuses an empty image; only a border crop of an extremely elongated image comes this close).
     */
    private static int keepRatio(int side, double ratio) {
        return (int) Math.max(1, Math.rint(side / ratio));
    }

    /**
     * Where the crop starts along one axis: torchvision's {@code int(round((resized - crop) / 2.0))} (Python rounds half
     * to even, as {@link Math#rint}); when the crop is longer, timm's {@code center_crop_or_pad} pads
     * {@code (crop - resized) // 2} before, the rest after.
     */
    private static int offset(int resized, int crop) {
        return crop > resized ? -((crop - resized) / 2) : (int) Math.rint((resized - crop) / 2.0);
    }

    /** Whether the resize step changes the source size; if not, cropping is plain indexing. */
    boolean resamples(int srcWidth, int srcHeight) {
        return resizedWidth != srcWidth || resizedHeight != srcHeight;
    }

    /** The part of a {@code height x width} crop that lies inside the resized image (all of it, unless padded). */
    Block inside(int height, int width) {
        int x0 = Math.max(0, -left);
        int y0 = Math.max(0, -top);
        int x1 = Math.min(width, resizedWidth - left);
        int y1 = Math.min(height, resizedHeight - top);
        return new Block(resizedWidth, resizedHeight, left + x0, top + y0, x1 - x0, y1 - y0, x0, y0);
    }

    /**
     * A {@code width x height} block of a {@code resizedWidth x resizedHeight} resized image, from its
     * ({@code left}, {@code top}), that lands at ({@code x}, {@code y}) of the model input.
     */
    record Block(int resizedWidth, int resizedHeight, int left, int top, int width, int height, int x, int y) {}
}
