"""Architecture registry: name -> (config class, model class, card architecture name), the training
recipe each zoo model was trained with, and the deploy conversion applied before export."""
from __future__ import annotations

from torch import nn

from .asmlp import ASMLP, ASMLPConfig
from .cyclemlp import CycleMLP, CycleMLPConfig
from .gmlp import GMLP, GMLPConfig
from .mixer import MixerConfig, MlpMixer
from .repmlp import RepMLPConfig, RepMLPNet
from .resmlp import ResMLP, ResMLPConfig
from .s2mlpv2 import S2MLPv2, S2MLPv2Config

ARCHS = {
    "mixer": (MixerConfig, MlpMixer, "MLP-Mixer"),
    "resmlp": (ResMLPConfig, ResMLP, "ResMLP"),
    "gmlp": (GMLPConfig, GMLP, "gMLP"),
    "cyclemlp": (CycleMLPConfig, CycleMLP, "CycleMLP"),
    "s2mlpv2": (S2MLPv2Config, S2MLPv2, "S2-MLPv2"),
    "repmlp": (RepMLPConfig, RepMLPNet, "RepMLP"),
    "asmlp": (ASMLPConfig, ASMLP, "AS-MLP"),
}

# Training recipe (train.py defaults) per architecture: AdamW, 1 warm-up epoch then cosine, batch 64,
# label smoothing 0.1, random integer shifts up to 2 px. Only what differs from BASE_RECIPE is listed.
BASE_RECIPE = {"epochs": 15, "batch": 64, "lr": 2e-3, "weight_decay": 0.05, "warmup_epochs": 1.0,
               "label_smoothing": 0.1, "shift": 2}
RECIPES = {
    "mixer": {},
    "resmlp": {"epochs": 40},
    "gmlp": {"epochs": 40},
    "cyclemlp": {"epochs": 40},
    "s2mlpv2": {"epochs": 40},
    "repmlp": {"epochs": 40},
    "asmlp": {"epochs": 40},
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


def recipe(arch: str) -> dict:
    return {**BASE_RECIPE, **RECIPES.get(arch, {})}


def deploy_form(model: nn.Module) -> nn.Module:
    """The form that is exported and evaluated: ``model.merge()`` where the architecture has one
    (RepMLP folds its BN/conv branches into one FC), otherwise the model itself. In place."""
    merge = getattr(model, "merge", None)
    if merge is not None:
        merge()
    return model
