"""Held-out binary format (gzip): b'MLPD', int32 BE N, int32 BE rows, int32 BE cols,
then N records [label uint8][rows*cols uint8 pixels row-major]; class 0 first."""
from __future__ import annotations

import gzip
import io
import os
import struct
import tempfile

import numpy as np

MAGIC = b"MLPD"


def write_heldout(path: str, pixels: np.ndarray, labels: np.ndarray) -> None:
    n, rows, cols = pixels.shape
    assert labels.shape == (n,)
    records = np.concatenate([labels.astype(np.uint8).reshape(n, 1),
                              pixels.astype(np.uint8).reshape(n, rows * cols)], axis=1)
    raw = MAGIC + struct.pack(">iii", n, rows, cols) + records.tobytes()
    # mtime=0 and no file name -> byte-identical output on every run
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    content = buf.getvalue()
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == content:
                return  # unchanged: leave the file alone (several trainings may run at once)
    # atomic replace: a concurrent reader sees the old or the new file, never a partial one
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".heldout-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read_heldout(path: str):
    """Return (pixels uint8 [N, rows, cols], labels uint8 [N])."""
    with gzip.open(path, "rb") as gz:
        raw = gz.read()
    assert raw[:4] == MAGIC, raw[:4]
    n, rows, cols = struct.unpack(">iii", raw[4:16])
    rec = rows * cols + 1
    assert len(raw) == 16 + n * rec, (len(raw), n, rows, cols)
    arr = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rec)
    return arr[:, 1:].reshape(n, rows, cols).copy(), arr[:, 0].copy()
