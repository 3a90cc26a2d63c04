"""Equivalence and export checks of the architectures (fresh, seeded models; no training).

Nothing here is compared with a committed float result. Two computations of the same function in different
ways (branch vs merged RepMLP, Cycle FC vs deform_conv2d) agree within a tolerance well above float32
error on any CPU; shifts are pure data movement and the same computation run twice on one machine gives
the same bits, so those are compared exactly.
"""
import copy
import itertools
import json
import os

import onnx
import pytest
import torch
import torchvision

import mlpstream_models  # noqa: F401  (sets BLAS thread env before torch/numpy use)
from mlpstream_models.asmlp import axial_shift
from mlpstream_models.blocks import count_parameters
from mlpstream_models.cyclemlp import CycleFC, CycleMLP, cycle_offsets
from mlpstream_models.export import OPSET, check_onnx, export_onnx
from mlpstream_models.export_fullsize import FULLSIZE, export_one
from mlpstream_models.registry import ARCHS, architecture_name, build_model, deploy_form, recipe
from mlpstream_models.repmlp import RepMLPConfig, RepMLPNet
from mlpstream_models.s2mlpv2 import spatial_shift1, spatial_shift2

torch.set_num_threads(2)


def _randomize_bn(model):
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
            m.running_mean.uniform_(-1.0, 1.0)
            m.running_var.uniform_(0.3, 3.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)


# ---- RepMLP: branch form == merged (deploy) form ------------------------------------------------

@pytest.mark.parametrize("config", [
    {},                                                                     # the digits model
    {"dims": (16, 32), "depths": (1, 1), "parts": (7, 7), "sharesets": (2, 4), "conv_kernels": (1, 3, 5)},
    {"patch": 4, "dims": (24,), "depths": (2,), "parts": (7,), "sharesets": (1,)},  # one partition
])
def test_repmlp_branch_form_equals_merged_form(config):
    torch.manual_seed(0)
    model = build_model("repmlp", config)
    # a few training steps give the BN layers real running statistics ...
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 1, 28, 28) * 2 + 0.5)
    _randomize_bn(model)  # ... and random affine/statistics make every fold non-trivial
    model.eval()
    x = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        branch = model(x)
        merged_model = copy.deepcopy(model).merge()
        merged = merged_model(x)
    assert merged_model.cfg.deploy and not model.cfg.deploy
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and "repmlp" in n
                   for n, m in merged_model.named_modules())  # no BN left inside the RepMLP blocks
    assert all(len(b.branches) == 0 for b in merged_model.modules() if hasattr(b, "branches"))
    assert branch.abs().max() > 0.1
    # outputs up to ~2.2; measured <= 4.8e-7 (AVX2 and scalar kernels), a wrong fold is off by >> 1e-3
    assert (branch - merged).abs().max().item() <= 1e-5
    # the merged weights load into a model built directly in deploy form
    deployed = RepMLPNet(RepMLPConfig(**merged_model.cfg.to_dict()))
    deployed.load_state_dict(merged_model.state_dict())
    with torch.no_grad():  # the same weights and computation on the same machine: bit-identical
        assert torch.equal(deployed.eval()(x), merged)


# ---- CycleMLP: Cycle FC as shifts == deform_conv2d with the same integer offsets ----------------

@pytest.mark.parametrize("kernel_size", [(1, 3), (3, 1), (1, 7), (7, 1)])
def test_cycle_fc_equals_deform_conv2d(kernel_size):
    torch.manual_seed(0)
    c_in, c_out, b, h, w = 11, 6, 2, 9, 8
    fc = CycleFC(c_in, c_out, kernel_size)
    x = torch.randn(b, c_in, h, w)
    k = max(kernel_size)
    # offsets for a 1x1 deformable kernel with one offset group per input channel:
    # channel i samples (y + dy_i, x + dx_i); [2i] = dy, [2i+1] = dx
    offset = torch.zeros(b, 2 * c_in, h, w)
    for i in range(c_in):
        d = (i + k // 2) % k - k // 2
        assert d == cycle_offsets(c_in, k)[i]
        offset[:, 2 * i + (1 if kernel_size[0] == 1 else 0)] = float(d)
    ref = torchvision.ops.deform_conv2d(x, offset, fc.proj.weight, fc.proj.bias)
    with torch.no_grad():
        got = fc(x)
    # outputs up to ~1.9, sums of 11 products in another order: measured <= 3.6e-7 (AVX2 and scalar kernels),
    # a wrong offset is off by ~1
    assert torch.allclose(got, ref, atol=1e-5, rtol=0), (got - ref).abs().max()
    # and the shift alone moves values exactly (a one-hot kernel: x * 1 plus zeros, exact on any CPU):
    # channel i of the output at p is the input at p + d_i
    with torch.no_grad():
        shifted = fc.shift(x)
    for i, d in enumerate(cycle_offsets(c_in, k)):
        for p in range(h if kernel_size[0] > 1 else w):
            q = p + d
            take = (lambda t, j: t[:, i, j, :]) if kernel_size[0] > 1 else (lambda t, j: t[:, i, :, j])
            expected = take(x, q) if 0 <= q < (h if kernel_size[0] > 1 else w) else torch.zeros_like(take(x, 0))
            assert torch.equal(take(shifted, p), expected)


def test_cyclemlp_is_hierarchical():
    model = CycleMLP()
    assert len(model.cfg.dims) >= 2 and model.final_size == 7


# ---- S2-MLPv2 spatial shifts == explicit loops -------------------------------------------------

def _loop_shift(x, plan):
    """Reference: [B,H,W,C]; quarter q moves by (dh, dw) = plan[q]; out[h,w] = x[clamp(h-dh), clamp(w-dw)]."""
    b, hh, ww, c = x.shape
    bounds = [0, c // 4, c // 2, 3 * c // 4, c]
    out = torch.empty_like(x)
    for q in range(4):
        dh, dw = plan[q]
        for ch in range(bounds[q], bounds[q + 1]):
            for i in range(hh):
                for j in range(ww):
                    si = min(max(i - dh, 0), hh - 1)
                    sj = min(max(j - dw, 0), ww - 1)
                    out[:, i, j, ch] = x[:, si, sj, ch]
    return out


@pytest.mark.parametrize("channels", [8, 12, 10])
def test_s2_spatial_shifts_equal_loop_reference(channels):
    torch.manual_seed(0)
    x = torch.randn(2, 5, 6, channels)
    # shift1: +1 H, -1 H, +1 W, -1 W; shift2: the axes swapped
    ref1 = _loop_shift(x, [(1, 0), (-1, 0), (0, 1), (0, -1)])
    ref2 = _loop_shift(x, [(0, 1), (0, -1), (1, 0), (-1, 0)])
    assert torch.equal(spatial_shift1(x), ref1)
    assert torch.equal(spatial_shift2(x), ref2)
    assert torch.equal(spatial_shift1(x, channels), ref1)
    # the input is untouched (no in-place shifting)
    x0 = x.clone()
    spatial_shift1(x), spatial_shift2(x)
    assert torch.equal(x, x0)


# ---- AS-MLP axial shift == explicit loop --------------------------------------------------------

def _loop_axial(x, shift_size, axis):
    b, c, h, w = x.shape
    size = -(-c // shift_size)  # torch.chunk group size
    shifts = list(range(-(shift_size // 2), shift_size // 2 + 1))
    out = torch.zeros_like(x)
    for ch in range(c):
        s = shifts[ch // size]
        for i in range(h):
            for j in range(w):
                si, sj = (i - s, j) if axis == 2 else (i, j - s)
                if 0 <= si < h and 0 <= sj < w:
                    out[:, ch, i, j] = x[:, ch, si, sj]
    return out


@pytest.mark.parametrize("shift_size,channels,axis", [(3, 9, 2), (3, 9, 3), (3, 10, 3), (5, 12, 2), (5, 12, 3)])
def test_axial_shift_equals_loop_reference(shift_size, channels, axis):
    torch.manual_seed(0)
    x = torch.randn(2, channels, 6, 7)
    ref = _loop_axial(x, shift_size, axis)
    assert torch.equal(axial_shift(x, shift_size, axis), ref)
    assert torch.equal(axial_shift(x, shift_size, axis, channels), ref)


def test_axial_shift_matches_original_roll_formulation():
    """AS-MLP's published form: zero pad, chunk, torch.roll by -pad..pad, crop."""
    torch.manual_seed(0)
    x = torch.randn(2, 12, 6, 7)
    for shift_size, axis in itertools.product((3, 5), (2, 3)):
        pad = shift_size // 2
        xp = torch.nn.functional.pad(x, (pad, pad, pad, pad))
        xs = torch.chunk(xp, shift_size, 1)
        rolled = torch.cat([torch.roll(xc, s, axis) for xc, s in zip(xs, range(-pad, pad + 1))], 1)
        ref = rolled[:, :, pad:pad + 6, pad:pad + 7]
        assert torch.equal(axial_shift(x, shift_size, axis), ref)


# ---- every architecture exports (fresh, seeded) -------------------------------------------------

@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_fresh_architecture_exports(arch, tmp_path):
    torch.manual_seed(0)
    model = deploy_form(build_model(arch).eval())
    path = str(tmp_path / f"{arch}.onnx")
    export_onnx(model, path)
    m = check_onnx(path)  # checker, opset 17, no external data, 'input' [N,1,28,28] -> 'logits' [N,10]
    onnx.checker.check_model(m)
    assert {o.domain: o.version for o in m.opset_import}.get("") == OPSET == 17
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert m.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert os.path.getsize(path) < 5 * 1024 * 1024
    ops = {n.op_type for n in m.graph.node}
    assert "Erf" in ops  # exact GELU
    assert not any("deform" in op.lower() for op in ops)
    assert architecture_name(arch) and recipe(arch)["epochs"] > 0


def test_architectures_are_distinct_and_small():
    counts = {}
    for arch in ARCHS:
        torch.manual_seed(0)
        counts[arch] = count_parameters(deploy_form(build_model(arch).eval()))
    assert all(50_000 < n < 1_000_000 for n in counts.values()), counts
    assert set(ARCHS) == {"mixer", "resmlp", "gmlp", "cyclemlp", "s2mlpv2", "repmlp", "asmlp"}


# ---- full-size variants --------------------------------------------------------------------------

def test_fullsize_configs_cover_every_architecture():
    assert {arch for arch, _, _ in FULLSIZE.values()} == set(ARCHS)


def test_fullsize_export_runs_reduced(tmp_path):
    """ResMLP-12's ImageNet shape at depth 1 (the real one differs only in depth): exports with the
    224x224x3 -> 1000 contract and an ImageNet card."""
    card = export_one("resmlp-12", str(tmp_path), overrides={"depth": 1})
    path = tmp_path / "resmlp-12" / "model.onnx"
    m = check_onnx(str(path), num_classes=1000, in_chans=3, img_size=224)
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    with open(tmp_path / "resmlp-12" / "model.json") as f:
        assert json.load(f) == card
    inp = card["input"]
    assert (inp["channels"], inp["height"], inp["width"], inp["color"], inp["resize"], inp["interpolation"]) == \
        (3, 224, 224, "rgb", 256, "bilinear")
    assert inp["mean"] == [0.485, 0.456, 0.406] and inp["std"] == [0.229, 0.224, 0.225]
    assert card["labels"] == [f"class-{i}" for i in range(1000)]
    from mlpstream_models.export import sha256_file
    assert card["sha256"] == sha256_file(str(path))


def test_fullsize_repmlp_merges_at_full_partition_size():
    """RepMLPNet-T's first stage has a 56x56 partition (a 3136x3136 FC per share-set): the merge must
    still equal the branch form there (checked on a one-block slice to stay fast)."""
    torch.manual_seed(0)
    cfg = dict(FULLSIZE["repmlp-t"][1], img_size=224, in_chans=3, num_classes=1000,
               dims=(8,), depths=(1,), parts=(56,), sharesets=(1,))
    model = build_model("repmlp", cfg)
    _randomize_bn(model)
    model.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        a = model(x)
        b = copy.deepcopy(model).merge()(x)
    assert (a - b).abs().max().item() <= 1e-5  # outputs up to ~2.8; measured 3.6e-7
