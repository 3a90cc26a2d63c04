package io.mlpstream.image;

class ImageDecoderWithImageIoTest extends ImageDecoderTest {
    @Override
    JpegDecoding decoding() {
        return JpegDecoding.IMAGEIO;
    }
}
