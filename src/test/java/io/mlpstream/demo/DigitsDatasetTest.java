package io.mlpstream.demo;

import io.mlpstream.testutils.DigitsFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DigitsDatasetTest {

    private static final int ROWS = 3;
    private static final int COLS = 4;
    private static final byte[] LABELS = {7, 0, (byte) 9};
    private static final byte[] PIXELS = new byte[LABELS.length * ROWS * COLS];

    static {
        for (int i = 0; i < PIXELS.length; i++) {
            PIXELS[i] = (byte) (i * 23 + 200); // covers values above 127
        }
    }

    @Test
    void readsLabelsAndPixels(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("digits.bin.gz");
        Files.write(file, DigitsFiles.gzip(DigitsFiles.raw(ROWS, COLS, LABELS, PIXELS)));

        DigitsDataset dataset = DigitsDataset.load(file);

        assertThat(dataset.size()).isEqualTo(3);
        assertThat(dataset.rows()).isEqualTo(ROWS);
        assertThat(dataset.cols()).isEqualTo(COLS);
        assertThat(dataset.label(0)).isEqualTo(7);
        assertThat(dataset.label(2)).isEqualTo(9);
        assertThat(dataset.pixels(1)).isEqualTo(Arrays.copyOfRange(PIXELS, 12, 24));
        assertThatThrownBy(() -> dataset.label(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void pngDecodesToTheStoredGrayBytes() throws IOException {
        DigitsDataset dataset = DigitsFiles.synthetic(5, 28, 28, 42);
        for (int i = 0; i < dataset.size(); i++) {
            byte[] png = dataset.png(i);
            assertThat(Arrays.copyOf(png, 4)).isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G'});

            BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(decoded.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
            assertThat(decoded.getWidth()).isEqualTo(28);
            assertThat(decoded.getHeight()).isEqualTo(28);
            byte[] values = (byte[]) decoded.getRaster().getDataElements(0, 0, 28, 28, null);
            assertThat(values).isEqualTo(dataset.pixels(i));
        }
    }

    @Test
    void emptyFileIsValid() throws IOException {
        DigitsDataset dataset = load(DigitsFiles.raw(28, 28, new byte[0], new byte[0]));
        assertThat(dataset.size()).isZero();
    }

    @Test
    void rejectsBadMagic() {
        byte[] raw = DigitsFiles.raw(ROWS, COLS, LABELS, PIXELS);
        raw[0] = 'X';
        assertThatThrownBy(() -> load(raw)).isInstanceOf(IOException.class).hasMessageContaining("MLPD");
    }

    @Test
    void rejectsTruncatedRecords() {
        byte[] raw = DigitsFiles.raw(ROWS, COLS, LABELS, PIXELS);
        assertThatThrownBy(() -> load(Arrays.copyOf(raw, raw.length - 1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Truncated")
                .hasMessageContaining("record 2");
        assertThatThrownBy(() -> load(Arrays.copyOf(raw, 10)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("header");
    }

    @Test
    void rejectsTrailingBytesAndBadHeader() {
        byte[] raw = DigitsFiles.raw(ROWS, COLS, LABELS, PIXELS);
        assertThatThrownBy(() -> load(Arrays.copyOf(raw, raw.length + 1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bytes left");
        byte[] zeroRows = DigitsFiles.raw(0, COLS, new byte[0], new byte[0]);
        assertThatThrownBy(() -> load(zeroRows)).isInstanceOf(IOException.class).hasMessageContaining("rows=0");
    }

    @Test
    void rejectsUncompressedInput() {
        byte[] raw = DigitsFiles.raw(ROWS, COLS, LABELS, PIXELS);
        assertThatThrownBy(() -> DigitsDataset.load(new ByteArrayInputStream(raw))).isInstanceOf(IOException.class);
    }

    private static DigitsDataset load(byte[] raw) throws IOException {
        return DigitsDataset.load(new ByteArrayInputStream(DigitsFiles.gzip(raw)));
    }
}
