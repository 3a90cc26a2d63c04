package io.mlpstream.core.model;

/** A model card and the ONNX bytes it describes, already checked against the card's sha256. */
public record LoadedModel(ModelCard card, byte[] onnx, String origin) {}
