"""Reference images for the job's resizing: what torchvision's ``Resize`` + ``CenterCrop`` make of a PIL image with
each of Pillow's filters (nearest, box, bilinear, hamming, bicubic, lanczos), and what timm's eval transforms make of
it with ``crop_pct`` and the crop modes ``center``, ``squash`` and ``border``: the preprocessing timm and most
training pipelines feed a model. The Java job must reproduce them byte for byte (``PillowResampleTest``);
``test_resize_reference.py`` checks that the committed files are what this script writes with the installed Pillow
and torchvision.

    cd models && /usr/bin/python3 -m mlpstream_models.resize_reference --out ../src/test/resources/resize-reference

Sources: ``photo.jpg`` (Grace Hopper, 512x600, a U.S. Navy photograph in the public domain, as shipped in
matplotlib's sample data) and two seeded synthetic PNGs with sharp edges and fine stripes, where resampling
filters differ most: ``pattern.png`` (97x61, upscaled: no antialiasing, bicubic and lanczos overshoot clipped) and
``strip.png`` (1024x96, an extreme aspect ratio). Each case writes ``<name>.png``, the 8-bit crop (RGB or L), and
a line in ``cases.json``.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from torchvision import transforms
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

SEED = 0
MODES = {
    "nearest": InterpolationMode.NEAREST,
    "box": InterpolationMode.BOX,
    "bilinear": InterpolationMode.BILINEAR,
    "hamming": InterpolationMode.HAMMING,
    "bicubic": InterpolationMode.BICUBIC,
    "lanczos": InterpolationMode.LANCZOS,
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)


class Case(NamedTuple):
    """One reference crop. Geometry: ``resize`` (torchvision's ``Resize(resize)``, shorter side) or ``crop_pct``
    with ``crop_mode`` (timm's eval transforms); ``mean`` only matters to ``border`` (its padding colour)."""
    name: str
    source: str
    color: str
    size: Tuple[int, int]
    interpolation: str
    resize: Optional[int] = None
    crop_pct: Optional[float] = None
    crop_mode: str = "center"
    mean: Optional[Sequence[float]] = None


CASES = [
    # torchvision's Resize(resize) + CenterCrop((height, width))
    Case("photo-bilinear-256-224", "photo.jpg", "rgb", (224, 224), "bilinear", resize=256),
    Case("photo-bicubic-256-224", "photo.jpg", "rgb", (224, 224), "bicubic", resize=256),
    Case("photo-gray-bilinear-256-224", "photo.jpg", "grayscale", (224, 224), "bilinear", resize=256),
    Case("photo-bilinear-36-32", "photo.jpg", "rgb", (32, 32), "bilinear", resize=36),
    Case("photo-bicubic-64-48x56", "photo.jpg", "rgb", (48, 56), "bicubic", resize=64),
    Case("pattern-bilinear-128-112", "pattern.png", "rgb", (112, 112), "bilinear", resize=128),
    Case("pattern-bicubic-128-112", "pattern.png", "rgb", (112, 112), "bicubic", resize=128),
    Case("pattern-bicubic-40-24x36", "pattern.png", "rgb", (24, 36), "bicubic", resize=40),
    Case("strip-bilinear-80-64", "strip.png", "rgb", (64, 64), "bilinear", resize=80),
    Case("strip-gray-bicubic-36-32", "strip.png", "grayscale", (32, 32), "bicubic", resize=36),
] + [
    # the other filters: downscaled (photo), upscaled (pattern), RGB and grey
    c for f in ("nearest", "box", "hamming", "lanczos") for c in (
        Case(f"photo-{f}-128-112", "photo.jpg", "rgb", (112, 112), f, resize=128),
        Case(f"photo-gray-{f}-64-48x56", "photo.jpg", "grayscale", (48, 56), f, resize=64),
        Case(f"pattern-{f}-128-112", "pattern.png", "rgb", (112, 112), f, resize=128),
        Case(f"pattern-gray-{f}-80-72", "pattern.png", "grayscale", (72, 72), f, resize=80),
        Case(f"strip-{f}-80-64", "strip.png", "rgb", (64, 64), f, resize=80),
    )
] + [
    # 96 -> 64 rows, a factor of exactly 1.5: box taps fall on the filter's edges, where (-1/2, 1/2] decides
    Case("strip-box-64-48x56", "strip.png", "rgb", (48, 56), "box", resize=64),
    Case("strip-nearest-64-48x56", "strip.png", "rgb", (48, 56), "nearest", resize=64),
] + [
    # timm's eval transforms: crop_pct and crop_mode
    Case("photo-timm-center-0.9-bicubic-224", "photo.jpg", "rgb", (224, 224), "bicubic", crop_pct=0.9),
    Case("photo-timm-center-0.875-bilinear-48x56", "photo.jpg", "rgb", (48, 56), "bilinear", crop_pct=0.875),
    Case("strip-timm-center-0.95-bilinear-40x64", "strip.png", "rgb", (40, 64), "bilinear", crop_pct=0.95),
    Case("photo-timm-squash-0.875-bicubic-112", "photo.jpg", "rgb", (112, 112), "bicubic", crop_pct=0.875,
         crop_mode="squash"),
    Case("strip-timm-squash-1.0-lanczos-64", "strip.png", "rgb", (64, 64), "lanczos", crop_pct=1.0,
         crop_mode="squash"),
    Case("pattern-gray-timm-squash-0.9-hamming-40x56", "pattern.png", "grayscale", (40, 56), "hamming",
         crop_pct=0.9, crop_mode="squash"),
    Case("photo-timm-border-1.0-bicubic-112", "photo.jpg", "rgb", (112, 112), "bicubic", crop_pct=1.0,
         crop_mode="border", mean=IMAGENET_MEAN),
    Case("strip-timm-border-0.875-bilinear-64", "strip.png", "rgb", (64, 64), "bilinear", crop_pct=0.875,
         crop_mode="border", mean=IMAGENET_MEAN),
    Case("strip-gray-timm-border-0.875-box-64", "strip.png", "grayscale", (64, 64), "box", crop_pct=0.875,
         crop_mode="border", mean=(0.3,)),
    Case("pattern-timm-border-0.875-lanczos-112", "pattern.png", "rgb", (112, 112), "lanczos", crop_pct=0.875,
         crop_mode="border", mean=(0.5, 0.5, 0.5)),
    # 96 * 48 / 1024 = 4.5 rows, rounded half to even to 4; 51 - 4 = 47 rows of padding: 23 above, 24 below
    Case("strip-timm-border-1.0-bilinear-51x48", "strip.png", "rgb", (51, 48), "bilinear", crop_pct=1.0,
         crop_mode="border", mean=IMAGENET_MEAN),
    Case("photo-timm-border-0.95-nearest-48x56", "photo.jpg", "rgb", (48, 56), "nearest", crop_pct=0.95,
         crop_mode="border", mean=IMAGENET_MEAN),
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


# timm's eval transforms, rebuilt from their source with the torchvision operations they call (timm itself is not
# a dependency here): timm/data/transforms_factory.py transforms_imagenet_eval (huggingface/pytorch-image-models
# @ 0893f5d29683f5edd91e678bcad131243d1e8c11) and timm/data/transforms.py ResizeKeepRatio, center_crop_or_pad
# (@ 02c4936670739eb422d21943830fc09dab5671c2). No crop_border_pixels, no naflex.

def resize_keep_ratio(img: Image.Image, target: Tuple[int, int], longest: float, interpolation: str) -> Image.Image:
    """ResizeKeepRatio(target, longest, interpolation) without its random scale and aspect: both sides scaled by one
    ratio, the smaller of the two side ratios (longest=0) or the larger (longest=1), rounded half to even."""
    img_h, img_w = F.get_dimensions(img)[1:]
    ratio_h = img_h / target[0]
    ratio_w = img_w / target[1]
    ratio = max(ratio_h, ratio_w) * longest + min(ratio_h, ratio_w) * (1. - longest)
    size = [round(x * 1. / ratio) for x in (img_h, img_w)]
    return F.resize(img, size, MODES[interpolation])


def center_crop_or_pad(img: Image.Image, size: Tuple[int, int], fill) -> Image.Image:
    """center_crop_or_pad: pad a side shorter than the crop (the extra pixel after), then crop the center."""
    crop_height, crop_width = size
    _, image_height, image_width = F.get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = F.pad(img, padding_ltrb, fill=fill, padding_mode="constant")
        _, image_height, image_width = F.get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return F.crop(img, crop_top, crop_left, crop_height, crop_width)


def timm_eval(img: Image.Image, size: Tuple[int, int], crop_pct: float, crop_mode: str, interpolation: str,
              mean: Optional[Sequence[float]]) -> Image.Image:
    """transforms_imagenet_eval(img_size=(h, w), crop_pct, crop_mode, interpolation, mean) up to the tensor."""
    scale_size = tuple(math.floor(x / crop_pct) for x in size)
    if crop_mode == "squash":
        img = transforms.Resize(scale_size, interpolation=MODES[interpolation])(img)
        return transforms.CenterCrop(size)(img)
    if crop_mode == "border":
        fill = [round(255 * v) for v in mean]
        img = resize_keep_ratio(img, scale_size, 1.0, interpolation)
        return center_crop_or_pad(img, size, fill)
    assert crop_mode == "center", crop_mode
    if scale_size[0] == scale_size[1]:
        img = transforms.Resize(scale_size[0], interpolation=MODES[interpolation])(img)
    else:
        # timm calls ResizeKeepRatio(scale_size) here without an interpolation: always bilinear
        img = resize_keep_ratio(img, scale_size, 0.0, "bilinear")
    return transforms.CenterCrop(size)(img)


def reference(source: bytes, case: Case) -> Image.Image:
    """The case's transforms on the PIL image, after PIL's convert as the card's colour says."""
    img = Image.open(io.BytesIO(source)).convert("L" if case.color == "grayscale" else "RGB")
    if case.crop_pct is not None:
        return timm_eval(img, case.size, case.crop_pct, case.crop_mode, case.interpolation, case.mean)
    t = transforms.Compose([transforms.Resize(case.resize, interpolation=MODES[case.interpolation]),
                            transforms.CenterCrop(case.size)])
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
    for case in CASES:
        img = reference(srcs[case.source], case)
        img.save(os.path.join(out, case.name + ".png"), format="PNG", optimize=True)
        cases.append({"name": case.name, "source": case.source, "color": case.color, "height": case.size[0],
                      "width": case.size[1], "interpolation": case.interpolation, "resize": case.resize,
                      "crop_pct": case.crop_pct, "crop_mode": case.crop_mode,
                      "mean": list(case.mean) if case.mean is not None else None, "expected": case.name + ".png"})
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
