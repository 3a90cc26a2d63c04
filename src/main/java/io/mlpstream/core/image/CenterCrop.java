package io.mlpstream.core.image;

/**
 * torchvision's {@code Resize(resize)} + {@code CenterCrop((height, width))} geometry for one source size:
 * the size the source is resampled to and where the crop window starts in it.
 *
 * @param resizedWidth width after the shorter-side resize
 * @param resizedHeight height after the shorter-side resize
 * @param left first column of the crop in the resized image
 * @param top first row of the crop in the resized image
 */
record CenterCrop(int resizedWidth, int resizedHeight, int left, int top) {

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
        // torchvision: int(round((resized - crop) / 2.0)); Python rounds half to even, as Math.rint does
        int top = (int) Math.rint((resizedHeight - cropHeight) / 2.0);
        int left = (int) Math.rint((resizedWidth - cropWidth) / 2.0);
        return new CenterCrop(resizedWidth, resizedHeight, left, top);
    }

    /** Whether the resize step changes the source size; if not, cropping is plain indexing. */
    boolean resamples(int srcWidth, int srcHeight) {
        return resizedWidth != srcWidth || resizedHeight != srcHeight;
    }
}
