"""The committed resize references (src/test/resources/resize-reference, checked byte for byte by the Java
PillowResampleTest) are what torchvision and Pillow, as installed, make: regenerating them changes no pixel.

Exact on any CPU: Pillow resamples 8-bit images in fixed-point integer arithmetic, libjpeg-turbo's default
(integer) IDCT gives the same pixels with and without SIMD, and the synthetic sources are seeded numpy
arrays converted to uint8, so the comparisons stay pixel for pixel.
"""
import json
import os

import numpy as np
import pytest
from PIL import Image

from mlpstream_models import resize_reference
from mlpstream_models.data import MODELS_DIR

REF_DIR = os.path.join(os.path.dirname(MODELS_DIR), "src", "test", "resources", "resize-reference")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("resize-reference"))
    resize_reference.write(out, os.path.join(REF_DIR, "photo.jpg"))
    return out


def pixels(path):
    with Image.open(path) as img:
        return img.mode, np.asarray(img)


def test_cases_are_the_committed_ones(regenerated):
    with open(os.path.join(REF_DIR, "cases.json")) as a, open(os.path.join(regenerated, "cases.json")) as b:
        assert json.load(a) == json.load(b)


@pytest.mark.parametrize("name", [c[0] for c in resize_reference.CASES] + ["pattern", "strip"])
def test_every_image_regenerates_pixel_for_pixel(regenerated, name):
    committed_mode, committed = pixels(os.path.join(REF_DIR, name + ".png"))
    mode, fresh = pixels(os.path.join(regenerated, name + ".png"))
    assert mode == committed_mode
    assert np.array_equal(fresh, committed)


def test_antialiasing_matters_on_the_photo():
    """Pillow's resize and plain bilinear interpolation really differ here, so the Java test can tell them apart."""
    import torch
    import torch.nn.functional as F
    img = Image.open(os.path.join(REF_DIR, "photo.jpg")).convert("RGB")
    w, h = img.size
    size = (int(256 * h / w), 256)
    pil = np.asarray(img.resize(size[::-1], Image.BILINEAR)).astype(np.int32)
    t = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)[None].double()
    plain = F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=False)
    plain = plain.round().clamp(0, 255)[0].permute(1, 2, 0).numpy().astype(np.int32)
    assert np.abs(pil - plain).mean() > 1.0
