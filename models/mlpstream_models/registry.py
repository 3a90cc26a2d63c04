"""Architecture registry: name -> (config class, model class, card architecture name)."""
from __future__ import annotations

from torch import nn

from .mixer import MixerConfig, MlpMixer

ARCHS = {
    "mixer": (MixerConfig, MlpMixer, "MLP-Mixer"),
}


def build_model(arch: str, config: dict | None = None) -> nn.Module:
    if arch not in ARCHS:
        raise KeyError(f"unknown arch {arch!r}; known: {sorted(ARCHS)}")
    cfg_cls, model_cls, _ = ARCHS[arch]
    return model_cls(cfg_cls(**(config or {})))


def default_config(arch: str) -> dict:
    return ARCHS[arch][0]().to_dict()


def architecture_name(arch: str) -> str:
    return ARCHS[arch][2]
