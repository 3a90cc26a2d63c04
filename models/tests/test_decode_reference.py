"""The committed decode references (src/test/resources/decode-reference, checked byte for byte by the Java
PillowDecodeTest) are what Pillow, as installed, reads from the committed sources; the sources are what they claim to
be; and decode_reference.py writes sources that Pillow reads to the same pixels."""
import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from mlpstream_models import decode_reference
from mlpstream_models.data import MODELS_DIR

REF_DIR = os.path.join(os.path.dirname(MODELS_DIR), "src", "test", "resources", "decode-reference")
PHOTO = os.path.join(os.path.dirname(REF_DIR), "resize-reference", "photo.jpg")


def committed_cases():
    with open(os.path.join(REF_DIR, "cases.json")) as f:
        return json.load(f)


def read(name):
    with open(os.path.join(REF_DIR, name), "rb") as f:
        return f.read()


def pixels(data):
    with Image.open(io.BytesIO(data)) as img:
        return img.mode, np.asarray(img)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("decode-reference"))
    try:
        decode_reference.write(out, PHOTO)
    except RuntimeError as e:  # no libturbojpeg for the YCCK sources
        pytest.skip(str(e))
    return out


@pytest.mark.parametrize("case", committed_cases(), ids=lambda c: c["name"])
def test_every_reference_is_what_pillow_reads_from_the_committed_source(case):
    expected = decode_reference.reference(read(case["source"]), case["exifOrientation"])
    mode, committed = pixels(read(case["expected"]))
    assert mode == "RGB"
    assert np.array_equal(np.asarray(expected), committed)


def test_cases_are_the_ones_the_script_writes(regenerated):
    with open(os.path.join(regenerated, "cases.json")) as f:
        assert json.load(f) == committed_cases()


@pytest.mark.parametrize("source", sorted({c["source"] for c in committed_cases()}))
def test_every_source_regenerates_to_the_same_pixels(regenerated, source):
    with open(os.path.join(regenerated, source), "rb") as f:
        fresh_mode, fresh = pixels(f.read())
    committed_mode, committed = pixels(read(source))
    assert fresh_mode == committed_mode
    assert np.array_equal(fresh, committed)


@pytest.mark.parametrize("source, transform", [
    ("cmyk-adobe.jpg", 0), ("cmyk-no-adobe.jpg", None), ("cmyk-progressive.jpg", 0),
    ("ycck-420.jpg", 2), ("ycck-444.jpg", 2), ("ycck-transform-1.jpg", 1)])
def test_four_channel_sources_carry_the_adobe_marker_they_claim(source, transform):
    with Image.open(io.BytesIO(read(source))) as img:
        assert img.mode == "CMYK"
        assert img.layers == 4
        assert img.info.get("adobe_transform") == transform
        if source.startswith("ycck-4"):
            sampling = {"ycck-420.jpg": 2, "ycck-444.jpg": 0}[source]
            assert img.layer[1][1:3] == img.layer[2][1:3]
            assert (img.layer[0][1], img.layer[0][2]) == ((2, 2) if sampling == 2 else (1, 1))


def test_the_ink_spans_every_channel():
    """CMY and K both vary over nearly their whole range, so the conversion is exercised everywhere."""
    with Image.open(io.BytesIO(read("cmyk-adobe.jpg"))) as img:
        ink = np.asarray(img)
    for channel in range(4):
        assert ink[..., channel].min() <= 10 and ink[..., channel].max() >= 240, channel


@pytest.mark.parametrize("source, orientation", [(f"exif-{n}.jpg", n) for n in range(1, 9)]
                         + [("exif-gray-5.jpg", 5), ("exif-png-6.png", 6), ("cmyk-exif-8.jpg", 8)])
def test_exif_sources_carry_the_orientation_they_claim(source, orientation):
    with Image.open(io.BytesIO(read(source))) as img:
        assert img.getexif().get(0x0112) == orientation
