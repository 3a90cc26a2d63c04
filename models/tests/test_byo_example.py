"""The bring-your-own-model example (src/test/resources/byo-colors, written by mlpstream_models.byo_example):
its card describes the file exactly, the graph ends in a Softmax, and the script reproduces it."""
import json
import os

import onnx
import pytest

from mlpstream_models import byo_example
from mlpstream_models.data import MODELS_DIR
from mlpstream_models.export import OPSET, check_onnx, sha256_file

BYO_DIR = os.path.join(os.path.dirname(MODELS_DIR), "src", "test", "resources", "byo-colors")
ONNX_PATH = os.path.join(BYO_DIR, "model.onnx")


@pytest.fixture(scope="module")
def card():
    with open(os.path.join(BYO_DIR, "model.json")) as f:
        return json.load(f)


def test_card_says_what_the_job_needs(card):
    assert card["name"] == "byo-colors"
    assert card["file"] == "model.onnx"
    assert card["sha256"] == sha256_file(ONNX_PATH)
    assert card["opset"] == OPSET
    assert card["input"] == {"name": "pixel_values", "layout": "NCHW", "channels": 3, "height": 32, "width": 32,
                             "color": "rgb", "resize": 36, "interpolation": "bilinear", "scale": 255.0,
                             "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    assert card["output"] == {"name": "probabilities", "kind": "probabilities"}
    assert card["labels"] == ["red", "green", "blue", "gray"]
    assert card["heldOutAccuracy"] >= 0.99


def test_onnx_is_self_contained_opset_17_and_small(card):
    assert os.path.getsize(ONNX_PATH) < 200_000
    # checker, opset 17, no external data, dynamic batch N, the card's names and shapes
    check_onnx(ONNX_PATH, num_classes=len(card["labels"]), in_chans=3, img_size=32,
               input_name=card["input"]["name"], output_name=card["output"]["name"])
    assert sorted(os.listdir(BYO_DIR)) == ["golden.json", "model.json", "model.onnx"]


def test_softmax_is_inside_the_graph(card):
    graph = onnx.load(ONNX_PATH, load_external_data=False).graph
    last = graph.node[-1]
    assert last.op_type == "Softmax"
    assert list(last.output) == [card["output"]["name"]]
    axis = [a.i for a in last.attribute if a.name == "axis"]
    assert axis in ([1], [-1])


def test_the_script_reproduces_the_committed_files(tmp_path, card):
    """~20 s on 2 shared cores: seeded data, single-threaded training, byte-identical export."""
    rebuilt = byo_example.build(str(tmp_path), log=lambda *_: None)
    assert rebuilt["sha256"] == card["sha256"]
    for name in ("model.json", "golden.json"):
        with open(os.path.join(BYO_DIR, name), "rb") as a, open(tmp_path / name, "rb") as b:
            assert a.read() == b.read(), name
