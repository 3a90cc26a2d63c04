package io.mlpstream.core.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.mlpstream.core.image.ImageDecoder;
import io.mlpstream.core.model.ModelCard;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/**
 * The card's {@code input.exifOrientation} reaches the decoding: a JPEG with EXIF orientation 6 becomes the model
 * input of Pillow's {@code exif_transpose} of it with {@code apply}, and of the image as stored without.
 * References: {@code src/test/resources/decode-reference} (see {@code PillowDecodeTest}).
 */
class ImageTranslatorTest {

    @Test
    void theCardsExifOrientationDecidesWhichWayUpTheModelSeesTheImage() throws Exception {
        byte[] rotated = resource("exif-6.jpg");
        ImageTranslator ignoring = translator(card(null));
        ImageTranslator applying = translator(card("apply"));

        float[] asStored = input(ignoring, resource("exif-6.rgb.png"));
        float[] upright = input(ignoring, resource("exif-6-transposed.rgb.png"));
        assertThat(asStored).isNotEqualTo(upright);

        assertThat(input(ignoring, rotated)).as("default: as torchvision's PIL loading").isEqualTo(asStored);
        assertThat(input(translator(card("ignore")), rotated)).isEqualTo(asStored);
        assertThat(input(applying, rotated)).as("apply: as exif_transpose").isEqualTo(upright);
    }

    private static ImageTranslator translator(ModelCard card) {
        return new ImageTranslator(card, new ImageDecoder(), 1);
    }

    private static float[] input(ImageTranslator translator, byte[] image) throws Exception {
        FloatBuffer batch = translator.newBatchBuffer(1);
        translator.writeInput(image, batch, 0);
        float[] values = new float[batch.limit()];
        batch.get(0, values);
        return values;
    }

    /** The bring-your-own example's card (32x32 RGB, resize 36), with the given exifOrientation (null: absent). */
    private static ModelCard card(String exifOrientation) throws IOException {
        String json = new String(resourceAt("/byo-colors/model.json"), java.nio.charset.StandardCharsets.UTF_8);
        if (exifOrientation != null) {
            json = json.replace("\"interpolation\": \"bilinear\"",
                    "\"interpolation\": \"bilinear\", \"exifOrientation\": \"" + exifOrientation + "\"");
        }
        return ModelCard.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), "byo-colors/model.json");
    }

    private static byte[] resource(String name) throws IOException {
        return resourceAt("/decode-reference/" + name);
    }

    private static byte[] resourceAt(String path) throws IOException {
        try (InputStream in = ImageTranslatorTest.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        }
    }
}
