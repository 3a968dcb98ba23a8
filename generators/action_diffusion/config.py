"""Configuration of the ``action-diffusion`` generator: sections, presets and the harness-style key names.

An :class:`ActionDiffusionConfig` has sections ``data``, ``model``,
``diffusion``, ``train`` and ``sample`` and the top-level keys ``seed``,
``preset``, ``device`` and ``save_dir``. Loading, ``key=value`` overrides
and validation are those of
:class:`~deval.generators.learned.sectioned_config.SectionedConfig`. The
keys that action-sequence harnesses use are the configuration's own names:

================  ==========================================================
key               meaning
================  ==========================================================
model.d_model     transformer width
model.num_layers  transformer layers
model.nhead       attention heads (must divide ``d_model``)
train.batch_size  sequences per optimiser step
train.num_epochs  > 0: train this many passes over the training split
                  (replaces ``train.steps``; ``--steps`` / ``--epochs`` win)
train.lr          peak AdamW learning rate (warm-up, then cosine decay to 10%)
device            torch device when ``--device`` is not given (``""``: cpu)
save_dir          run directory when ``--out`` is not given
================  ==========================================================

``diffusion`` and ``sample`` are the sections of the ``diffusion``
generator (:class:`~deval.generators.diffusion.config.DiffusionSettings`,
:class:`~deval.generators.diffusion.config.SampleConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from deval.configs import preset_names
from deval.generators.diffusion.config import DiffusionSettings
from deval.generators.learned.config_sections import (WANDB_MODES, OptimiserSettings, SampledValidationSettings,
                                                        SamplingSettings)
from deval.generators.learned.sectioned_config import SectionedConfig
from deval.metrics.gestures import GESTURE_TYPES

__all__ = ["ActionDataConfig", "ActionModelConfig", "ActionTrainConfig", "ActionSampleConfig", "ActionDiffusionConfig",
           "VAL_SPLITS", "CONDITIONS", "WANDB_MODES", "GESTURE_MODES"]

#: ``data.val_split``: the data's own split (else random), random sequences, or whole users
VAL_SPLITS = ("auto", "random", "user")
#: ``data.condition``: gesture-type labels (with a learned null for guidance) or none
CONDITIONS = ("gesture", "none")
#: ``sample.gesture``: the learned null condition, types drawn from the training mix, or one type
GESTURE_MODES = ("unconditional", "mix") + GESTURE_TYPES


@dataclass
class ActionDataConfig:
    """Representation of the sequences and the validation split."""

    screen: str = "auto"  #: "WxH" pixels the coordinates refer to, or "auto" (see ActionEncoder.fit)
    aspect: float = 0.0  #: screen width / height for gesture types (0: from the screen; 16/9 for unit data)
    rate_hz: float = 0.0  #: sampling rate of the sequences (0: the data's median)
    condition: str = "gesture"  #: "gesture" (gesture-type labels) or "none"
    velocity: bool = True  #: add per-step displacement channels dx, dy (see representation.py)
    #: with velocity: a hold-still channel for steps moving less than this many screen heights (0: none)
    still_threshold: float = 0.002
    val_split: str = "auto"  #: "auto" (the data's train/validation split, else random), "random" or "user"
    val_fraction: float = 0.15  #: held-out share of a random (or user) split
    max_train: int = 0  #: use at most this many training sequences (0 = all)

    def checks(self) -> list[tuple[bool, str]]:
        """``(ok, message)`` pairs for the value ranges of this section."""
        return [
            (self.screen == "auto" or _is_screen(self.screen), "data.screen must be 'auto' or WIDTHxHEIGHT, e.g. 1920x1080"),
            (self.aspect >= 0 and self.rate_hz >= 0, "data.aspect and data.rate_hz must be >= 0 (0 = from the data)"),
            (0 <= self.still_threshold < 1, "data.still_threshold must be in [0, 1) screen heights (0 = no still channel)"),
            (self.condition in CONDITIONS, "data.condition must be 'gesture' or 'none'"),
            (self.val_split in VAL_SPLITS, "data.val_split must be 'auto', 'random' or 'user'"),
            (0 < self.val_fraction < 1, "data.val_fraction must be in (0, 1)"),
            (self.max_train >= 0, "data.max_train must be >= 0"),
        ]


def _is_screen(text: str) -> bool:
    parts = text.lower().split("x")
    try:
        return len(parts) == 2 and all(float(p) > 0 for p in parts)
    except ValueError:
        return False


@dataclass
class ActionModelConfig:
    """The transformer denoiser (:class:`~deval.generators.diffusion.transformer.TransformerDenoiser`)."""

    d_model: int = 64  #: transformer width
    num_layers: int = 4  #: transformer layers
    nhead: int = 4  #: attention heads
    ff_mult: int = 2  #: feed-forward expansion
    patch_size: int = 4  #: steps per token
    dropout: float = 0.0
    emb_dim: int = 64  #: time / condition embedding size

    def checks(self) -> list[tuple[bool, str]]:
        """``(ok, message)`` pairs for the value ranges of this section."""
        return [
            (self.d_model >= 8 and self.num_layers >= 1 and self.nhead >= 1,
             "model.d_model must be >= 8, model.num_layers and model.nhead >= 1"),
            (self.d_model % self.nhead == 0, "model.nhead must divide model.d_model"),
            (self.ff_mult >= 1 and self.patch_size >= 1 and self.emb_dim >= 8,
             "model.ff_mult and model.patch_size must be >= 1, model.emb_dim >= 8"),
            (0 <= self.dropout < 1, "model.dropout must be in [0, 1)"),
        ]


@dataclass
class ActionTrainConfig(OptimiserSettings, SampledValidationSettings):
    """Optimisation, validation and experiment logging (the shared settings), the epoch alternative to
    ``steps`` and the recreation check."""

    batch_size: int = 64
    steps: int = 12000  #: optimiser steps (unless num_epochs > 0)
    num_epochs: float = 0.0  #: > 0: steps = ceil(num_epochs * training sequences / batch_size)
    val_samples: int = 500  #: sequences recreated and sampled per validation
    recreation_noise: float = 0.5  #: the recreation noises to this fraction of the schedule (t = T/2)
    wandb_project: str = "deval-action-diffusion"

    def checks(self) -> list[tuple[bool, str]]:
        """The shared ranges, then this section's."""
        return super().checks() + [
            (self.num_epochs >= 0, "train.num_epochs must be >= 0 (0 = use train.steps)"),
            (0 < self.recreation_noise < 1, "train.recreation_noise must be in (0, 1)"),
        ]


@dataclass
class ActionSampleConfig(SamplingSettings):
    """The shared sampling settings, plus the gesture mode of samples."""

    #: "mix" (a gesture type per sequence drawn from the training mix, then the guided conditional model),
    #: "unconditional" (the learned null condition) or one type; "mix" matched the data's mix more closely
    #: (3.1 against 11.9 points on a gestures dataset's validation split) than the null model, which only
    #: trains on the cond_drop share of the batches
    gesture: str = "mix"
    #: guidance of the conditional model: 2 gave the closest mix on that validation split (1: 10.2 points,
    #: 2: 3.1, 3: 6.5, 4: 10.6); more guidance makes a requested type more certain but skews the mix
    cfg_scale: float = 2.0

    def checks(self) -> list[tuple[bool, str]]:
        """The sampler's checks and the gesture mode."""
        return super().checks() + [(self.gesture in GESTURE_MODES,
                                    f"sample.gesture must be one of {', '.join(GESTURE_MODES)}")]


@dataclass
class ActionDiffusionConfig(SectionedConfig):
    """Everything the ``action-diffusion`` trainer and sampler need (see the module docstring)."""

    SECTIONS: ClassVar[dict] = {"data": ActionDataConfig, "model": ActionModelConfig, "diffusion": DiffusionSettings,
                                "train": ActionTrainConfig, "sample": ActionSampleConfig}
    PRESETS: ClassVar[tuple] = preset_names("action-diffusion")
    PRESET_DIR: ClassVar[str] = "action-diffusion"
    GENERATOR_TAG: ClassVar[str] = "action-diffusion"
    LABEL: ClassVar[str] = "action-diffusion"

    data: ActionDataConfig = field(default_factory=ActionDataConfig)
    model: ActionModelConfig = field(default_factory=ActionModelConfig)
    #: goal dropout 0.2: the null-label (unconditional) model is the one that samples the data's own mix
    diffusion: DiffusionSettings = field(default_factory=lambda: DiffusionSettings(cond_drop=0.2))
    train: ActionTrainConfig = field(default_factory=ActionTrainConfig)
    sample: ActionSampleConfig = field(default_factory=ActionSampleConfig)
    seed: int = 0
    preset: str = "small"
    generator: str = "action-diffusion"
    device: str = ""  #: torch device when the CLI's --device is not given ("" = cpu)
    save_dir: str = ""  #: run directory when the CLI's --out is not given

    def checks(self) -> list[tuple[bool, str]]:
        """The sections' checks, then the sampler steps against the schedule."""
        f, t = self.diffusion, self.train
        return super().checks() + [
            (self.sample.steps <= f.timesteps, "sample.steps must be between 1 and diffusion.timesteps"),
            (t.val_steps < f.timesteps * t.recreation_noise,
             "train.val_steps must be below diffusion.timesteps * train.recreation_noise"),
        ]
