package io.mlpstream.core.image;

class ImageDecoderWithImageIoTest extends ImageDecoderTest {
    @Override
    JpegDecoding decoding() {
        return JpegDecoding.IMAGEIO;
    }
}
