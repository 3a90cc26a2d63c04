"""Reference images for the job's resizing: what torchvision's ``Resize(resize, interpolation)`` +
``CenterCrop((height, width))`` make of a PIL image, the preprocessing timm's eval transforms and most training
pipelines use. The Java job must reproduce them byte for byte (``PillowResampleTest``); ``test_resize_reference.py``
checks that the committed files are what this script writes with the installed Pillow and torchvision.

    cd models && /usr/bin/python3 -m mlpstream_models.resize_reference --out ../src/test/resources/resize-reference

Sources: ``photo.jpg`` (Grace Hopper, 512x600, a U.S. Navy photograph in the public domain, as shipped in
matplotlib's sample data) and two seeded synthetic PNGs with sharp edges and fine stripes, where resampling
filters differ most: ``pattern.png`` (97x61, upscaled: no antialiasing, bicubic overshoot clipped) and
``strip.png`` (1024x96, an extreme aspect ratio). Each case writes ``<name>.png``, the 8-bit crop (RGB or L), and
a line in ``cases.json``.
"""
from __future__ import annotations

import argparse
import io
import json
import os

import numpy as np
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode

SEED = 0
MODES = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC}

# name, source, colour, resize, (crop height, crop width), interpolation
CASES = [
    ("photo-bilinear-256-224", "photo.jpg", "rgb", 256, (224, 224), "bilinear"),
    ("photo-bicubic-256-224", "photo.jpg", "rgb", 256, (224, 224), "bicubic"),
    ("photo-gray-bilinear-256-224", "photo.jpg", "grayscale", 256, (224, 224), "bilinear"),
    ("photo-bilinear-36-32", "photo.jpg", "rgb", 36, (32, 32), "bilinear"),
    ("photo-bicubic-64-48x56", "photo.jpg", "rgb", 64, (48, 56), "bicubic"),
    ("pattern-bilinear-128-112", "pattern.png", "rgb", 128, (112, 112), "bilinear"),
    ("pattern-bicubic-128-112", "pattern.png", "rgb", 128, (112, 112), "bicubic"),
    ("pattern-bicubic-40-24x36", "pattern.png", "rgb", 40, (24, 36), "bicubic"),
    ("strip-bilinear-80-64", "strip.png", "rgb", 80, (64, 64), "bilinear"),
    ("strip-gray-bicubic-36-32", "strip.png", "grayscale", 36, (32, 32), "bicubic"),
]


def pattern() -> bytes:
    """97x61 RGB: a checkerboard of 3-pixel cells, a diagonal edge, a colour ramp and seeded noise."""
    rng = np.random.RandomState(SEED)
    h, w = 61, 97
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), dtype=np.float64)
    img[..., 0] = np.where(((x // 3) + (y // 3)) % 2 == 0, 235, 20)
    img[..., 1] = np.where(x * 61 > y * 97, 200, 40)
    img[..., 2] = 255.0 * x / (w - 1)
    img += rng.normal(0, 12, img.shape)
    return png(np.clip(img + 0.5, 0, 255).astype(np.uint8))


def strip() -> bytes:
    """1024x96 RGB: stripes whose period shrinks from 16 to 2 pixels, over a vertical ramp."""
    h, w = 96, 1024
    y, x = np.mgrid[0:h, 0:w]
    period = 16 - 14 * x / (w - 1)
    img = np.zeros((h, w, 3), dtype=np.float64)
    img[..., 0] = np.where((x % np.maximum(period, 2).astype(int)) < period / 2, 250, 5)
    img[..., 1] = 255.0 * y / (h - 1)
    img[..., 2] = np.where((x + y) % 2 == 0, 180, 60)
    return png(np.clip(img, 0, 255).astype(np.uint8))


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def reference(source: bytes, colour: str, resize: int, crop: tuple[int, int], interpolation: str) -> Image.Image:
    """torchvision's Resize + CenterCrop on the PIL image, after PIL's convert as the card's colour says."""
    img = Image.open(io.BytesIO(source)).convert("L" if colour == "grayscale" else "RGB")
    t = transforms.Compose([transforms.Resize(resize, interpolation=MODES[interpolation]),
                            transforms.CenterCrop(crop)])
    return t(img)


def sources(photo: str) -> dict[str, bytes]:
    with open(photo, "rb") as f:
        return {"photo.jpg": f.read(), "pattern.png": pattern(), "strip.png": strip()}


def write(out: str, photo: str) -> list[dict]:
    os.makedirs(out, exist_ok=True)
    srcs = sources(photo)
    for name, data in srcs.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    cases = []
    for name, source, colour, resize, crop, interpolation in CASES:
        img = reference(srcs[source], colour, resize, crop, interpolation)
        img.save(os.path.join(out, name + ".png"), format="PNG", optimize=True)
        cases.append({"name": name, "source": source, "color": colour, "resize": resize, "height": crop[0],
                      "width": crop[1], "interpolation": interpolation, "expected": name + ".png"})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--photo", default=None,
                        help="the photo to copy in (default: the committed one in --out, else matplotlib's)")
    args = parser.parse_args()
    photo = args.photo or os.path.join(args.out, "photo.jpg")
    if not os.path.exists(photo):
        photo = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"
    for case in write(args.out, photo):
        print(case["name"])


if __name__ == "__main__":
    main()
