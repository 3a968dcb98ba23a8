"""Diffusion checkpoints: the shared safe layout of :mod:`deval.generators.learned.checkpoint`.

A checkpoint directory holds

``model.safetensors`` the EMA weights (older checkpoints: ``model.pt``, read with ``weights_only=True``)
``config.json``      the full :class:`~.config.DiffusionConfig` (no ``generator`` tag: the original format)
``normalizer.json``  the per-channel statistics (:class:`deval.canonical.Normalizer`)
``encoder.json``     representation settings and condition statistics

A training run directory has ``best/`` and ``final/`` checkpoints, its
``metrics.jsonl`` and ``last/training_state.pt`` (optimiser etc., for ``--resume``).
:func:`load_checkpoint` accepts either a checkpoint directory or a run
directory (it then takes ``best/``, else ``final/``). Anything that is not a
plain tensor state dict is refused with :class:`~deval.errors.CheckpointError`.
"""

from __future__ import annotations

import os
from pathlib import Path

from deval.generators.learned.checkpoint import FILES, CheckpointFormat, load_tensor_dict, save_tensor_dict

from .config import DiffusionConfig
from .representation import MovementEncoder

__all__ = ["FILES", "TRAIN_HINT", "DIFFUSION_CHECKPOINTS", "save_tensor_dict", "load_tensor_dict", "save_checkpoint",
           "resolve_checkpoint_dir", "load_checkpoint"]

#: the diffusion generator's checkpoint layout
DIFFUSION_CHECKPOINTS = CheckpointFormat(DiffusionConfig, label="diffusion", source="diffusion")
TRAIN_HINT = DIFFUSION_CHECKPOINTS.train_hint


def save_checkpoint(directory: str | os.PathLike, state_dict: dict, config: DiffusionConfig,
                    encoder: MovementEncoder, extra: dict | None = None) -> Path:
    """Write a checkpoint directory (files replaced atomically)."""
    return DIFFUSION_CHECKPOINTS.save(directory, state_dict, config, encoder, extra=extra)


def resolve_checkpoint_dir(path: str | os.PathLike) -> Path:
    """A checkpoint directory from ``path`` (itself, or ``best/`` / ``final/`` inside a run directory)."""
    return DIFFUSION_CHECKPOINTS.resolve(path)


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> tuple[dict, DiffusionConfig, MovementEncoder]:
    """Read ``(state_dict, config, encoder)`` from a checkpoint or run directory."""
    return DIFFUSION_CHECKPOINTS.load(path, map_location)
