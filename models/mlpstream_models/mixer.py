"""MLP-Mixer (Tolstikhin et al., 2021) for small grayscale images.

x -> PatchEmbed (conv stride=patch) -> depth x MixerBlock -> LayerNorm -> mean over tokens -> Linear.
MixerBlock: x + TokenMLP(LN(x)^T)^T, then x + ChannelMLP(LN(x)); LayerNorm eps = 1e-6.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .blocks import ClassifierHead, Mlp, PatchEmbed, layer_norm

LN_EPS = 1e-6


@dataclass
class MixerConfig:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    patch: int = 4
    dim: int = 96
    depth: int = 4
    token_hidden: int = 64
    channel_hidden: int = 192
    drop: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"patch {self.patch}, dim {self.dim}, depth {self.depth}, "
                f"token MLP {self.token_hidden}, channel MLP {self.channel_hidden}")


class MixerBlock(nn.Module):
    def __init__(self, num_tokens: int, dim: int, token_hidden: int, channel_hidden: int, drop: float = 0.0):
        super().__init__()
        self.norm1 = layer_norm(dim, LN_EPS)
        self.token_mlp = Mlp(num_tokens, token_hidden, drop=drop)
        self.norm2 = layer_norm(dim, LN_EPS)
        self.channel_mlp = Mlp(dim, channel_hidden, drop=drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, N, C]
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        x = x + self.channel_mlp(self.norm2(x))
        return x


class MlpMixer(nn.Module):
    def __init__(self, cfg: MixerConfig | None = None, **overrides):
        super().__init__()
        cfg = cfg or MixerConfig(**overrides)
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg.in_chans, cfg.dim, cfg.patch, cfg.img_size)
        n = self.patch_embed.num_tokens
        self.blocks = nn.Sequential(*[
            MixerBlock(n, cfg.dim, cfg.token_hidden, cfg.channel_hidden, cfg.drop) for _ in range(cfg.depth)
        ])
        self.head = ClassifierHead(cfg.dim, cfg.num_classes, norm_eps=LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.patch_embed(x)))
