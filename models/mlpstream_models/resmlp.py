"""ResMLP (Touvron et al., 2021) for small grayscale images.

x -> PatchEmbed -> depth x ResMLPBlock -> Affine -> mean over tokens -> Linear.
ResMLPBlock (no LayerNorm anywhere; ``Affine`` = alpha * x + beta instead):
    x = x + ls1 * CrossPatch(Affine(x)^T)^T      CrossPatch: one Linear(N, N) across the tokens
    x = x + ls2 * ChannelMLP(Affine(x))          ChannelMLP: Linear -> exact GELU -> Linear
LayerScale ls1/ls2: per-channel vectors initialised to ``init_scale`` (0.1 for depth <= 18).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .blocks import Affine, ClassifierHead, Mlp, PatchEmbed


@dataclass
class ResMLPConfig:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    patch: int = 4
    dim: int = 96
    depth: int = 6
    mlp_ratio: float = 3.0
    init_scale: float = 0.1
    drop: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"patch {self.patch}, dim {self.dim}, depth {self.depth}, "
                f"channel MLP {int(self.dim * self.mlp_ratio)}, LayerScale {self.init_scale}")


class ResMLPBlock(nn.Module):
    def __init__(self, num_tokens: int, dim: int, hidden: int, init_scale: float, drop: float = 0.0):
        super().__init__()
        self.norm1 = Affine(dim)
        self.cross_patch = nn.Linear(num_tokens, num_tokens)
        self.ls1 = nn.Parameter(torch.full((dim,), init_scale))
        self.norm2 = Affine(dim)
        self.channel_mlp = Mlp(dim, hidden, drop=drop)
        self.ls2 = nn.Parameter(torch.full((dim,), init_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, N, C]
        x = x + self.ls1 * self.cross_patch(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        x = x + self.ls2 * self.channel_mlp(self.norm2(x))
        return x


class ResMLP(nn.Module):
    def __init__(self, cfg: ResMLPConfig | None = None, **overrides):
        super().__init__()
        cfg = cfg or ResMLPConfig(**overrides)
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg.in_chans, cfg.dim, cfg.patch, cfg.img_size)
        n = self.patch_embed.num_tokens
        hidden = int(cfg.dim * cfg.mlp_ratio)
        self.blocks = nn.Sequential(*[
            ResMLPBlock(n, cfg.dim, hidden, cfg.init_scale, cfg.drop) for _ in range(cfg.depth)
        ])
        self.head = ClassifierHead(cfg.dim, cfg.num_classes, norm=Affine(cfg.dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.patch_embed(x)))
