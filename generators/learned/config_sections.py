"""The config settings every learned generator shares, defined once: optimiser, validation, sampling.

A generator's ``train`` section is a dataclass that inherits :class:`OptimiserSettings` (or, for an
optimiser of its own such as the GAN's two Adams, :class:`RunSettings`) and :class:`ValidationSettings`,
and adds its own keys; its ``sample`` section inherits :class:`SamplingSettings` (diffusion-style samplers)
or :class:`BatchSettings`. A subclass overrides a default by declaring the field again
(``steps: int = 2500``). The keys stay where users and checkpoints have them (``train.lr``,
``train.val_every``, ``sample.steps``), and each mixin's ``checks()`` is cooperative: a section's checks
are the ones of all its mixins plus its own (``return super().checks() + [...]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .callbacks import WANDB_MODES  # train.wandb_mode: wandb.init(mode=...)

__all__ = ["BatchSettings", "ExperimentLogSettings", "OptimiserSettings", "RunSettings",
           "SampledValidationSettings", "SamplingSettings", "ValidationSettings", "WANDB_MODES"]

class _Checks:
    """End of the cooperative ``checks()`` chain."""

    def checks(self) -> list[tuple[bool, str]]:
        return []




@dataclass
class ExperimentLogSettings(_Checks):
    """Weights & Biases from the configuration (the same as ``train-generator --wandb-project``)."""

    wandb: bool = False  #: also log the metrics lines to Weights & Biases (needs `pip install 'deval[wandb]'`)
    wandb_project: str = ""  #: "" = deval-<generator>
    wandb_mode: str = "offline"  #: "offline" (no network; `wandb sync` later), "online" or "disabled"

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [
            (self.wandb_mode in WANDB_MODES, "train.wandb_mode must be 'offline', 'online' or 'disabled'"),
        ]


@dataclass
class RunSettings(ExperimentLogSettings):
    """Length of a run, batch, EMA and threads, and the W&B switch: what any training loop has."""

    batch_size: int = 128
    steps: int = 4000  #: optimiser steps (the CLI's --epochs converts to steps)
    ema_decay: float = 0.999  #: EMA of the weights used for sampling
    num_threads: int = 0  #: torch CPU threads (0 = torch's default)

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [
            (self.batch_size >= 1 and self.steps >= 1, "train.batch_size and train.steps must be >= 1"),
            (0 <= self.ema_decay < 1, "train.ema_decay must be in [0, 1)"),
            (self.num_threads >= 0, "train.num_threads must be >= 0"),
        ]


@dataclass
class OptimiserSettings(RunSettings):
    """AdamW with linear warm-up, cosine decay and gradient clipping (:func:`~.lr_schedule.warmup_cosine_lr`)."""

    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 100  #: warm-up steps
    grad_clip: float = 1.0  #: max gradient norm (0 = off)

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [
            (self.lr > 0 and self.weight_decay >= 0, "train.lr must be > 0 and train.weight_decay >= 0"),
            (self.warmup >= 0 and self.grad_clip >= 0, "train.warmup and train.grad_clip must be >= 0"),
        ]


@dataclass
class ValidationSettings(_Checks):
    """How often and on how much the run validates (rank 0 only)."""

    val_every: int = 500  #: steps between validations (0 = only at the end)
    val_samples: int = 2000  #: generated movements per validation

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [
            (self.val_every >= 0 and self.val_samples >= 10,
             "train.val_every must be >= 0 and train.val_samples >= 10"),
        ]


@dataclass
class SampledValidationSettings(ValidationSettings):
    """Validation of a generator that samples in several steps (the diffusion ones)."""

    val_steps: int = 10  #: sampler steps during validation

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [(self.val_steps >= 1, "train.val_steps must be >= 1")]


@dataclass
class BatchSettings(_Checks):
    """Movements per network call when sampling."""

    batch_size: int = 1000

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [(self.batch_size >= 1, "sample.batch_size must be >= 1")]


@dataclass
class SamplingSettings(BatchSettings):
    """A diffusion sampler and its settings (the ``--sampler``/``--steps``/``--cfg-scale`` defaults)."""

    sampler: str = "ddim"  #: a name in the sampler registry: "ddpm", "ddim", "dpm-solver" or a plugin's
    steps: int = 10  #: sampler steps (network calls without guidance)
    cfg_scale: float = 1.0  #: classifier-free guidance (1 = plain conditional model, one call per step)
    eta: float = 0.0  #: DDIM stochasticity

    def checks(self) -> list[tuple[bool, str]]:
        from deval.generators.diffusion.samplers import SAMPLERS

        return super().checks() + [
            (self.sampler in SAMPLERS, f"sample.sampler must be one of {', '.join(SAMPLERS.available())}"),
            (self.steps >= 1, "sample.steps must be >= 1"),
            (self.cfg_scale >= 0 and self.eta >= 0, "sample.cfg_scale and sample.eta must be >= 0"),
        ]
