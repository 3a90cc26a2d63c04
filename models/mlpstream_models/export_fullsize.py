"""Full-size (ImageNet-shaped) variants with seeded random weights, for benchmarking the pipeline.

    cd models && /usr/bin/python3 -m mlpstream_models.export_fullsize --out fullsize [--arch NAME|all]

Writes <out>/<name>/model.onnx (opset 17, input 'input' [N,3,224,224], output 'logits' [N,1000],
dynamic N, weights embedded) and model.json (card: RGB, resize 256, center crop 224, bilinear,
scale 255, ImageNet mean/std, labels class-0..class-999). The weights are random (seed 0): the outputs
mean nothing, the cost per image is that of the real model. models/fullsize/ is git-ignored.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from .blocks import count_parameters
from .export import OPSET, export_onnx, sha256_file
from .registry import architecture_name, build_model, deploy_form

IMAGENET = {"img_size": 224, "in_chans": 3, "num_classes": 1000}
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

# name -> (arch, config, the published model it follows)
FULLSIZE = {
    "mixer-s16": ("mixer", {"patch": 16, "dim": 512, "depth": 8, "token_hidden": 256, "channel_hidden": 2048},
                  "Mixer-S/16"),
    "resmlp-12": ("resmlp", {"patch": 16, "dim": 384, "depth": 12, "mlp_ratio": 4.0, "init_scale": 0.1},
                  "ResMLP-12"),
    "gmlp-s": ("gmlp", {"patch": 16, "dim": 256, "depth": 30, "d_ffn": 1536}, "gMLP-S"),
    "cyclemlp-b1": ("cyclemlp", {"stem_patch": 4, "stem_kernel": 7, "stem_padding": 2, "dims": (64, 128, 320, 512),
                                 "depths": (2, 2, 4, 2), "mlp_ratio": 4.0, "cycle_kernel": 3}, "CycleMLP-B1"),
    # The S2-MLPv2 code is not published; this is the paper's two-stage pyramid (7x7 patches, 192 then
    # 384 channels at 32x32 / 16x16, MLP ratio 3) with assumed depths.
    "s2mlpv2-s": ("s2mlpv2", {"patch": 7, "dims": (192, 384), "depths": (7, 17), "mlp_ratio": 3.0},
                  "S2-MLPv2-S (approximate)"),
    "repmlp-t": ("repmlp", {"patch": 4, "dims": (64, 128, 256, 512), "depths": (2, 2, 6, 2), "parts": (56, 28, 14, 7),
                            "sharesets": (1, 4, 16, 128), "conv_kernels": (1, 3), "gp_reduce": 4, "ffn_expand": 4.0},
                 "RepMLPNet-T224"),
    "asmlp-t": ("asmlp", {"patch": 4, "dims": (96, 192, 384, 768), "depths": (2, 2, 6, 2), "shift_size": 5,
                          "mlp_ratio": 4.0}, "AS-MLP-T"),
}
ARCH_TO_NAME = {arch: name for name, (arch, _, _) in FULLSIZE.items()}


def fullsize_card(name: str, arch: str, model, follows: str, onnx_path: str) -> dict:
    return {
        "name": name,
        "version": "1",
        "architecture": architecture_name(arch),
        "description": f"{follows}-shaped {architecture_name(arch)} ({model.cfg.describe()}) with seeded RANDOM "
                       f"weights, for benchmarking only: its predictions mean nothing",
        "file": "model.onnx",
        "sha256": sha256_file(onnx_path),
        "opset": OPSET,
        "input": {"name": "input", "layout": "NCHW", "channels": 3, "height": 224, "width": 224,
                  "color": "rgb", "resize": 256, "interpolation": "bilinear", "scale": 255.0,
                  "mean": MEAN, "std": STD},
        "output": {"name": "logits", "kind": "logits"},
        "labels": [f"class-{i}" for i in range(1000)],
        "training": {"data": "none: random weights (torch.manual_seed(0)), not trained", "seed": 0},
        "heldOutAccuracy": None,
        "heldOutCount": None,
        "parameterCount": count_parameters(model),
    }


def export_one(name: str, out_dir: str, overrides: dict | None = None, seed: int = 0) -> dict:
    """Build, (merge,) export and card one full-size model; ``overrides`` e.g. shrink depth in tests."""
    arch, config, follows = FULLSIZE[name]
    torch.manual_seed(seed)
    model = deploy_form(build_model(arch, {**config, **IMAGENET, **(overrides or {})}).eval())
    os.makedirs(os.path.join(out_dir, name), exist_ok=True)
    onnx_path = os.path.join(out_dir, name, "model.onnx")
    export_onnx(model, onnx_path, in_chans=3, img_size=224, num_classes=1000)
    card = fullsize_card(name, arch, model, follows, onnx_path)
    with open(os.path.join(out_dir, name, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    return card


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="fullsize")
    ap.add_argument("--arch", default="all", help=f"all, or one of {sorted(ARCH_TO_NAME)} / {sorted(FULLSIZE)}")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.arch == "all":
        names = list(FULLSIZE)
    else:
        names = [ARCH_TO_NAME.get(args.arch, args.arch)]
        if names[0] not in FULLSIZE:
            ap.error(f"unknown --arch {args.arch!r}")
    for name in names:
        t0 = time.time()
        card = export_one(name, args.out)
        size = os.path.getsize(os.path.join(args.out, name, "model.onnx"))
        print(f"{name}: {card['architecture']} {card['parameterCount']:,} params, {size / 1e6:.1f} MB, "
              f"{time.time() - t0:.1f}s -> {os.path.join(args.out, name)}", flush=True)


if __name__ == "__main__":
    main()
