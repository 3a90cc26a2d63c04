package io.mlpstream.image;

class ImageDecoderWithTurboJpegTest extends ImageDecoderTest {
    @Override
    JpegDecoding decoding() {
        return JpegDecoding.TURBOJPEG;
    }
}
