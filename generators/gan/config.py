"""Configuration of the GAN generator: dataclasses, presets, YAML/JSON loading with validation.

A :class:`GANConfig` has sections ``data`` and ``augment`` (the same
representation and augmentations as the diffusion generator, see
:mod:`deval.generators.diffusion.config`), ``model``, ``train`` and
``sample``. It is built from a preset (``smoke``, ``small``), updated from a
YAML/JSON file and then from ``key=value`` overrides (``train.lr_g=1e-4`` or,
when the name is unique across sections, ``lr_g=1e-4``). Unknown keys and
wrong types raise :class:`~deval.errors.ConfigError` naming the key.
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
from deval.generators.diffusion.config import AugmentConfig, DataConfig

__all__ = ["GANConfig", "GANModelConfig", "GANTrainConfig", "GANSampleConfig", "PRESETS", "preset",
           "load_config_file", "GENERATOR_TAG"]

#: value of the top-level ``generator`` key of every GAN ``config.json``
GENERATOR_TAG = "gan"


@dataclass
class GANModelConfig:
    """Generator (bidirectional GRU) and critic (dilated 1-D convolutions) sizes."""

    noise_dim: int = 8  #: per-step noise channels fed to the generator
    latent_dim: int = 32  #: per-movement latent (style) vector
    emb_dim: int = 64  #: goal-embedding width (generator and critic)
    gen_hidden: int = 96  #: GRU width of the generator (per direction)
    gen_layers: int = 2  #: stacked GRU layers of the generator
    critic_channels: int = 96  #: width of the critic's convolutions
    critic_blocks: int = 3  #: residual blocks; block i has dilation 2**i (in tokens)
    critic_kernel: int = 3  #: odd kernel size of the critic's convolutions
    patch: int = 4  #: steps per token of both networks (GRU token / critic stem stride)


@dataclass
class GANTrainConfig:
    """Optimisation (WGAN-GP)."""

    batch_size: int = 64
    steps: int = 3000  #: generator steps (the CLI's --epochs converts to steps)
    n_critic: int = 2  #: critic steps per generator step
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.0  #: Adam betas as in WGAN-GP
    beta2: float = 0.9
    gp_weight: float = 10.0  #: gradient-penalty weight
    drift: float = 1e-3  #: penalty on the critic's squared output on real data (keeps it centred)
    end_weight: float = 0.5  #: weight of the generator's squared end-point error (canonical units)
    ema_decay: float = 0.999  #: EMA of the generator weights (used for sampling)
    val_every: int = 500  #: generator steps between validations (0 = only at the end)
    val_samples: int = 2000  #: generated movements per validation
    num_threads: int = 1  #: torch CPU threads during training (0 = torch's default); 1 because these small
    #: networks run many small operations, which gain little from intra-op threads and slow down badly
    #: when the cores are shared


@dataclass
class GANSampleConfig:
    """Defaults of generation."""

    batch_size: int = 2000  #: movements per network call


SECTIONS = {"data": DataConfig, "augment": AugmentConfig, "model": GANModelConfig, "train": GANTrainConfig,
            "sample": GANSampleConfig}
TOP_LEVEL = ("seed", "preset", "generator")


@dataclass
class GANConfig:
    """Everything the GAN trainer and sampler need; see the module docstring."""

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: GANModelConfig = field(default_factory=GANModelConfig)
    train: GANTrainConfig = field(default_factory=GANTrainConfig)
    sample: GANSampleConfig = field(default_factory=GANSampleConfig)
    seed: int = 0
    preset: str = "small"
    generator: str = GENERATOR_TAG

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (with ``generator: "gan"`` to tell it from other checkpoints)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict, base: "GANConfig | None" = None) -> "GANConfig":
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
            elif key in TOP_LEVEL:
                _set(cfg, key, value, key)
            else:
                raise ConfigError(f"unknown config key {key!r} (sections: {', '.join(SECTIONS)}, seed, preset)")
        cfg.validate()
        return cfg

    def override(self, pairs: dict[str, Any]) -> "GANConfig":
        """Apply ``{"section.key": value}`` or ``{"key": value}`` (unique key) overrides."""
        nested: dict[str, Any] = {}
        for key, value in pairs.items():
            if key in TOP_LEVEL:
                nested[key] = value
                continue
            if "." in key:
                sec, name = key.split(".", 1)
            else:
                owners = [s for s, c in SECTIONS.items() if key in {f.name for f in dataclasses.fields(c)}]
                if not owners:
                    raise ConfigError(f"unknown config key {key!r}")
                if len(owners) > 1:
                    raise ConfigError(f"config key {key!r} is ambiguous; write one of "
                                      + ", ".join(f"{o}.{key}" for o in owners))
                sec, name = owners[0], key
            if sec not in SECTIONS:
                raise ConfigError(f"unknown config section {sec!r} in {key!r} (sections: {', '.join(SECTIONS)})")
            nested.setdefault(sec, {})[name] = value
        return GANConfig.from_dict(nested, base=self)

    def validate(self) -> None:
        """Check value ranges; raise :class:`ConfigError` naming the key."""
        d, a, m, t, s = self.data, self.augment, self.model, self.train, self.sample
        checks = [
            (self.generator == GENERATOR_TAG, f"generator must be {GENERATOR_TAG!r} in a GAN configuration"),
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
            (m.noise_dim >= 1 and m.latent_dim >= 0, "model.noise_dim must be >= 1 and model.latent_dim >= 0"),
            (m.emb_dim >= 1 and m.gen_hidden >= 1 and m.gen_layers >= 1,
             "model.emb_dim, model.gen_hidden and model.gen_layers must be >= 1"),
            (m.critic_channels >= 1 and m.critic_blocks >= 1, "model.critic_channels and model.critic_blocks must be >= 1"),
            (m.critic_kernel >= 1 and m.critic_kernel % 2 == 1, "model.critic_kernel must be a positive odd number"),
            (1 <= m.patch <= d.max_len, "model.patch must be between 1 and data.max_len"),
            (t.batch_size >= 2 and t.steps >= 1, "train.batch_size must be >= 2 and train.steps >= 1"),
            (t.n_critic >= 1, "train.n_critic must be >= 1"),
            (t.lr_g > 0 and t.lr_d > 0, "train.lr_g and train.lr_d must be > 0"),
            (0 <= t.beta1 < 1 and 0 <= t.beta2 < 1, "train.beta1 and train.beta2 must be in [0, 1)"),
            (t.gp_weight >= 0 and t.drift >= 0 and t.end_weight >= 0,
             "train.gp_weight, train.drift and train.end_weight must be >= 0"),
            (0 <= t.ema_decay < 1, "train.ema_decay must be in [0, 1)"),
            (t.val_every >= 0 and t.val_samples >= 20, "train.val_every must be >= 0 and train.val_samples >= 20"),
            (t.num_threads >= 0, "train.num_threads must be >= 0"),
            (s.batch_size >= 1, "sample.batch_size must be >= 1"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)


def _set(obj: Any, key: str, value: Any, path: str) -> None:
    """Set ``obj.key = value`` after checking the key exists and coercing to its annotated type."""
    fields = {f.name for f in dataclasses.fields(obj)}
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


PRESETS = ("smoke", "small")


def preset(name: str) -> GANConfig:
    """The built-in presets.

    ``smoke``
        Tiny networks, 16 steps per movement, 150 generator steps of 32
        movements: seconds on a CPU; checks that the pipeline learns (the
        tests train it on synthetic movements of known shape).
    ``small``
        The default for real data: a 0.4 M-parameter GRU generator and a
        0.16 M-parameter dilated convolutional critic over patches of 4 steps,
        up to 64 steps per movement, 3000 generator steps with 2 critic steps
        each, batches of 64 movements (about 30 epochs of SapiMouse-dev; about
        15-20 min of one CPU core).
    """
    cfg = GANConfig(preset=name)
    if name == "smoke":
        cfg.data.max_len = 16
        cfg.model.noise_dim = 4
        cfg.model.latent_dim = 8
        cfg.model.emb_dim = 16
        cfg.model.gen_hidden = 32
        cfg.model.gen_layers = 1
        cfg.model.critic_channels = 32
        cfg.model.critic_blocks = 2
        cfg.model.critic_kernel = 3
        cfg.model.patch = 2
        cfg.train.batch_size = 32
        cfg.train.steps = 150
        cfg.train.lr_g = 2e-3
        cfg.train.lr_d = 2e-3
        cfg.train.ema_decay = 0.9
        cfg.train.val_every = 0
        cfg.train.val_samples = 64
        cfg.sample.batch_size = 512
    elif name != "small":
        raise ConfigError(f"unknown preset {name!r}; choose {' or '.join(PRESETS)}")
    cfg.validate()
    return cfg


def load_config_file(path: str | os.PathLike, base: GANConfig | None = None) -> GANConfig:
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
        return GANConfig.from_dict(d, base=base)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None
