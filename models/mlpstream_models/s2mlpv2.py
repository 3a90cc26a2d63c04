"""S2-MLPv2 (Yu et al., 2021) for small grayscale images.

Hierarchical: stem PatchEmbed -> stage 1 -> Downsample (2x2 conv, stride 2) -> stage 2 -> LayerNorm ->
mean over positions -> Linear.  Stages work channels-last ([B, H, W, C]).
Block: x + S2Attention(LN(x)), then x + ChannelMLP(LN(x))  (LayerNorm eps 1e-5).
S2Attention: Linear C -> 3C; branch 1 = spatial_shift1(first C), branch 2 = spatial_shift2(second C),
branch 3 = third C unshifted; split attention over the 3 branches; Linear C -> C.
Split attention: a = sum over branches and positions (a sum, not a mean) -> MLP C -> C -> 3C (no bias,
exact GELU) -> softmax over the 3 branches -> weighted sum of the branches.

Shifts are functional (slices + concat). The original in-place form ``x[:, 1:] = x[:, :-1]`` copies
overlapping memory and smears rows in eager PyTorch while the exported graph shifts cleanly.
spatial_shift1 on four channel quarters: q0 +1 along H, q1 -1 along H, q2 +1 along W, q3 -1 along W;
spatial_shift2 the same with the axes swapped. "+1 along H" means out[h] = in[h - 1]; the vacated
edge row keeps its own value (replicate).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .blocks import ClassifierHead, Downsample, Mlp, PatchEmbed, layer_norm, shift_along

LN_EPS = 1e-5
H_AXIS, W_AXIS = 1, 2  # channels-last [B, H, W, C]


def _quarter_shift(x: torch.Tensor, plan, channels: int | None) -> torch.Tensor:
    c = channels or x.shape[-1]
    bounds = [0, c // 4, c // 2, 3 * c // 4, c]
    parts = [shift_along(x[..., bounds[q]:bounds[q + 1]], axis, step, fill="replicate")
             for q, (axis, step) in enumerate(plan)]
    return torch.cat(parts, dim=-1)


def spatial_shift1(x: torch.Tensor, channels: int | None = None) -> torch.Tensor:
    """[B, H, W, C]: quarters shifted +1 H, -1 H, +1 W, -1 W (edges replicate).
    ``channels``: C as a constant (keeps shape arithmetic out of the exported graph)."""
    return _quarter_shift(x, [(H_AXIS, 1), (H_AXIS, -1), (W_AXIS, 1), (W_AXIS, -1)], channels)


def spatial_shift2(x: torch.Tensor, channels: int | None = None) -> torch.Tensor:
    """[B, H, W, C]: quarters shifted +1 W, -1 W, +1 H, -1 H (edges replicate)."""
    return _quarter_shift(x, [(W_AXIS, 1), (W_AXIS, -1), (H_AXIS, 1), (H_AXIS, -1)], channels)


class SplitAttention(nn.Module):
    def __init__(self, dim: int, k: int = 3):
        super().__init__()
        self.dim, self.k = dim, k
        self.mlp1 = nn.Linear(dim, dim, bias=False)
        self.act = nn.GELU(approximate="none")
        self.mlp2 = nn.Linear(dim, dim * k, bias=False)

    def forward(self, branches: torch.Tensor) -> torch.Tensor:  # [B, k, H, W, C]
        a = branches.sum(dim=(1, 2, 3))                                    # [B, C]: sum, not mean
        a = self.mlp2(self.act(self.mlp1(a))).reshape(-1, self.k, self.dim)
        a = a.softmax(dim=1).unsqueeze(2).unsqueeze(2)                     # [B, k, 1, 1, C]
        return (a * branches).sum(dim=1)                                   # [B, H, W, C]


class S2Attention(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.mlp1 = nn.Linear(dim, dim * 3)
        self.split_attention = SplitAttention(dim, 3)
        self.mlp2 = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, H, W, C]
        x = self.mlp1(x)
        c = self.dim
        x1 = spatial_shift1(x[..., :c], c)
        x2 = spatial_shift2(x[..., c:2 * c], c)
        x3 = x[..., 2 * c:]
        return self.mlp2(self.split_attention(torch.stack([x1, x2, x3], dim=1)))


class S2Block(nn.Module):
    def __init__(self, dim: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = layer_norm(dim, LN_EPS)
        self.attn = S2Attention(dim)
        self.norm2 = layer_norm(dim, LN_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@dataclass
class S2MLPv2Config:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    patch: int = 2            # stem patch (7 for the ImageNet models)
    dims: tuple = (48, 96)
    depths: tuple = (2, 3)
    mlp_ratio: float = 2.0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"patch {self.patch}, dims {list(self.dims)}, depths {list(self.depths)}, "
                f"MLP ratio {self.mlp_ratio}")


class S2MLPv2(nn.Module):
    def __init__(self, cfg: S2MLPv2Config | None = None, **overrides):
        super().__init__()
        cfg = cfg or S2MLPv2Config(**overrides)
        self.cfg = cfg
        dims, depths = list(cfg.dims), list(cfg.depths)
        assert len(dims) == len(depths) >= 1
        self.patch_embed = PatchEmbed(cfg.in_chans, dims[0], cfg.patch, cfg.img_size, flatten=False)
        stages = []
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            layers = [Downsample(dims[i - 1], dim, kernel=2, stride=2, channels_last=True)] if i > 0 else []
            layers += [S2Block(dim, cfg.mlp_ratio) for _ in range(depth)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.head = ClassifierHead(dims[-1], cfg.num_classes, norm_eps=LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).permute(0, 2, 3, 1)   # [B, H, W, C]
        return self.head(self.stages(x).flatten(1, 2))
