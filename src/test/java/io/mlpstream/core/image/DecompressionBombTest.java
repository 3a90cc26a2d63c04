package io.mlpstream.core.image;

import io.mlpstream.testutils.TestImages;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Decompression bombs are refused from their header, again and again, without the heap growing: nothing
 * of their declared 10^10 / 4.3 x 10^9 pixels is ever allocated, and no reader or stream is left behind.
 */
class DecompressionBombTest {
    private static final int ROUNDS = 50;
    private static final long MAX_GROWTH_BYTES = 64L << 20;

    @Test
    void bombsAreRefusedRepeatedlyWithAFlatHeap() {
        byte[] png = TestImages.pngDeclaring(100_000, 100_000);
        byte[] jpeg = TestImages.jpegDeclaring(65_500, 65_500);
        ImageDecoder decoder = new ImageDecoder();
        refuse(decoder, png); // warm up ImageIO's registry and readers before the baseline
        refuse(decoder, jpeg);
        long before = usedHeapAfterGc();
        for (int i = 0; i < ROUNDS; i++) {
            refuse(decoder, png);
            refuse(decoder, jpeg);
        }
        long after = usedHeapAfterGc();
        System.out.printf("%d decodes of a %d-byte PNG bomb (100000 x 100000) and a %d-byte JPEG bomb (65500 x 65500): "
                        + "used heap %.1f MB -> %.1f MB (%+.1f MB)%n",
                ROUNDS, png.length, jpeg.length, before / 1e6, after / 1e6, (after - before) / 1e6);
        assertThat(after - before).as("heap growth over %d rounds", ROUNDS).isLessThan(MAX_GROWTH_BYTES);
    }

    private static void refuse(ImageDecoder decoder, byte[] bomb) {
        assertThatThrownBy(() -> decoder.decode(bomb))
                .isInstanceOf(ImageRejectedException.class)
                .hasMessageContaining("pixels, above the limit of " + ImageGuard.DEFAULT_MAX_PIXELS);
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
