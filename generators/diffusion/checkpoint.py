"""Safe checkpoints: a state dict (``weights_only`` loading), a JSON config and a JSON normaliser.

A checkpoint directory holds

``model.pt``         the EMA weights (``torch.save`` of a plain state dict)
``config.json``      the full :class:`~.config.DiffusionConfig`
``normalizer.json``  the per-channel statistics (:class:`deval.canonical.Normalizer`)
``encoder.json``     representation settings and condition statistics

A training run directory has ``best/`` and ``final/`` checkpoints, its
``metrics.jsonl`` and ``last/training_state.pt`` (optimiser etc., for ``--resume``).
:func:`load_checkpoint` accepts either a checkpoint directory or a run
directory (it then takes ``best/``, else ``final/``). Anything that is not a
plain tensor state dict is refused with :class:`~deval.errors.CheckpointError`.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path

import torch

from deval.atomic import write_bytes, write_text
from deval.canonical import Normalizer
from deval.errors import CheckpointError, ConfigError, DataError

from .config import DiffusionConfig
from .representation import MovementEncoder

FILES = ("model.pt", "config.json", "normalizer.json", "encoder.json")
TRAIN_HINT = "train one with: deval train-generator diffusion --data REAL.npz --out DIR"


def save_tensor_dict(path: str | os.PathLike, state: dict, force: bool = True) -> None:
    """Atomically ``torch.save`` a (nested) dict of tensors and plain values."""
    buf = io.BytesIO()
    torch.save(state, buf)
    write_bytes(path, buf.getvalue(), force=force)


def load_tensor_dict(path: str | os.PathLike, map_location="cpu") -> dict:
    """``torch.load(path, weights_only=True)``; refuse anything else with :class:`CheckpointError`."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: missing")
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{p}: not a plain tensor state dict, refusing to load it ({first})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{p}: expected a state dict, found {type(state).__name__}")
    return state


def save_checkpoint(directory: str | os.PathLike, state_dict: dict, config: DiffusionConfig,
                    encoder: MovementEncoder, extra: dict | None = None) -> Path:
    """Write a checkpoint directory (files replaced atomically)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    save_tensor_dict(d / "model.pt", {k: v.detach().cpu() for k, v in state_dict.items()})
    write_text(d / "config.json", json.dumps(config.to_dict(), indent=2), force=True)
    encoder.normalizer.save(d / "normalizer.json", force=True)
    enc = encoder.to_dict()
    if extra:
        enc["extra"] = extra
    write_text(d / "encoder.json", json.dumps(enc), force=True)
    return d


def resolve_checkpoint_dir(path: str | os.PathLike) -> Path:
    """A checkpoint directory from ``path`` (itself, or ``best/`` / ``final/`` inside a run directory)."""
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{p}: no such checkpoint directory; {TRAIN_HINT}")
    if p.is_file():
        raise CheckpointError(f"{p}: give the checkpoint directory, not a file; {TRAIN_HINT}")
    if (p / "model.pt").exists():
        return p
    for sub in ("best", "final"):
        if (p / sub / "model.pt").exists():
            return p / sub
    raise CheckpointError(f"{p}: no diffusion checkpoint here (no model.pt, best/ or final/); {TRAIN_HINT}")


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> tuple[dict, DiffusionConfig, MovementEncoder]:
    """Read ``(state_dict, config, encoder)`` from a checkpoint or run directory."""
    d = resolve_checkpoint_dir(path)
    missing = [f for f in FILES if not (d / f).is_file()]
    if missing:
        raise CheckpointError(f"{d}: incomplete checkpoint, missing {', '.join(missing)}")
    state = load_tensor_dict(d / "model.pt", map_location)
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{d / 'model.pt'}: expected a flat state dict of tensors")
    try:
        cfg_d = json.loads((d / "config.json").read_text(encoding="utf-8"))
        config = DiffusionConfig.from_dict(cfg_d)
        normalizer = Normalizer.load(d / "normalizer.json")
        encoder = MovementEncoder.from_dict(json.loads((d / "encoder.json").read_text(encoding="utf-8")), normalizer)
    except (json.JSONDecodeError, ConfigError, DataError, OSError) as exc:
        raise CheckpointError(f"{d}: invalid checkpoint metadata ({exc})") from None
    return state, config, encoder
