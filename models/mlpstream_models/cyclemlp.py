"""CycleMLP (Chen et al., 2022) for small grayscale images, without DeformConv.

Hierarchical: stem PatchEmbed -> stage 1 -> Downsample (3x3 conv, stride 2) -> stage 2 -> ... ->
LayerNorm -> mean over positions -> Linear.  Stages work channels-last ([B, H, W, C]).
Block: x + CycleMixer(LN(x)), then x + ChannelMLP(LN(x))  (LayerNorm eps 1e-5).
CycleMixer: three branches, h = CycleFC along W (1 x K), w = CycleFC along H (K x 1), c = Linear;
a = softmax over the 3 branches of MLP(mean over positions of h + w + c) (C -> C/4 -> 3C);
out = Linear(a_h * h + a_w * w + a_c * c).

Cycle FC (the paper's deformable 1x1 conv with fixed integer offsets) is *exactly* a per-channel
shift followed by a 1x1 conv: channel i reads position p + d_i along its axis, with
d_i = (i + K//2) mod K - K//2, zero outside the map. The shift is written as a depthwise conv whose
K x 1 / 1 x K kernels are fixed one-hot vectors (hot at d_i + K//2, padding K//2); torch 1.13 cannot
export torchvision's deform_conv2d, and this form exports to plain Conv nodes.
(tests/test_architectures.py checks it against torchvision.ops.deform_conv2d.)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import ClassifierHead, Downsample, Mlp, PatchEmbed, conv_out_size, layer_norm

LN_EPS = 1e-5


def cycle_offsets(channels: int, k: int) -> list:
    """d_i = (i + k//2) mod k - k//2 for each channel i (the CycleMLP offset pattern)."""
    return [(i + k // 2) % k - k // 2 for i in range(channels)]


def cycle_shift_kernel(channels: int, kernel_size: tuple) -> torch.Tensor:
    """Fixed depthwise kernel [C, 1, kh, kw] (one of kh, kw is 1): one-hot at d_i + k//2."""
    kh, kw = kernel_size
    assert kh == 1 or kw == 1, "Cycle FC shifts along one axis"
    k = max(kh, kw)
    weight = torch.zeros(channels, 1, kh, kw)
    for i, d in enumerate(cycle_offsets(channels, k)):
        if kh == 1:
            weight[i, 0, 0, d + k // 2] = 1.0
        else:
            weight[i, 0, d + k // 2, 0] = 1.0
    return weight


class CycleFC(nn.Module):
    """Cycle FC on NCHW: out = Conv1x1(shift(x)) where channel i is read at p + d_i along one axis."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple):
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.padding = (self.kernel_size[0] // 2, self.kernel_size[1] // 2)
        self.in_channels = in_channels
        # fixed, not trained, rebuilt from the config: kept out of the state dict
        self.register_buffer("shift_weight", cycle_shift_kernel(in_channels, self.kernel_size), persistent=False)
        self.proj = nn.Conv2d(in_channels, out_channels, 1)

    def shift(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.shift_weight, padding=self.padding, groups=self.in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.shift(x))


class CycleMixer(nn.Module):
    """The token-mixing layer of a CycleMLP block, channels-last in and out."""

    def __init__(self, dim: int, k: int):
        super().__init__()
        self.mlp_c = nn.Linear(dim, dim)
        self.sfc_h = CycleFC(dim, dim, (1, k))  # shifts along W
        self.sfc_w = CycleFC(dim, dim, (k, 1))  # shifts along H
        self.reweight = Mlp(dim, dim // 4, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, H, W, C]
        xc = x.permute(0, 3, 1, 2)
        h = self.sfc_h(xc).permute(0, 2, 3, 1)
        w = self.sfc_w(xc).permute(0, 2, 3, 1)
        c = self.mlp_c(x)
        a = (h + w + c).mean(dim=(1, 2))                                  # [B, C]
        a = self.reweight(a).reshape(-1, self.dim, 3).permute(2, 0, 1)   # [3, B, C]
        a = a.softmax(dim=0).unsqueeze(2).unsqueeze(2)                   # [3, B, 1, 1, C]
        return self.proj(h * a[0] + w * a[1] + c * a[2])


class CycleBlock(nn.Module):
    def __init__(self, dim: int, mlp_ratio: float, k: int):
        super().__init__()
        self.norm1 = layer_norm(dim, LN_EPS)
        self.mixer = CycleMixer(dim, k)
        self.norm2 = layer_norm(dim, LN_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.mixer(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@dataclass
class CycleMLPConfig:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    stem_patch: int = 2       # stem stride
    stem_kernel: int = 2      # 7 with padding 2 and stride 4 for the ImageNet models
    stem_padding: int = 0
    dims: tuple = (48, 96)
    depths: tuple = (2, 3)
    mlp_ratio: float = 3.0
    cycle_kernel: int = 3     # K: Cycle FC step size

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"stem {self.stem_kernel}x{self.stem_kernel}/{self.stem_patch}, dims {list(self.dims)}, "
                f"depths {list(self.depths)}, MLP ratio {self.mlp_ratio}, Cycle FC K={self.cycle_kernel}")


class CycleMLP(nn.Module):
    def __init__(self, cfg: CycleMLPConfig | None = None, **overrides):
        super().__init__()
        cfg = cfg or CycleMLPConfig(**overrides)
        self.cfg = cfg
        dims, depths = list(cfg.dims), list(cfg.depths)
        assert len(dims) == len(depths) >= 2, "CycleMLP is hierarchical: two or more stages"
        self.patch_embed = PatchEmbed(cfg.in_chans, dims[0], cfg.stem_patch, cfg.img_size, flatten=False,
                                      kernel=cfg.stem_kernel, padding=cfg.stem_padding)
        size = self.patch_embed.grid
        stages = []
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            layers = []
            if i > 0:
                layers.append(Downsample(dims[i - 1], dim, kernel=3, stride=2, padding=1, channels_last=True))
                size = conv_out_size(size, 3, 2, 1)
            layers += [CycleBlock(dim, cfg.mlp_ratio, cfg.cycle_kernel) for _ in range(depth)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.final_size = size
        self.head = ClassifierHead(dims[-1], cfg.num_classes, norm_eps=LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).permute(0, 2, 3, 1)   # [B, H, W, C]
        x = self.stages(x)
        return self.head(x.flatten(1, 2))
