"""Optional Weights & Biases logging of a training run's metrics lines (``train.wandb=true``).

deval's own record is always ``metrics.jsonl``; with ``train.wandb`` the same
lines also go to a W&B run (project ``train.wandb_project``, mode
``train.wandb_mode``: ``offline`` by default, which needs no network or
account and writes under ``RUN_DIR/wandb/`` for a later ``wandb sync``).
``wandb`` is not a dependency of deval (``pip install wandb`` or
``pip install 'deval[wandb]'``); asking for it without it installed is a
:class:`~deval.errors.ConfigError` before any work is done.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

from deval.errors import ConfigError

__all__ = ["require_wandb", "WandbLogger"]


def require_wandb() -> Any:
    """The ``wandb`` module; :class:`ConfigError` with the install hint when it cannot be imported."""
    try:
        return importlib.import_module("wandb")
    except ImportError:
        raise ConfigError("train.wandb=true but the wandb package is not installed; pip install wandb "
                          "(or pip install 'deval[wandb]'), or set train.wandb=false") from None


class WandbLogger:
    """One W&B run that receives the numbers of every metrics line.

    Parameters
    ----------
    project : str
        W&B project.
    mode : {"offline", "online", "disabled"}
        ``wandb.init(mode=...)``.
    run_dir : path
        The training run directory (W&B writes under ``run_dir/wandb``; the run is named after it).
    config : dict
        The run's configuration (shown by W&B).
    """

    def __init__(self, project: str, mode: str, run_dir: str | Path, config: dict):
        wandb = require_wandb()
        self.run = wandb.init(project=project, mode=mode, dir=str(run_dir), name=Path(run_dir).name,
                              config=config)

    def log(self, line: dict) -> None:
        """Log the finite numbers of a metrics line at its ``step`` (booleans as 0/1)."""
        numbers = {k: float(v) for k, v in line.items()
                   if k != "step" and isinstance(v, (int, float)) and math.isfinite(float(v))}
        self.run.log(numbers, step=int(line["step"]))

    def finish(self) -> None:
        """Close the W&B run."""
        self.run.finish()
