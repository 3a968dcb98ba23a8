"""Configuration of the diffusion generator: dataclasses, presets, YAML/JSON loading with validation.

A :class:`DiffusionConfig` has sections ``data``, ``augment``, ``model``,
``diffusion``, ``train`` and ``sample``. It is built from a preset
(``smoke``, ``small``, ``medium``), updated from a YAML/JSON file and then
from ``key=value`` overrides (``train.lr=3e-4`` or, when the name is unique
across sections, ``lr=3e-4``). Unknown keys and wrong types raise
:class:`~deval.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from deval.errors import ConfigError


@dataclass
class DataConfig:
    """Representation and validation split."""

    max_len: int = 64  #: maximum steps per movement (longer ones are re-cut by index)
    features: str = "deltas"  #: "deltas" (dx, dy, dt) or "rich" (8 channels)
    spatial_scale: str = "distance"  #: canonical units: "distance" (end at (1, 0)) or "pixels"
    dt_transform: str = "log"  #: "log" or "linear" time-step channel
    use_duration: bool = False  #: condition on duration too
    quantize_output: bool = True  #: round to the training data's pixel / ms resolution
    val_split: str = "user"  #: "user" (held-out people) or "random" (held-out movements)
    val_fraction: float = 0.15  #: fraction of users (or movements) held out
    max_train: int = 0  #: use at most this many training movements (0 = all)


@dataclass
class AugmentConfig:
    """On-the-fly augmentations (0 / False = off)."""

    time_stretch: float = 0.0  #: +- fraction, e.g. 0.15
    time_warp: float = 0.0  #: warp amplitude (0..0.9)
    jitter: float = 0.0  #: std of point jitter as a fraction of the mean step
    mirror: bool = False  #: left-right screen mirror
    crop: bool = False  #: sub-movement crops
    goal_noise: float = 0.0  #: std of log-distance and angle (rad) noise on the goal
    p: float = 0.5  #: probability that each enabled augmentation touches a movement


@dataclass
class ModelConfig:
    """Denoiser architecture."""

    denoiser: str = "unet"  #: "unet" or "transformer"
    channels: list = field(default_factory=lambda: [32, 64, 96])  #: UNet stage widths
    num_res_blocks: int = 1
    stem_stride: int = 4  #: UNet input patch size (1, 2, 4)
    attention: bool = True  #: UNet bottleneck attention
    heads: int = 4
    dropout: float = 0.0
    emb_dim: int = 128
    d_model: int = 128  #: transformer width
    layers: int = 4  #: transformer depth
    patch_size: int = 4  #: transformer steps per token
    ff_mult: int = 2


@dataclass
class DiffusionSettings:
    """Noise process and loss."""

    schedule: str = "cosine"  #: "cosine" or "linear"
    timesteps: int = 1000
    prediction: str = "v_prediction"  #: "epsilon", "sample" or "v_prediction"
    min_snr_gamma: float = 5.0  #: 0 = plain loss
    self_condition: bool = True
    cond_drop: float = 0.1  #: goal dropout for classifier-free guidance


@dataclass
class TrainConfig:
    """Optimisation."""

    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    steps: int = 4000  #: optimiser steps (the CLI's --epochs converts to steps)
    warmup: int = 200
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    amp: bool = True  #: mixed precision (GPU only)
    val_every: int = 500  #: steps between validations (0 = only at the end)
    val_samples: int = 2000  #: generated movements per validation
    val_steps: int = 10  #: sampler steps during validation
    overfit_single_batch: bool = False  #: train on one fixed batch (smoke test)
    num_threads: int = 0  #: torch CPU threads (0 = torch's default)


@dataclass
class SampleConfig:
    """Defaults of generation."""

    sampler: str = "dpm-solver"  #: "ddpm", "ddim" or "dpm-solver"
    steps: int = 10
    cfg_scale: float = 1.0  #: 1 = plain conditional model (one network call per step)
    eta: float = 0.0  #: DDIM stochasticity
    batch_size: int = 1000  #: movements per network call


SECTIONS = {"data": DataConfig, "augment": AugmentConfig, "model": ModelConfig,
            "diffusion": DiffusionSettings, "train": TrainConfig, "sample": SampleConfig}


@dataclass
class DiffusionConfig:
    """Everything the trainer and sampler need; see the module docstring."""

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    diffusion: DiffusionSettings = field(default_factory=DiffusionSettings)
    train: TrainConfig = field(default_factory=TrainConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    seed: int = 0
    preset: str = "small"

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict, base: "DiffusionConfig | None" = None) -> "DiffusionConfig":
        """Update ``base`` (default: the defaults) with nested dict ``d``; validates keys and types."""
        cfg = copy.deepcopy(base) if base is not None else cls()
        if not isinstance(d, dict):
            raise ConfigError(f"configuration must be a mapping, got {type(d).__name__}")
        for key, value in d.items():
            if key in SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"config section {key!r} must be a mapping")
                for k, v in value.items():
                    _set(getattr(cfg, key), k, v, f"{key}.{k}")
            elif key in ("seed", "preset"):
                _set(cfg, key, value, key)
            else:
                raise ConfigError(f"unknown config key {key!r} (sections: {', '.join(SECTIONS)}, seed, preset)")
        cfg.validate()
        return cfg

    def override(self, pairs: dict[str, Any]) -> "DiffusionConfig":
        """Apply ``{"section.key": value}`` or ``{"key": value}`` (unique key) overrides."""
        nested: dict[str, dict] = {}
        for key, value in pairs.items():
            if key in ("seed", "preset"):
                nested[key] = value
                continue
            if "." in key:
                sec, name = key.split(".", 1)
            else:
                owners = [s for s, c in SECTIONS.items() if name_in(c, key)]
                if not owners:
                    raise ConfigError(f"unknown config key {key!r}")
                if len(owners) > 1:
                    raise ConfigError(f"config key {key!r} is ambiguous; write one of "
                                      + ", ".join(f"{o}.{key}" for o in owners))
                sec, name = owners[0], key
            nested.setdefault(sec, {})[name] = value
        return DiffusionConfig.from_dict(nested, base=self)

    def validate(self) -> None:
        """Check value ranges; raise :class:`ConfigError` naming the key."""
        d, a, m, f, t, s = self.data, self.augment, self.model, self.diffusion, self.train, self.sample
        checks = [
            (d.max_len >= 4, "data.max_len must be >= 4"),
            (d.features in ("deltas", "rich"), "data.features must be 'deltas' or 'rich'"),
            (d.spatial_scale in ("distance", "pixels"), "data.spatial_scale must be 'distance' or 'pixels'"),
            (d.dt_transform in ("log", "linear"), "data.dt_transform must be 'log' or 'linear'"),
            (d.val_split in ("user", "random"), "data.val_split must be 'user' or 'random'"),
            (0 < d.val_fraction < 1, "data.val_fraction must be in (0, 1)"),
            (d.max_train >= 0, "data.max_train must be >= 0"),
            (0 <= a.time_stretch < 1, "augment.time_stretch must be in [0, 1)"),
            (0 <= a.time_warp <= 0.9, "augment.time_warp must be in [0, 0.9]"),
            (a.jitter >= 0 and a.goal_noise >= 0, "augment.jitter and augment.goal_noise must be >= 0"),
            (0 <= a.p <= 1, "augment.p must be in [0, 1]"),
            (m.denoiser in ("unet", "transformer"), "model.denoiser must be 'unet' or 'transformer'"),
            (len(m.channels) >= 1 and all(int(c) > 0 for c in m.channels), "model.channels must be positive ints"),
            (m.stem_stride in (1, 2, 4), "model.stem_stride must be 1, 2 or 4"),
            (m.num_res_blocks >= 1 and m.layers >= 1, "model.num_res_blocks and model.layers must be >= 1"),
            (all(int(c) % m.heads == 0 for c in m.channels[-1:]) and m.d_model % m.heads == 0,
             "model.heads must divide model.d_model and the last model.channels"),
            (0 <= m.dropout < 1, "model.dropout must be in [0, 1)"),
            (m.patch_size >= 1, "model.patch_size must be >= 1"),
            (f.schedule in ("cosine", "linear"), "diffusion.schedule must be 'cosine' or 'linear'"),
            (f.prediction in ("epsilon", "sample", "v_prediction"),
             "diffusion.prediction must be 'epsilon', 'sample' or 'v_prediction'"),
            (f.timesteps >= 10, "diffusion.timesteps must be >= 10"),
            (f.min_snr_gamma >= 0, "diffusion.min_snr_gamma must be >= 0"),
            (0 <= f.cond_drop < 1, "diffusion.cond_drop must be in [0, 1)"),
            (t.batch_size >= 1 and t.steps >= 1, "train.batch_size and train.steps must be >= 1"),
            (t.lr > 0 and t.weight_decay >= 0, "train.lr must be > 0 and train.weight_decay >= 0"),
            (0 <= t.ema_decay < 1, "train.ema_decay must be in [0, 1)"),
            (t.val_every >= 0 and t.val_samples >= 10 and t.val_steps >= 1, "train.val_* out of range"),
            (s.sampler in ("ddpm", "ddim", "dpm-solver"), "sample.sampler must be 'ddpm', 'ddim' or 'dpm-solver'"),
            (1 <= s.steps <= f.timesteps, "sample.steps must be between 1 and diffusion.timesteps"),
            (s.cfg_scale >= 0 and s.eta >= 0 and s.batch_size >= 1, "sample settings out of range"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)


def name_in(section_cls, key: str) -> bool:
    return key in {f.name for f in dataclasses.fields(section_cls)}


def _set(obj: Any, key: str, value: Any, path: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(obj)}
    if key not in fields:
        raise ConfigError(f"unknown config key {path!r}")
    hint = get_type_hints(type(obj))[key]
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = value.lower() in ("true", "1", "yes")
            elif not isinstance(value, (bool, int)):
                raise ValueError
            value = bool(value)
        elif hint is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            value = int(value)
        elif hint is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif hint is str:
            if not isinstance(value, str):
                raise ValueError
        elif hint is list:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, (list, tuple)):
                raise ValueError
            value = [int(v) for v in value]
    except (TypeError, ValueError):
        raise ConfigError(f"config key {path!r}: {value!r} is not a valid {getattr(hint, '__name__', hint)}") from None
    setattr(obj, key, value)


def preset(name: str) -> DiffusionConfig:
    """The built-in presets.

    ``smoke``
        Tiny model, one fixed batch of 16 movements, x0 prediction, no
        augmentation: the single-batch overfit check (the loss on that batch,
        at fixed noise, must fall at least 10x in 250 steps).
    ``small``
        The default: ~0.9 M-parameter UNet with a stride-4 stem, 64 steps,
        4000 optimiser steps of 128 movements (well under 30 min on 2 CPU cores).
    ``medium``
        Wider UNet (~5 M), 96 steps, more training; meant for a GPU.
    """
    cfg = DiffusionConfig(preset=name)
    if name == "smoke":
        cfg.data.max_len = 16
        cfg.model.channels = [16, 32]
        cfg.model.emb_dim = 32
        cfg.model.heads = 2
        cfg.model.d_model = 32
        cfg.model.layers = 2
        cfg.diffusion.cond_drop = 0.0
        cfg.diffusion.self_condition = False
        cfg.diffusion.prediction = "sample"  # the weighted loss then measures memorisation directly
        cfg.train.batch_size = 16
        cfg.train.steps = 250
        cfg.train.lr = 3e-3
        cfg.train.warmup = 10
        cfg.train.ema_decay = 0.9
        cfg.train.val_every = 0
        cfg.train.val_samples = 64
        cfg.train.overfit_single_batch = True
        cfg.sample.batch_size = 256
    elif name == "small":
        pass
    elif name == "medium":
        cfg.data.max_len = 96
        cfg.model.channels = [64, 128, 256]
        cfg.model.num_res_blocks = 2
        cfg.model.stem_stride = 2
        cfg.model.dropout = 0.1
        cfg.model.heads = 8
        cfg.train.steps = 30000
        cfg.train.lr = 5e-4
        cfg.train.val_every = 2000
        cfg.train.val_samples = 5000
        cfg.augment.time_stretch = 0.15
        cfg.augment.jitter = 0.02
        cfg.augment.p = 0.3
    else:
        raise ConfigError(f"unknown preset {name!r}; choose smoke, small or medium")
    cfg.validate()
    return cfg


PRESETS = ("smoke", "small", "medium")


def load_config_file(path: str | os.PathLike, base: DiffusionConfig | None = None) -> DiffusionConfig:
    """Read a YAML or JSON config file on top of ``base`` (a file may name its own ``preset``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config ({exc.strerror})") from None
    try:
        d = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'} ({exc})") from None
    if d is None:
        d = {}
    if not isinstance(d, dict):
        raise ConfigError(f"{p}: the top level must be a mapping")
    if base is None:
        base = preset(d.get("preset", "small"))
    try:
        return DiffusionConfig.from_dict(d, base=base)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None
