"""ONNX export (opset 17, input 'input' [N,1,28,28], output 'logits' [N,C], dynamic batch 'N')
and structural checks used by training and the tests."""
from __future__ import annotations

import hashlib
import io

import onnx
import torch
from torch import nn

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
BATCH_AXIS = "N"


def export_onnx(model: nn.Module, path: str, in_chans: int = 1, img_size: int = 28, num_classes: int = 10) -> bytes:
    """Export ``model`` (put in eval mode) with all weights embedded; returns the file bytes."""
    model.eval()
    dummy = torch.zeros(1, in_chans, img_size, img_size, dtype=torch.float32)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            model, dummy, buf,
            opset_version=OPSET,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: BATCH_AXIS}, OUTPUT_NAME: {0: BATCH_AXIS}},
            do_constant_folding=True,
            export_params=True,
        )
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    check_onnx(path, num_classes=num_classes, in_chans=in_chans, img_size=img_size)
    return data


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _dims(value_info) -> list:
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check_onnx(path: str, num_classes: int = 10, in_chans: int = 1, img_size: int = 28,
               input_name: str = INPUT_NAME, output_name: str = OUTPUT_NAME) -> onnx.ModelProto:
    """Raise AssertionError / onnx.checker errors unless the file meets the export contract
    (the names are parameters so that models that are not zoo models, e.g. byo_example, use it too)."""
    model = onnx.load(path, load_external_data=False)
    onnx.checker.check_model(model)
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets.get("", opsets.get("ai.onnx")) == OPSET, f"opset {opsets}"
    for init in model.graph.initializer:
        assert init.data_location != onnx.TensorProto.EXTERNAL and not init.external_data, \
            f"initializer {init.name} uses external data"
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    assert [i.name for i in inputs] == [input_name], [i.name for i in inputs]
    assert [o.name for o in model.graph.output] == [output_name]
    assert inputs[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert _dims(inputs[0]) == [BATCH_AXIS, in_chans, img_size, img_size], _dims(inputs[0])
    assert _dims(model.graph.output[0]) == [BATCH_AXIS, num_classes], _dims(model.graph.output[0])
    return model
