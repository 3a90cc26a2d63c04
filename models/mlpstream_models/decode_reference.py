"""Reference images for the job's decoding: what Pillow reads from JPEGs and PNGs that are not plain RGB, as
torchvision's PIL loading does (``Image.open(f).convert("RGB")``), and what ``PIL.ImageOps.exif_transpose`` makes
of images with an EXIF orientation. The Java job must reproduce them byte for byte (``PillowDecodeTest``);
``test_decode_reference.py`` checks that the committed references are what Pillow, as installed, reads from the
committed sources, and that this script writes sources Pillow reads the same way.

    cd models && /usr/bin/python3 -m mlpstream_models.decode_reference --out ../src/test/resources/decode-reference

Sources, all cut from the public-domain photo of ``resize-reference/photo.jpg``:

* Four-channel JPEGs, 75x61: ``cmyk-adobe.jpg`` (as Pillow writes CMYK: Adobe marker, transform 0, inverted
  samples), ``cmyk-no-adobe.jpg`` (the same without its Adobe marker), ``cmyk-progressive.jpg``, and YCCK (Adobe
  transform 2) written by libjpeg-turbo's TurboJPEG API (Pillow cannot write YCCK): ``ycck-420.jpg`` (chroma
  subsampled 2x2), ``ycck-444.jpg``, and ``ycck-transform-1.jpg`` (``ycck-420.jpg`` with an Adobe transform of 1,
  which libjpeg reads as YCCK with a warning). The ink is the photo with black (K) taken out, plus a block of
  seeded random ink, so every channel spans its range.
* EXIF orientation, 29x19: ``exif-1.jpg`` .. ``exif-8.jpg`` (the same RGB JPEG, EXIF orientation 1-8),
  ``exif-gray-5.jpg`` (greyscale), ``exif-png-6.png`` (a PNG with an eXIf chunk) and ``cmyk-exif-8.jpg``.

Each case is a line in ``cases.json``: a source, the card's ``exifOrientation`` (``ignore``: as read;
``apply``: ``exif_transpose``) and the expected 8-bit RGB PNG, ``<case>.rgb.png``.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import io
import json
import os

import numpy as np
from PIL import Image, ImageOps

SEED = 0
CMYK_SIZE = (75, 61)  # width, height: odd, so 2x2 chroma subsampling has a ragged edge
EXIF_SIZE = (29, 19)

# TurboJPEG API constants (turbojpeg.h, libjpeg-turbo 2.x)
TJPF_CMYK = 11
TJSAMP_444, TJSAMP_420 = 0, 2


def photo_rgb(photo: str, size: tuple[int, int]) -> np.ndarray:
    with Image.open(photo) as img:
        return np.asarray(img.convert("RGB").resize(size, Image.BILINEAR)).astype(np.int32)


def ink(photo: str) -> np.ndarray:
    """CMYK ink amounts (Pillow's "CMYK" mode: 0 = none): the photo with 3/4 of its grey taken out as black, and a
    16x16 block of seeded random ink in the bottom right corner."""
    rgb = photo_rgb(photo, CMYK_SIZE)
    k = (255 - rgb.max(axis=-1)) * 3 // 4
    cmy = np.clip(255 - rgb - k[..., None], 0, 255)
    cmyk = np.concatenate([cmy, k[..., None]], axis=-1)
    cmyk[-16:, -16:] = np.random.RandomState(SEED).randint(0, 256, (16, 16, 4))
    return cmyk.astype(np.uint8)


def jpeg(img: Image.Image, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90, **options)
    return buf.getvalue()


def segments(data: bytes):
    """(start, end, marker) of each marker segment before the first scan."""
    at = 2
    while at + 4 <= len(data):
        marker = data[at + 1]
        length = (data[at + 2] << 8) | data[at + 3]
        yield at, at + 2 + length, marker
        if marker == 0xDA:
            return
        at += 2 + length


def without_adobe_marker(data: bytes) -> bytes:
    out = bytearray(data[:2])
    for start, end, marker in segments(data):
        if marker == 0xDA:
            return bytes(out) + data[start:]
        if marker != 0xEE:
            out += data[start:end]
    raise ValueError("no scan")


def with_adobe_transform(data: bytes, transform: int) -> bytes:
    out = bytearray(data)
    for start, end, marker in segments(data):
        if marker == 0xEE and data[start + 4:start + 9] == b"Adobe":
            out[start + 4 + 11] = transform
            return bytes(out)
    raise ValueError("no Adobe marker")


def turbojpeg() -> ctypes.CDLL:
    name = ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise RuntimeError(f"YCCK sources need libturbojpeg (Debian: libturbojpeg0): {e}") from e
    lib.tjInitCompress.restype = ctypes.c_void_p
    lib.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                ctypes.c_int, ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
                                ctypes.POINTER(ctypes.c_ulong), ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.tjFree.argtypes = [ctypes.c_void_p]
    lib.tjDestroy.argtypes = [ctypes.c_void_p]
    return lib


def ycck(cmyk: np.ndarray, subsampling: int) -> bytes:
    """A YCCK JPEG (Adobe transform 2) of the ink, stored Adobe-inverted as Pillow stores CMYK: TurboJPEG writes
    every CMYK image as YCCK."""
    lib = turbojpeg()
    stored = np.ascontiguousarray(255 - cmyk)
    handle = lib.tjInitCompress()
    buf = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    try:
        h, w = stored.shape[:2]
        if lib.tjCompress2(handle, stored.ctypes.data, w, 0, h, TJPF_CMYK, ctypes.byref(buf), ctypes.byref(size),
                           subsampling, 90, 0) != 0:
            raise RuntimeError("tjCompress2 failed")
        return ctypes.string_at(buf, size.value)
    finally:
        if buf:
            lib.tjFree(buf)
        lib.tjDestroy(handle)


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def sources(photo: str) -> dict[str, bytes]:
    cmyk = ink(photo)
    adobe = jpeg(Image.fromarray(cmyk, "CMYK"))
    ycck420 = ycck(cmyk, TJSAMP_420)
    srcs = {
        "cmyk-adobe.jpg": adobe,
        "cmyk-no-adobe.jpg": without_adobe_marker(adobe),
        "cmyk-progressive.jpg": jpeg(Image.fromarray(cmyk, "CMYK"), progressive=True),
        "ycck-420.jpg": ycck420,
        "ycck-444.jpg": ycck(cmyk, TJSAMP_444),
        "ycck-transform-1.jpg": with_adobe_transform(ycck420, 1),
    }
    rgb = Image.fromarray(photo_rgb(photo, EXIF_SIZE).astype(np.uint8), "RGB")
    for orientation in range(1, 9):
        srcs[f"exif-{orientation}.jpg"] = jpeg(rgb, exif=exif_bytes(orientation))
    srcs["exif-gray-5.jpg"] = jpeg(rgb.convert("L"), exif=exif_bytes(5))
    png = io.BytesIO()
    rgb.save(png, format="PNG", exif=exif_bytes(6))
    srcs["exif-png-6.png"] = png.getvalue()
    cmyk_small = Image.fromarray(cmyk, "CMYK").crop((0, 0) + EXIF_SIZE)
    srcs["cmyk-exif-8.jpg"] = jpeg(cmyk_small, exif=exif_bytes(8))
    return srcs


def cases(names) -> list[tuple[str, str, str]]:
    """(case name, source, exifOrientation): every source as read, and as exif_transpose'd where it has EXIF."""
    out = []
    for source in names:
        stem = os.path.splitext(source)[0]
        out.append((stem, source, "ignore"))
        if "exif" in stem:
            out.append((stem + "-transposed", source, "apply"))
    return out


def reference(source: bytes, exif_orientation: str) -> Image.Image:
    img = Image.open(io.BytesIO(source))
    if exif_orientation == "apply":
        img = ImageOps.exif_transpose(img)
    return img.convert("RGB")


def write(out: str, photo: str) -> list[dict]:
    os.makedirs(out, exist_ok=True)
    srcs = sources(photo)
    for name, data in srcs.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    written = []
    for name, source, exif_orientation in cases(srcs):
        expected = name + ".rgb.png"
        reference(srcs[source], exif_orientation).save(os.path.join(out, expected), format="PNG", optimize=True)
        written.append({"name": name, "source": source, "exifOrientation": exif_orientation, "expected": expected})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(written, f, indent=1)
        f.write("\n")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--photo", default=None,
                        help="the photo to cut from (default: resize-reference/photo.jpg beside --out)")
    args = parser.parse_args()
    photo = args.photo or os.path.join(os.path.dirname(os.path.abspath(args.out)), "resize-reference", "photo.jpg")
    for case in write(args.out, photo):
        print(case["name"])


if __name__ == "__main__":
    main()
