"""Configuration of the diffusion generator: dataclasses, presets, YAML/JSON loading with validation.

A :class:`DiffusionConfig` has sections ``data``, ``augment``, ``model``,
``diffusion``, ``train`` and ``sample``. It is built from a preset
(``smoke``, ``small``, ``medium``), updated from a YAML/JSON file and then
from ``key=value`` overrides (``train.lr=3e-4`` or, when the name is unique
across sections, ``lr=3e-4``). Unknown keys and wrong types raise
:class:`~deval.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import ClassVar

from deval.configs import preset_names
from deval.generators.learned.config_sections import (OptimiserSettings, SampledValidationSettings,
                                                        SamplingSettings)
from deval.generators.learned.movement_config import AugmentConfig, DataConfig
from deval.generators.learned.sectioned_config import SectionedConfig

__all__ = ["DiffusionConfig", "DataConfig", "AugmentConfig", "ModelConfig", "DiffusionSettings", "TrainConfig",
           "SampleConfig", "SECTIONS", "PRESETS", "preset", "load_config_file"]


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
    #: weight of an extra loss on step-to-step differences of the clean estimate (acceleration when the channels
    #: are deltas), so that high-frequency content is not averaged away; 0 = off
    derivative_weight: float = 0.0

    def checks(self) -> list[tuple[bool, str]]:
        """``(ok, message)`` pairs for the value ranges of this section."""
        return [
            (self.schedule in ("cosine", "linear"), "diffusion.schedule must be 'cosine' or 'linear'"),
            (self.prediction in ("epsilon", "sample", "v_prediction"),
             "diffusion.prediction must be 'epsilon', 'sample' or 'v_prediction'"),
            (self.timesteps >= 10, "diffusion.timesteps must be >= 10"),
            (self.min_snr_gamma >= 0, "diffusion.min_snr_gamma must be >= 0"),
            (0 <= self.cond_drop < 1, "diffusion.cond_drop must be in [0, 1)"),
            (self.derivative_weight >= 0, "diffusion.derivative_weight must be >= 0"),
        ]


@dataclass
class TrainConfig(OptimiserSettings, SampledValidationSettings):
    """Optimisation and validation (the shared settings) plus mixed precision and the smoke-test switch."""

    steps: int = 4000
    warmup: int = 200
    amp: bool = True  #: mixed precision (GPU only)
    overfit_single_batch: bool = False  #: train on one fixed batch (smoke test)


@dataclass
class SampleConfig(SamplingSettings):
    """Defaults of generation: DDIM at 10 steps read the lowest C2ST in benchmarks/bench_diffusion.py's
    realism-vs-cost table on SapiMouse-dev (0.872 vs 0.938 for DPM-Solver++)."""


SECTIONS = {"data": DataConfig, "augment": AugmentConfig, "model": ModelConfig,
            "diffusion": DiffusionSettings, "train": TrainConfig, "sample": SampleConfig}
PRESETS = preset_names("diffusion")


@dataclass
class DiffusionConfig(SectionedConfig):
    """Everything the trainer and sampler need; see the module docstring.

    Loading, overrides and validation come from
    :class:`~deval.generators.learned.sectioned_config.SectionedConfig`
    (``from_dict``, ``override``, ``from_preset``, ``load_file``, ``validate``).
    Diffusion checkpoints carry no ``generator`` tag (the original format).
    """

    SECTIONS: ClassVar[dict] = SECTIONS
    PRESETS: ClassVar[tuple] = PRESETS
    PRESET_DIR: ClassVar[str] = "diffusion"
    LABEL: ClassVar[str] = "diffusion"

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    diffusion: DiffusionSettings = field(default_factory=DiffusionSettings)
    train: TrainConfig = field(default_factory=TrainConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    seed: int = 0
    preset: str = "small"

    def checks(self) -> list[tuple[bool, str]]:
        """Value ranges of the ``model`` section and sampler steps against the schedule (after the sections' own
        checks: ``data``, ``augment``, ``diffusion``, ``train``, ``sample``)."""
        m, f, s = self.model, self.diffusion, self.sample
        return super().checks() + [
            (m.denoiser in ("unet", "transformer"), "model.denoiser must be 'unet' or 'transformer'"),
            (len(m.channels) >= 1 and all(int(c) > 0 for c in m.channels), "model.channels must be positive ints"),
            (m.stem_stride in (1, 2, 4), "model.stem_stride must be 1, 2 or 4"),
            (m.num_res_blocks >= 1 and m.layers >= 1, "model.num_res_blocks and model.layers must be >= 1"),
            (all(int(c) % m.heads == 0 for c in m.channels[-1:]) and m.d_model % m.heads == 0,
             "model.heads must divide model.d_model and the last model.channels"),
            (0 <= m.dropout < 1, "model.dropout must be in [0, 1)"),
            (m.patch_size >= 1, "model.patch_size must be >= 1"),
            (1 <= s.steps <= f.timesteps, "sample.steps must be between 1 and diffusion.timesteps"),
        ]


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
    return DiffusionConfig.from_preset(name)


def load_config_file(path: str | os.PathLike, base: DiffusionConfig | None = None) -> DiffusionConfig:
    """Read a YAML or JSON config file on top of ``base`` (a file may name its own ``preset``)."""
    return DiffusionConfig.load_file(path, base=base)
