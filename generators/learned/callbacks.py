"""Callbacks of a training run, and the optional Weights & Biases one.

A :class:`TrainingCallback` hears a :class:`~.training_run.TrainingRun` start
(after the data split, the model and the run directory are ready), every
metrics line it writes, and its end (also on an error). Every learned
generator takes them: ``deval train-generator NAME --wandb-project P`` adds a
:class:`WandbCallback`, as does ``train.wandb=true`` in action-diffusion's
configuration.

deval's own record is always ``metrics.jsonl``; W&B receives the same lines
(mode ``offline`` by default: no network or account, files under
``RUN_DIR/wandb/`` for a later ``wandb sync``). ``wandb`` is not a dependency
of deval (``pip install 'deval[wandb]'``); asking for it without it installed
is a :class:`~deval.errors.ConfigError` before any work is done.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

from deval.errors import ConfigError

__all__ = ["TrainingCallback", "WandbCallback", "require_wandb", "WANDB_MODES"]

WANDB_MODES = ("offline", "online", "disabled")


def require_wandb() -> Any:
    """The ``wandb`` module; :class:`ConfigError` with the install hint when it cannot be imported."""
    try:
        return importlib.import_module("wandb")
    except ImportError:
        raise ConfigError("W&B logging asked for but the wandb package is not installed; pip install wandb "
                          "(or pip install 'deval[wandb]'), or leave W&B off (train.wandb=false)") from None


class TrainingCallback:
    """Hooks of a training run; the defaults do nothing."""

    def on_start(self, run) -> None:
        """The run is ready to train (``run.cfg``, ``run.out``, ``run.step`` are set)."""

    def on_validation(self, run, line: dict) -> None:
        """A metrics line was written."""

    def on_end(self, run) -> None:
        """The run ended (normally or not)."""


class WandbCallback(TrainingCallback):
    """Send the numbers of every metrics line to one W&B run (named after the run directory).

    Parameters
    ----------
    project : str
        W&B project.
    mode : {"offline", "online", "disabled"}
        ``wandb.init(mode=...)``.
    """

    def __init__(self, project: str, mode: str = "offline"):
        if mode not in WANDB_MODES:
            raise ConfigError(f"W&B mode must be one of {', '.join(WANDB_MODES)}, got {mode!r}")
        if not str(project).strip():
            raise ConfigError("the W&B project must not be empty")
        self.wandb = require_wandb()  # fails before any work
        self.project, self.mode = project, mode
        self.run = None

    def on_start(self, run) -> None:
        self.run = self.wandb.init(project=self.project, mode=self.mode, dir=str(run.out), name=Path(run.out).name,
                                   config=run.cfg.to_dict())

    def on_validation(self, run, line: dict) -> None:
        numbers = {k: float(v) for k, v in line.items()
                   if k != "step" and isinstance(v, (int, float)) and math.isfinite(float(v))}
        self.run.log(numbers, step=int(line["step"]))

    def on_end(self, run) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None
