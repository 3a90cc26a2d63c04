"""Reusable building blocks shared by the MLP-family architectures.

All exportable with torch 1.13 at ONNX opset 17 (GELU is exact/erf).
"""
from __future__ import annotations

import torch
from torch import nn


class PatchEmbed(nn.Module):
    """Patches via Conv2d(stride=patch): non-overlapping by default (kernel = patch), or overlapping
    with an explicit ``kernel``/``padding`` (e.g. CycleMLP's 7x7 stride-4 stem).

    Output: tokens [B, N, C] (``flatten=True``) or a feature map [B, C, H', W'].
    """

    def __init__(self, in_chans: int, dim: int, patch: int, img_size: int = 28, flatten: bool = True,
                 kernel: int | None = None, padding: int = 0):
        super().__init__()
        kernel = kernel or patch
        if kernel == patch and padding == 0:
            assert img_size % patch == 0, "image size must be divisible by the patch size"
        self.grid = (img_size + 2 * padding - kernel) // patch + 1
        self.num_tokens = self.grid * self.grid
        self.flatten = flatten
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=kernel, stride=patch, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        if self.flatten:
            x = x.flatten(2).transpose(1, 2)  # [B, C, H, W] -> [B, N, C]
        return x


class Mlp(nn.Module):
    """Linear -> exact GELU -> (dropout) -> Linear -> (dropout), along the last axis."""

    def __init__(self, in_features: int, hidden: int, out_features: int | None = None, drop: float = 0.0):
        super().__init__()
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden)
        self.act = nn.GELU(approximate="none")
        self.fc2 = nn.Linear(hidden, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


def layer_norm(dim: int, eps: float = 1e-5) -> nn.LayerNorm:
    """LayerNorm over the last axis (eps: 1e-6 for Mixer/gMLP blocks, 1e-5 elsewhere)."""
    return nn.LayerNorm(dim, eps=eps)


class ChannelsLastLayerNorm(nn.Module):
    """LayerNorm over channels of an NCHW tensor (permute, normalise, permute back)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Affine(nn.Module):
    """ResMLP's normalisation: a per-channel affine map alpha * x + beta along the last axis
    (no statistics; alpha = 1, beta = 0 at init)."""

    def __init__(self, dim: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.alpha * x + self.beta


class ConvMlp(nn.Module):
    """The channel MLP on an NCHW map: 1x1 conv -> exact GELU -> 1x1 conv."""

    def __init__(self, in_features: int, hidden: int, out_features: int | None = None):
        super().__init__()
        out_features = out_features or in_features
        self.fc1 = nn.Conv2d(in_features, hidden, 1)
        self.act = nn.GELU(approximate="none")
        self.fc2 = nn.Conv2d(hidden, out_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Downsample(nn.Module):
    """Between the stages of a hierarchical model: strided Conv2d on NCHW (halves H and W,
    changes the width). ``channels_last=True`` takes and returns [B, H, W, C] instead."""

    def __init__(self, in_dim: int, out_dim: int, kernel: int = 2, stride: int = 2, padding: int = 0,
                 channels_last: bool = False):
        super().__init__()
        self.channels_last = channels_last
        self.proj = nn.Conv2d(in_dim, out_dim, kernel_size=kernel, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            return self.proj(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.proj(x)


def _axis_slice(axis: int, start, stop) -> tuple:
    return (slice(None),) * axis + (slice(start, stop),)


def shift_along(x: torch.Tensor, axis: int, step: int, fill: str = "zero") -> torch.Tensor:
    """Functional shift: ``out[i] = x[i - step]`` along ``axis``; the ``|step|`` vacated positions are
    zeros (``fill="zero"``) or copies of the edge (``"replicate"``, |step| = 1 only).

    Built from constant slices + concat (never in-place assignment, which smears overlapping rows in
    eager PyTorch); needs no sizes from ``x.shape``, so the exported graph has no shape arithmetic.
    """
    if step == 0:
        return x
    k = abs(step)
    if fill == "replicate":
        assert k == 1, "replicate fill is defined for shifts of one position"
        edge = x[_axis_slice(axis, 0, 1)] if step > 0 else x[_axis_slice(axis, -1, None)]
    elif fill == "zero":
        edge = torch.zeros_like(x[_axis_slice(axis, 0, k)])
    else:
        raise ValueError(f"fill must be 'zero' or 'replicate', got {fill!r}")
    if step > 0:
        return torch.cat([edge, x[_axis_slice(axis, 0, -k)]], dim=axis)
    return torch.cat([x[_axis_slice(axis, k, None)], edge], dim=axis)


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class ClassifierHead(nn.Module):
    """Global average pool over tokens [B, N, C] -> (norm) -> Linear -> logits.

    The norm is a LayerNorm with ``norm_eps``, or any module given as ``norm`` (e.g. ``Affine``),
    or none. NCHW / NHWC maps go in as ``x.flatten(2).transpose(1, 2)`` / ``x.flatten(1, 2)``.
    """

    def __init__(self, dim: int, num_classes: int, norm_eps: float | None = None, norm: nn.Module | None = None):
        super().__init__()
        if norm is not None:
            self.norm = norm
        else:
            self.norm = layer_norm(dim, norm_eps) if norm_eps is not None else nn.Identity()
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc(self.norm(tokens).mean(dim=1))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
