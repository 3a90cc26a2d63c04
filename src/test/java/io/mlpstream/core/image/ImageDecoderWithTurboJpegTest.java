package io.mlpstream.core.image;

class ImageDecoderWithTurboJpegTest extends ImageDecoderTest {
    @Override
    JpegDecoding decoding() {
        return JpegDecoding.TURBOJPEG;
    }
}
