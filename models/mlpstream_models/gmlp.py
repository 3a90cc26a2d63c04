"""gMLP (Liu et al., 2021, "Pay Attention to MLPs") for small grayscale images.

x -> PatchEmbed -> depth x gMLPBlock -> LayerNorm -> mean over tokens -> Linear.
gMLPBlock: x + proj_out(SGU(GELU(proj_in(LN(x)))))  with proj_in: dim -> d_ffn, proj_out: d_ffn/2 -> dim.
Spatial gating unit (SGU): split the d_ffn channels into u, v (halves); v <- LN(v);
v <- W v + b along the tokens (W: N x N, initialised ~ N(0, 1e-6), b = 1, so the unit starts as
identity-like gating u * 1); out = u * v.  LayerNorm eps 1e-6 throughout (as in Mixer).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .blocks import ClassifierHead, PatchEmbed, layer_norm

LN_EPS = 1e-6
SPATIAL_INIT_STD = 1e-6


@dataclass
class GMLPConfig:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    patch: int = 4
    dim: int = 96
    depth: int = 6
    d_ffn: int = 384
    drop: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return f"patch {self.patch}, dim {self.dim}, depth {self.depth}, d_ffn {self.d_ffn}"


class SpatialGatingUnit(nn.Module):
    def __init__(self, d_ffn: int, num_tokens: int):
        super().__init__()
        assert d_ffn % 2 == 0
        self.norm = layer_norm(d_ffn // 2, LN_EPS)
        self.spatial_proj = nn.Linear(num_tokens, num_tokens)  # along the token axis
        nn.init.normal_(self.spatial_proj.weight, std=SPATIAL_INIT_STD)
        nn.init.ones_(self.spatial_proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, N, d_ffn]
        u, v = x.chunk(2, dim=-1)
        v = self.norm(v)
        v = self.spatial_proj(v.transpose(1, 2)).transpose(1, 2)
        return u * v


class GMLPBlock(nn.Module):
    def __init__(self, num_tokens: int, dim: int, d_ffn: int, drop: float = 0.0):
        super().__init__()
        self.norm = layer_norm(dim, LN_EPS)
        self.proj_in = nn.Linear(dim, d_ffn)
        self.act = nn.GELU(approximate="none")
        self.sgu = SpatialGatingUnit(d_ffn, num_tokens)
        self.proj_out = nn.Linear(d_ffn // 2, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, N, C]
        y = self.sgu(self.act(self.proj_in(self.norm(x))))
        return x + self.drop(self.proj_out(y))


class GMLP(nn.Module):
    def __init__(self, cfg: GMLPConfig | None = None, **overrides):
        super().__init__()
        cfg = cfg or GMLPConfig(**overrides)
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg.in_chans, cfg.dim, cfg.patch, cfg.img_size)
        n = self.patch_embed.num_tokens
        self.blocks = nn.Sequential(*[GMLPBlock(n, cfg.dim, cfg.d_ffn, cfg.drop) for _ in range(cfg.depth)])
        self.head = ClassifierHead(cfg.dim, cfg.num_classes, norm_eps=LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.patch_embed(x)))
