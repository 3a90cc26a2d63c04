"""Bring-your-own-model worked example: a tiny RGB colour classifier that is *not* a zoo model.

It exists to prove that the job assumes nothing about digits: everything the job needs comes from the
card written here (3 channels, 36 -> 32x32 center crop, ImageNet mean/std, an input called
``pixel_values``, an output called ``probabilities`` that already went through a Softmax inside the
graph, four colour labels), and the directory is loaded by path, never bundled.

    cd models && /usr/bin/python3 -m mlpstream_models.byo_example --out ../src/test/resources/byo-colors

Model: ResMLP (``resmlp.py``) at 32x32x3, patch 8 (4x4 = 16 tokens), dim 32, depth 2, then Softmax.
Data: synthetic colour fields (solid or a two-colour gradient of one class, Gaussian noise, random
sizes 16..320 px and aspect ratios, JPEG at random quality or PNG), prepared exactly as the card says
with PIL (RGB, shorter side -> 36 bilinear, center crop 32, /255, ImageNet mean/std). Seeded and
single-threaded: re-running on the same machine (same CPU, same torch) writes a byte-identical model.onnx
(same sha256), model.json and golden.json. On another CPU the float kernels sum in another order, so the weights
and probabilities differ in the last bits and so does the sha256; the generated images and the predicted
labels do not (tests/test_byo_example.py compares within a tolerance).
"""
from __future__ import annotations

import argparse
import base64
import colorsys
import io
import json
import os
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

import mlpstream_models  # noqa: F401  (BLAS thread env before numpy/torch use)
from .blocks import count_parameters
from .export import OPSET, check_onnx, sha256_file
from .resmlp import ResMLP, ResMLPConfig

NAME = "byo-colors"
LABELS = ["red", "green", "blue", "gray"]
INPUT_NAME = "pixel_values"
OUTPUT_NAME = "probabilities"
BATCH_AXIS = "N"
SIZE = 32
RESIZE = 36
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
CONFIG = ResMLPConfig(img_size=SIZE, in_chans=3, num_classes=len(LABELS), patch=8, dim=32, depth=2,
                      mlp_ratio=2.0)
SEED = 0
TRAIN_COUNT = 3000
TEST_COUNT = 800
EPOCHS = 6
BATCH = 64
LR = 3e-3

# hue ranges in degrees (red wraps around 0), saturation / value ranges of each class
HUES = {"red": (-15.0, 15.0), "green": (95.0, 145.0), "blue": (205.0, 245.0)}
COLOUR_SAT = (0.55, 1.0)
COLOUR_VAL = (0.35, 1.0)
GRAY_SAT = (0.0, 0.06)
GRAY_VAL = (0.12, 0.95)


def class_colour(label: str, rng: np.random.RandomState) -> np.ndarray:
    """One RGB colour (floats 0..255) that clearly belongs to ``label``."""
    if label == "gray":
        h, s, v = rng.uniform(0, 1), rng.uniform(*GRAY_SAT), rng.uniform(*GRAY_VAL)
    else:
        lo, hi = HUES[label]
        h, s, v = (rng.uniform(lo, hi) % 360.0) / 360.0, rng.uniform(*COLOUR_SAT), rng.uniform(*COLOUR_VAL)
    return np.array(colorsys.hsv_to_rgb(h, s, v)) * 255.0


def synthetic_image(label: str, rng: np.random.RandomState) -> bytes:
    """An encoded JPEG (or PNG) colour field of ``label``: random size/aspect, solid or gradient, noisy."""
    w, h = rng.randint(16, 321), rng.randint(16, 321)
    a = class_colour(label, rng)
    if rng.uniform() < 0.5:
        b = a
    else:
        b = class_colour(label, rng)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    img = a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]
    img = img + rng.normal(0, rng.uniform(0, 20), size=img.shape)
    pil = Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    if rng.uniform() < 0.8:
        pil.save(buf, format="JPEG", quality=int(rng.randint(40, 96)))
    else:
        pil.save(buf, format="PNG")
    return buf.getvalue()


def preprocess(encoded: bytes) -> np.ndarray:
    """The card's preprocessing (torchvision Resize(36) + CenterCrop(32) geometry, PIL bilinear) → [3, 32, 32]."""
    img = Image.open(io.BytesIO(encoded)).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = RESIZE, int(RESIZE * h / w)
    else:
        nw, nh = int(RESIZE * w / h), RESIZE
    img = img.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - SIZE) / 2.0)), int(round((nh - SIZE) / 2.0))
    img = img.crop((left, top, left + SIZE, top + SIZE))
    x = np.asarray(img, dtype=np.float32) / 255.0
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return x.transpose(2, 0, 1).copy()


def dataset(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.RandomState(seed)
    ys = np.arange(count) % len(LABELS)
    xs = np.stack([preprocess(synthetic_image(LABELS[y], rng)) for y in ys])
    return torch.from_numpy(xs), torch.from_numpy(ys.astype(np.int64))


class WithSoftmax(nn.Module):
    """The classifier with its Softmax inside the graph: the output is already probabilities."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=1)


def train(log=print) -> tuple[nn.Module, float, dict]:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)  # build() restores the previous setting
    x_train, y_train = dataset(TRAIN_COUNT, SEED)
    x_test, y_test = dataset(TEST_COUNT, SEED + 1)
    model = ResMLP(CONFIG)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.05)
    steps = EPOCHS * ((TRAIN_COUNT + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(TRAIN_COUNT, generator=gen)
        total = 0.0
        for i in range(0, TRAIN_COUNT, BATCH):
            idx = perm[i:i + BATCH]
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        log(f"epoch {epoch + 1}/{EPOCHS}: loss {total / TRAIN_COUNT:.4f}")
    model.eval()
    with torch.no_grad():
        correct = int((model(x_test).argmax(1) == y_test).sum())
    return model, correct / TEST_COUNT, {"correct": correct}


def export(model: nn.Module, path: str) -> None:
    wrapped = WithSoftmax(model).eval()
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(wrapped, torch.zeros(1, 3, SIZE, SIZE), buf, opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: BATCH_AXIS}, OUTPUT_NAME: {0: BATCH_AXIS}},
                          do_constant_folding=True, export_params=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    check_onnx(path, num_classes=len(LABELS), in_chans=3, img_size=SIZE,
               input_name=INPUT_NAME, output_name=OUTPUT_NAME)


def card(sha256: str, accuracy: float, params: int) -> dict:
    return {
        "name": NAME,
        "version": "1",
        "architecture": "ResMLP",
        "description": f"bring-your-own-model example: colour of an RGB image; ResMLP {CONFIG.describe()}, "
                       f"{SIZE}x{SIZE}x3, Softmax in the graph",
        "file": "model.onnx",
        "sha256": sha256,
        "opset": OPSET,
        "input": {"name": INPUT_NAME, "layout": "NCHW", "channels": 3, "height": SIZE, "width": SIZE,
                  "color": "rgb", "resize": RESIZE, "interpolation": "bilinear", "scale": 255.0,
                  "mean": MEAN, "std": STD},
        "output": {"name": OUTPUT_NAME, "kind": "probabilities"},
        "labels": LABELS,
        "training": {"data": "synthetic colour fields (models/mlpstream_models/byo_example.py)",
                     "trainCount": TRAIN_COUNT, "epochs": EPOCHS, "seed": SEED},
        "heldOutAccuracy": accuracy,
        "heldOutCount": TEST_COUNT,
        "parameterCount": params,
    }


GOLDEN_REFERENCES = ["photo.jpg", "pattern.png", "strip.png"]  # in src/test/resources/resize-reference
GOLDEN_SYNTHETIC = 4
RESOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "src", "test", "resources")


def golden(model: nn.Module) -> dict:
    """What the user's own Python pipeline says, for the Java job to match: this file's PIL preprocessing and the
    trained PyTorch model (Softmax included), on a real photo, two synthetic images with fine detail (where
    resizing with or without antialiasing differs most) and a few generated colour fields, embedded here."""
    images = []
    for name in GOLDEN_REFERENCES:
        with open(os.path.join(RESOURCES, "resize-reference", name), "rb") as f:
            images.append({"name": name, "path": "resize-reference/" + name, "bytes": f.read()})
    rng = np.random.RandomState(SEED + 2)
    for i in range(GOLDEN_SYNTHETIC):
        data = synthetic_image(LABELS[i % len(LABELS)], rng)
        kind = "png" if data[:4] == b"\x89PNG" else "jpg"
        images.append({"name": f"synthetic-{i}.{kind}", "base64": base64.b64encode(data).decode("ascii"),
                       "bytes": data})
    wrapped = WithSoftmax(model).eval()
    with torch.no_grad():
        probs = wrapped(torch.from_numpy(np.stack([preprocess(im["bytes"]) for im in images])))
    for im, p in zip(images, probs):
        del im["bytes"]
        im["probabilities"] = [float(v) for v in p]
    return {"labels": LABELS, "images": images}


def build(out: str, log=print) -> dict:
    """Train, export and write ``out``/model.onnx + model.json + golden.json; returns the card."""
    os.makedirs(out, exist_ok=True)
    start = time.time()
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    try:
        model, accuracy, _ = train(log)
    finally:  # build() also runs inside the pytest session: leave torch as it was
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    onnx_path = os.path.join(out, "model.onnx")
    export(model, onnx_path)
    c = card(sha256_file(onnx_path), accuracy, count_parameters(model))
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden(model), f, indent=1)
        f.write("\n")
    log(f"{NAME}: accuracy {accuracy:.4f} on {TEST_COUNT} generated test images, "
        f"{c['parameterCount']} parameters, {os.path.getsize(onnx_path)} B, sha256 {c['sha256']}, "
        f"{time.time() - start:.1f} s")
    return c


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="directory for model.onnx and model.json")
    build(p.parse_args(argv).out)


if __name__ == "__main__":
    main()
