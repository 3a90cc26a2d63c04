"""AS-MLP (Lian et al., 2022, "Axial Shifted MLP") for small grayscale images.

Hierarchical, NCHW throughout: stem PatchEmbed -> stage 1 -> Downsample (2x2 conv, stride 2, the
patch-merging step) -> stage 2 -> GroupNorm -> mean over positions -> Linear.
Block: x + AxialShift(Norm(x)), then x + ConvMLP(Norm(x)); Norm = GroupNorm(1, C) (LayerNorm over
C, H, W; eps 1e-5).
AxialShift: 1x1 conv -> Norm -> GELU -> two branches, one shifted along W, one along H ->
1x1 conv + GELU each -> sum -> Norm -> 1x1 conv.
Axial shift with shift size s (odd, e.g. 3): the channels are cut into s groups (torch.chunk) and
group g moves by g - s//2 (-1 / 0 / +1 for s = 3) along the axis: out[i] = x[i - shift], zero where
i - shift falls outside the map. Written functionally as per-group slices + zeros + concat (blocks.shift_along).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .blocks import ClassifierHead, ConvMlp, Downsample, PatchEmbed, shift_along

GN_EPS = 1e-5


def shift_groups(channels: int, shift_size: int) -> list:
    """[(start, stop, shift)]: torch.chunk's channel groups (size ceil(C / s)) with shifts
    -s//2 .. s//2 in order (fewer groups than s when C is tiny, as zip() in the original)."""
    size = -(-channels // shift_size)
    starts = range(0, channels, size)
    return [(a, min(a + size, channels), s) for a, s in zip(starts, range(-(shift_size // 2), shift_size // 2 + 1))]


def axial_shift(x: torch.Tensor, shift_size: int, axis: int, channels: int | None = None) -> torch.Tensor:
    """NCHW ``x``; axis 2 (H) or 3 (W). Channel group g is shifted by g - shift_size//2 along
    ``axis`` (out[i] = x[i - shift]), zero fill. ``channels``: C as a constant (lean export)."""
    assert axis in (2, 3) and shift_size % 2 == 1
    c = channels or x.shape[1]
    return torch.cat([shift_along(x[:, a:b], axis, s, fill="zero") for a, b, s in shift_groups(c, shift_size)], dim=1)


def group_norm(dim: int) -> nn.GroupNorm:
    return nn.GroupNorm(1, dim, eps=GN_EPS)


class AxialShift(nn.Module):
    def __init__(self, dim: int, shift_size: int):
        super().__init__()
        self.shift_size = shift_size
        self.dim = dim
        self.conv1 = nn.Conv2d(dim, dim, 1)
        self.norm1 = group_norm(dim)
        self.act = nn.GELU(approximate="none")
        self.conv2_1 = nn.Conv2d(dim, dim, 1)  # after the shift along W (left-right)
        self.conv2_2 = nn.Conv2d(dim, dim, 1)  # after the shift along H (top-down)
        self.norm2 = group_norm(dim)
        self.conv3 = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.norm1(self.conv1(x)))
        x_lr = self.act(self.conv2_1(axial_shift(x, self.shift_size, 3, self.dim)))
        x_td = self.act(self.conv2_2(axial_shift(x, self.shift_size, 2, self.dim)))
        return self.conv3(self.norm2(x_lr + x_td))


class ASBlock(nn.Module):
    def __init__(self, dim: int, shift_size: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = group_norm(dim)
        self.axial_shift = AxialShift(dim, shift_size)
        self.norm2 = group_norm(dim)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.axial_shift(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@dataclass
class ASMLPConfig:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    patch: int = 2            # stem patch (4 for the ImageNet models)
    dims: tuple = (48, 96)
    depths: tuple = (2, 3)
    shift_size: int = 3
    mlp_ratio: float = 3.0

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"patch {self.patch}, dims {list(self.dims)}, depths {list(self.depths)}, "
                f"shift size {self.shift_size}, MLP ratio {self.mlp_ratio}")


class ASMLP(nn.Module):
    def __init__(self, cfg: ASMLPConfig | None = None, **overrides):
        super().__init__()
        cfg = cfg or ASMLPConfig(**overrides)
        self.cfg = cfg
        dims, depths = list(cfg.dims), list(cfg.depths)
        assert len(dims) == len(depths) >= 1
        self.patch_embed = PatchEmbed(cfg.in_chans, dims[0], cfg.patch, cfg.img_size, flatten=False)
        stages = []
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            layers = [Downsample(dims[i - 1], dim, kernel=2, stride=2)] if i > 0 else []
            layers += [ASBlock(dim, cfg.shift_size, cfg.mlp_ratio) for _ in range(depth)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.norm = group_norm(dims[-1])
        self.head = ClassifierHead(dims[-1], cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.stages(self.patch_embed(x)))
        return self.head(x.flatten(2).transpose(1, 2))
