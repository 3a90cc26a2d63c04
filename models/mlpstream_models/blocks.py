"""Reusable building blocks shared by the MLP-family architectures.

All exportable with torch 1.13 at ONNX opset 17 (GELU is exact/erf).
"""
from __future__ import annotations

import torch
from torch import nn


class PatchEmbed(nn.Module):
    """Non-overlapping patches via Conv2d(kernel=stride=patch).

    Output: tokens [B, N, C] (``flatten=True``) or a feature map [B, C, H', W'].
    """

    def __init__(self, in_chans: int, dim: int, patch: int, img_size: int = 28, flatten: bool = True):
        super().__init__()
        assert img_size % patch == 0, "image size must be divisible by the patch size"
        self.grid = img_size // patch
        self.num_tokens = self.grid * self.grid
        self.flatten = flatten
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

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


class ClassifierHead(nn.Module):
    """Global average pool over tokens [B, N, C] -> (LayerNorm) -> Linear -> logits."""

    def __init__(self, dim: int, num_classes: int, norm_eps: float | None = None):
        super().__init__()
        self.norm = layer_norm(dim, norm_eps) if norm_eps is not None else nn.Identity()
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc(self.norm(tokens).mean(dim=1))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
