"""Cross-check exported ONNX files with ONNX Runtime (where the Python onnxruntime is installed; the
pinned Debian toolchain has none, the Java side checks the zoo against golden.json on its own).

    /usr/bin/python3 -m mlpstream_models.ort_check --prepare DIR   # here: fresh seeded models + torch outputs
    python3 -m mlpstream_models.ort_check --dir DIR --zoo          # where onnxruntime is: compare

--prepare exports every architecture (digits config, seeded; RepMLP with random BN statistics, merged)
to DIR/<arch>.onnx and writes DIR/<arch>.npz with an input batch and the local PyTorch logits.
--dir compares ORT against those at batch 5 and batch 1; --zoo compares every model in zoo/index.txt
against its golden.json (batch 16 and batch 1). Exits non-zero on a difference above --atol.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np

from . import data

ZOO = os.path.join(data.MODELS_DIR, "zoo")


def prepare(out: str) -> None:
    import torch

    from .export import export_onnx
    from .registry import ARCHS, build_model, deploy_form

    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    for arch in ARCHS:
        torch.manual_seed(0)
        model = build_model(arch)
        for m in model.modules():  # non-trivial BN statistics, so merging has something to fold
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.5, 0.5)
        model = deploy_form(model.eval())
        x = torch.randn(5, 1, 28, 28)
        with torch.no_grad():
            logits = model(x).numpy()
        export_onnx(model, os.path.join(out, f"{arch}.onnx"))
        np.savez(os.path.join(out, f"{arch}.npz"), input=x.numpy(), logits=logits)
        print(f"prepared {arch}")


def _run(session, x: np.ndarray) -> np.ndarray:
    return session.run(["logits"], {"input": x})[0]


def compare(onnx_path: str, x: np.ndarray, expected: np.ndarray, atol: float) -> bool:
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    batch = _run(session, x)
    single = np.concatenate([_run(session, x[i:i + 1]) for i in range(len(x))])
    d_batch = float(np.abs(batch - expected).max())
    d_single = float(np.abs(single - expected).max())
    ok = max(d_batch, d_single) <= atol
    print(f"{'ok ' if ok else 'BAD'} {onnx_path}: max |ORT - torch| batch {len(x)}: {d_batch:.3g}, "
          f"batch 1: {d_single:.3g} (ORT {ort.__version__})", flush=True)
    return ok


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prepare", metavar="DIR")
    ap.add_argument("--dir", metavar="DIR")
    ap.add_argument("--zoo", action="store_true")
    ap.add_argument("--atol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    if args.prepare:
        prepare(args.prepare)
        return
    ok = True
    if args.dir:
        for path in sorted(glob.glob(os.path.join(args.dir, "*.onnx"))):
            ref = np.load(path[:-5] + ".npz")
            ok &= compare(path, ref["input"], ref["logits"], args.atol)
    if args.zoo:
        with open(os.path.join(ZOO, "index.txt")) as f:
            names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        for name in names:
            with open(os.path.join(ZOO, name, "golden.json")) as f:
                golden = json.load(f)
            x = np.asarray(golden["inputs"], dtype=np.float32).reshape(-1, 1, 28, 28)
            ok &= compare(os.path.join(ZOO, name, "model.onnx"), x, np.asarray(golden["logits"], np.float32), args.atol)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
