package io.mlpstream.core.model;

/**
 * A model card and the ONNX bytes it describes, already checked against the card's sha256. {@code cardFile} names the
 * card as error messages should (a path, or {@code bundled:<name>/model.json}).
 */
public record LoadedModel(ModelCard card, byte[] onnx, String origin, String cardFile) {

    /** The ONNX file as error messages should name it: the card's {@code file} beside {@link #cardFile()}. */
    public String onnxFile() {
        int slash = Math.max(cardFile.lastIndexOf('/'), cardFile.lastIndexOf('\\'));
        return cardFile.substring(0, slash + 1) + card.file();
    }
}
