"""RepMLP (RepMLPNet, Ding et al., 2022) for small grayscale images: trained with conv + BN branches,
deployed as a single FC.

Hierarchical, NCHW: stem ConvBN (stride = patch) + ReLU -> stage 1 -> ConvBN (2x2, stride 2) + ReLU ->
stage 2 -> ... -> mean over positions -> Linear.
Unit: y = x + RepMLPBlock(BN(x)); z = y + FFN(BN(y)), FFN = ConvBN 1x1 -> exact GELU -> ConvBN 1x1.

RepMLPBlock(C channels, partitions h x w, S share-sets):
  * global perceptron: g = sigmoid(fc2(relu(fc1(mean over H, W))))  (per-channel gate, C -> C/r -> C)
  * the map is cut into (H/h) x (W/w) partitions; the channels into groups of S consecutive channels
    (channel c uses share-set c mod S); fc3 is one FC (h*w -> h*w) per share-set, applied to every
    partition, followed by BN(S);
  * local perceptron (training only): per share-set depthwise k x k conv + BN (k in conv_kernels,
    zero padding inside the partition), added to the fc3 output;
  * out = (fc3 + conv branches) * g.
``merge()`` folds every BN and every conv branch into fc3 (one biased FC per share-set: a k x k conv
on an h x w partition *is* an (h*w) x (h*w) linear map) and fuses the stem/downsample/FFN ConvBNs into
biased convs: the deploy form, the only one that is exported. ``deploy=True`` in the config builds the
merged structure directly (for loading merged weights).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import ClassifierHead, conv_out_size


def fuse_bn(weight: torch.Tensor, bias: torch.Tensor | None, bn: nn.BatchNorm2d, repeat: int = 1):
    """(weight, bias) of conv followed by eval-mode ``bn`` as one conv; each BN channel covers
    ``repeat`` consecutive output channels of the conv."""
    std = (bn.running_var + bn.eps).sqrt()
    scale = (bn.weight / std).repeat_interleave(repeat)
    shift = (bn.bias - bn.running_mean * bn.weight / std).repeat_interleave(repeat)
    b = shift if bias is None else bias * scale + shift
    return weight * scale.reshape(-1, *([1] * (weight.dim() - 1))), b


class ConvBN(nn.Module):
    """Conv2d (no bias) + BatchNorm2d; after ``fuse()`` a single biased Conv2d."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0, groups: int = 1,
                 deploy: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=deploy)
        self.bn = None if deploy else nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x if self.bn is None else self.bn(x)

    @torch.no_grad()
    def fused(self):
        """(weight, bias) of the equivalent biased conv."""
        if self.bn is None:
            return self.conv.weight.clone(), self.conv.bias.clone()
        return fuse_bn(self.conv.weight, None, self.bn)

    @torch.no_grad()
    def fuse(self) -> None:
        if self.bn is None:
            return
        w, b = self.fused()
        c = self.conv
        conv = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding, groups=c.groups, bias=True)
        conv.weight.copy_(w)
        conv.bias.copy_(b)
        self.conv, self.bn = conv, None


class GlobalPerceptron(nn.Module):
    def __init__(self, channels: int, reduce: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduce, 1)
        self.fc2 = nn.Conv2d(channels // reduce, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = x.mean(dim=(2, 3), keepdim=True)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(g))))


class RepMLPBlock(nn.Module):
    def __init__(self, channels: int, height: int, width: int, h: int, w: int, sharesets: int,
                 conv_kernels: tuple = (1, 3), gp_reduce: int = 4, deploy: bool = False):
        super().__init__()
        assert height % h == 0 and width % w == 0, "partitions must tile the map"
        assert channels % sharesets == 0
        self.C, self.H, self.W, self.h, self.w, self.S = channels, height, width, h, w, sharesets
        self.deploy = deploy
        self.gp = GlobalPerceptron(channels, gp_reduce)
        hw = h * w
        self.fc3 = nn.Conv2d(sharesets * hw, sharesets * hw, 1, groups=sharesets, bias=deploy)
        self.fc3_bn = None if deploy else nn.BatchNorm2d(sharesets)
        self.conv_kernels = tuple(conv_kernels)
        self.branches = nn.ModuleDict() if deploy else nn.ModuleDict({
            f"conv{k}": ConvBN(sharesets, sharesets, k, padding=k // 2, groups=sharesets) for k in self.conv_kernels
        })

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, H, W]
        g = self.gp(x)
        C, h, w, S = self.C, self.h, self.w, self.S
        hp, wp = self.H // h, self.W // w
        parts = x.reshape(-1, C, hp, h, wp, w).permute(0, 2, 4, 1, 3, 5)      # [B, hp, wp, C, h, w]
        out = self.fc3(parts.reshape(-1, S * h * w, 1, 1)).reshape(-1, S, h, w)
        if not self.deploy:
            out = self.fc3_bn(out)
            local = parts.reshape(-1, S, h, w)
            for branch in self.branches.values():
                out = out + branch(local)
        out = out.reshape(-1, hp, wp, C, h, w).permute(0, 3, 1, 4, 2, 5).reshape(-1, C, self.H, self.W)
        return out * g

    @torch.no_grad()
    def merged_fc(self):
        """(weight [S*h*w, h*w, 1, 1], bias [S*h*w]) of the single FC equal to fc3 + BN + branches."""
        hw = self.h * self.w
        weight, bias = fuse_bn(self.fc3.weight, None, self.fc3_bn, repeat=hw)
        # Each branch is linear on an h x w partition: its FC matrix is its response to the identity.
        eye = torch.eye(hw, device=weight.device).repeat(1, self.S).reshape(hw, self.S, self.h, self.w)
        for branch in self.branches.values():
            k, b = branch.fused()
            resp = F.conv2d(eye, k, padding=(k.shape[2] // 2, k.shape[3] // 2), groups=self.S)  # [hw, S, h, w]
            weight = weight + resp.reshape(hw, self.S * hw).t().reshape_as(weight)
            bias = bias + b.repeat_interleave(hw)
        return weight, bias

    @torch.no_grad()
    def merge(self) -> None:
        if self.deploy:
            return
        weight, bias = self.merged_fc()
        n = self.S * self.h * self.w
        fc3 = nn.Conv2d(n, n, 1, groups=self.S, bias=True).to(weight.device)
        fc3.weight.copy_(weight)
        fc3.bias.copy_(bias)
        self.fc3, self.fc3_bn, self.branches, self.deploy = fc3, None, nn.ModuleDict(), True


class RepMLPUnit(nn.Module):
    def __init__(self, channels: int, size: int, part: int, sharesets: int, conv_kernels, gp_reduce: int,
                 ffn_expand: float, deploy: bool):
        super().__init__()
        hidden = int(channels * ffn_expand)
        self.prebn1 = nn.BatchNorm2d(channels)
        self.repmlp = RepMLPBlock(channels, size, size, part, part, sharesets, conv_kernels, gp_reduce, deploy)
        self.prebn2 = nn.BatchNorm2d(channels)
        self.ffn_fc1 = ConvBN(channels, hidden, 1, deploy=deploy)
        self.ffn_act = nn.GELU(approximate="none")
        self.ffn_fc2 = ConvBN(hidden, channels, 1, deploy=deploy)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.repmlp(self.prebn1(x))
        return x + self.ffn_fc2(self.ffn_act(self.ffn_fc1(self.prebn2(x))))


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, deploy: bool):
        super().__init__(ConvBN(cin, cout, kernel, stride, deploy=deploy), nn.ReLU())


@dataclass
class RepMLPConfig:
    img_size: int = 28
    in_chans: int = 1
    num_classes: int = 10
    patch: int = 2              # stem stride (4 for the ImageNet models)
    dims: tuple = (48, 96)
    depths: tuple = (2, 2)
    parts: tuple = (7, 7)       # partition size h = w per stage (must divide the stage's map)
    sharesets: tuple = (4, 8)
    conv_kernels: tuple = (1, 3)
    gp_reduce: int = 4
    ffn_expand: float = 3.0
    deploy: bool = False        # True: merged structure (no BN in the RepMLP blocks, no conv branches)

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"patch {self.patch}, dims {list(self.dims)}, depths {list(self.depths)}, partitions "
                f"{list(self.parts)}, share-sets {list(self.sharesets)}, FFN x{self.ffn_expand}, "
                f"trained with conv branches {list(self.conv_kernels)} + BN, deployed merged")


class RepMLPNet(nn.Module):
    def __init__(self, cfg: RepMLPConfig | None = None, **overrides):
        super().__init__()
        cfg = cfg or RepMLPConfig(**overrides)
        self.cfg = cfg
        dims = list(cfg.dims)
        self.stem = ConvBNReLU(cfg.in_chans, dims[0], cfg.patch, cfg.patch, cfg.deploy)
        size = conv_out_size(cfg.img_size, cfg.patch, cfg.patch, 0)
        stages = []
        for i, (dim, depth) in enumerate(zip(dims, cfg.depths)):
            layers = []
            if i > 0:
                layers.append(ConvBNReLU(dims[i - 1], dim, 2, 2, cfg.deploy))
                size = conv_out_size(size, 2, 2, 0)
            layers += [RepMLPUnit(dim, size, cfg.parts[i], cfg.sharesets[i], cfg.conv_kernels, cfg.gp_reduce,
                                  cfg.ffn_expand, cfg.deploy) for _ in range(depth)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.head = ClassifierHead(dims[-1], cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.head(x.flatten(2).transpose(1, 2))

    @torch.no_grad()
    def merge(self) -> "RepMLPNet":
        """Convert in place to the deploy form (see the module doc); returns self."""
        for m in list(self.modules()):
            if isinstance(m, RepMLPBlock):
                m.merge()
            elif isinstance(m, ConvBN):
                m.fuse()
        self.cfg = RepMLPConfig(**{**self.cfg.to_dict(), "deploy": True})
        return self
