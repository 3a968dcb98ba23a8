"""The run directory of a training run: creation rules, the device, ``metrics.jsonl``, the saved configuration.

Layout (written by :class:`~.training_run.TrainingRun`)::

    config.json          the full configuration
    split.json           how the validation split was drawn
    metrics.jsonl        one JSON line per validation
    best/                checkpoint with the best validation score
    final/               checkpoint after the last step
    last/                latest checkpoint + training_state.pt, for --resume
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from deval.errors import ConfigError, OutputExistsError

__all__ = ["resolve_device", "prepare_run_dir", "resumed_config", "append_metrics_line", "TRAINING_STATE"]

#: where the optimiser state etc. of the latest validation is kept, relative to the run directory
TRAINING_STATE = Path("last") / "training_state.pt"


def resolve_device(name: str) -> torch.device:
    """``torch.device(name)``; :class:`ConfigError` naming ``--device`` when it is invalid or CUDA is missing."""
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"--device {name!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: CUDA is not available on this machine")
    return dev


def prepare_run_dir(out_dir: Path, resume: bool, force: bool) -> None:
    """Check (and create) the run directory.

    Without ``resume`` it must be missing or empty unless ``force``; an old
    ``metrics.jsonl`` is then removed. With ``resume`` it must hold
    ``last/training_state.pt``.

    Raises
    ------
    OutputExistsError
        A file is in the way, or a non-empty directory without ``force``.
    ConfigError
        ``resume`` with nothing to resume.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(out_dir)
    if resume:
        if not (out_dir / TRAINING_STATE).is_file():
            raise ConfigError(f"{out_dir}: nothing to resume (no {TRAINING_STATE.as_posix()})")
        return
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / "metrics.jsonl").exists():
        (out_dir / "metrics.jsonl").unlink()


def resumed_config(out_dir: Path, config):
    """The configuration saved in ``out_dir/config.json``, with ``train.steps`` taken from ``config``.

    ``config`` is the caller's configuration (its class reads the file); only
    its ``train.steps`` is used, so that a resumed run can be extended.
    """
    path = out_dir / "config.json"
    try:
        saved_d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the saved configuration ({exc})") from None
    saved = type(config).from_dict(saved_d)
    saved.train.steps = config.train.steps
    return saved


def append_metrics_line(out_dir: Path, line: dict) -> None:
    """Append ``line`` to ``out_dir/metrics.jsonl`` as one JSON line (non-finite floats written as ``null``)."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in line.items()}
    with open(out_dir / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(clean) + "\n")
