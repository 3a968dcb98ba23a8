"""Safe GAN checkpoints, in the diffusion generator's layout.

A checkpoint directory holds

``model.pt``         the EMA generator weights (plain tensor state dict, loaded with ``weights_only=True``)
``config.json``      the full :class:`~.config.GANConfig` (top-level ``"generator": "gan"``)
``normalizer.json``  the per-channel statistics (:class:`deval.canonical.Normalizer`)
``encoder.json``     representation settings and condition statistics

Files are written by :func:`deval.generators.diffusion.checkpoint.save_checkpoint`
(the formats are shared). A training run directory has ``best/`` and
``final/`` checkpoints, ``metrics.jsonl`` and ``last/training_state.pt``
(critic, optimisers etc., for ``--resume``). :func:`load_gan_checkpoint`
accepts a checkpoint or a run directory (then ``best/``, else ``final/``) and
refuses anything that is not a plain tensor state dict with
:class:`~deval.errors.CheckpointError`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch

from deval.canonical import Normalizer
from deval.errors import CheckpointError, ConfigError, DataError
from deval.generators.diffusion.checkpoint import load_tensor_dict, save_checkpoint
from deval.generators.diffusion.representation import MovementEncoder

from .config import GENERATOR_TAG, GANConfig
from .networks import ConvCritic, GRUGenerator

__all__ = ["FILES", "TRAIN_HINT", "save_gan_checkpoint", "resolve_gan_checkpoint_dir", "load_gan_checkpoint",
           "build_generator", "build_critic", "build_encoder"]

FILES = ("model.pt", "config.json", "normalizer.json", "encoder.json")
TRAIN_HINT = "train one with: deval train-generator gan --data REAL.npz --out DIR"


def build_encoder(cfg: GANConfig) -> MovementEncoder:
    """The (unfitted) :class:`MovementEncoder` described by ``cfg.data``."""
    d = cfg.data
    return MovementEncoder(d.max_len, d.features, d.spatial_scale, d.dt_transform, d.use_duration, d.quantize_output)


def build_generator(cfg: GANConfig, encoder: MovementEncoder) -> GRUGenerator:
    """The generator network for ``cfg`` and a fitted ``encoder``."""
    m = cfg.model
    return GRUGenerator(encoder.n_channels, encoder.goal_dim, noise_dim=m.noise_dim, latent_dim=m.latent_dim,
                        emb_dim=m.emb_dim, hidden=m.gen_hidden, layers=m.gen_layers, patch=m.patch,
                        max_len=encoder.max_len)


def build_critic(cfg: GANConfig, encoder: MovementEncoder) -> ConvCritic:
    """The critic network for ``cfg`` and a fitted ``encoder`` (integrates paths with its normaliser)."""
    m = cfg.model
    scale = 1.0 if encoder.spatial_scale == "distance" else math.exp(encoder.stats.log_dist_mean)
    return ConvCritic(encoder.n_channels, encoder.goal_dim, mean=encoder.normalizer.mean_, std=encoder.normalizer.std_,
                      path_scale=scale, emb_dim=m.emb_dim, width=m.critic_channels, blocks=m.critic_blocks,
                      kernel=m.critic_kernel, patch=m.patch, max_len=encoder.max_len)


def save_gan_checkpoint(directory: str | os.PathLike, generator_state: dict, config: GANConfig,
                        encoder: MovementEncoder, extra: dict | None = None) -> Path:
    """Write a checkpoint directory (each file replaced atomically)."""
    return save_checkpoint(directory, generator_state, config, encoder, extra=extra)  # duck-typed config


def resolve_gan_checkpoint_dir(path: str | os.PathLike) -> Path:
    """A checkpoint directory from ``path`` (itself, or ``best/`` / ``final/`` inside a run directory)."""
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{p}: no such GAN checkpoint directory; {TRAIN_HINT}")
    if p.is_file():
        raise CheckpointError(f"{p}: give the checkpoint directory, not a file; {TRAIN_HINT}")
    if (p / "model.pt").exists():
        return p
    for sub in ("best", "final"):
        if (p / sub / "model.pt").exists():
            return p / sub
    raise CheckpointError(f"{p}: no GAN checkpoint here (no model.pt, best/ or final/); {TRAIN_HINT}")


def load_gan_checkpoint(path: str | os.PathLike, map_location="cpu") -> tuple[dict, GANConfig, MovementEncoder]:
    """Read ``(generator_state_dict, config, encoder)`` from a checkpoint or run directory.

    Raises
    ------
    CheckpointError
        Missing or incomplete directory, a ``model.pt`` that is not a plain
        tensor state dict (pickled objects are never loaded), a checkpoint of
        another generator (e.g. diffusion), or invalid metadata.
    """
    d = resolve_gan_checkpoint_dir(path)
    missing = [f for f in FILES if not (d / f).is_file()]
    if missing:
        raise CheckpointError(f"{d}: incomplete checkpoint, missing {', '.join(missing)}")
    try:
        cfg_d = json.loads((d / "config.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError) as exc:
        raise CheckpointError(f"{d / 'config.json'}: unreadable ({exc})") from None
    if not isinstance(cfg_d, dict) or cfg_d.get("generator") != GENERATOR_TAG:
        raise CheckpointError(f"{d}: not a GAN checkpoint (config.json has no \"generator\": \"gan\"; "
                              "a diffusion checkpoint goes with --source diffusion)")
    state = load_tensor_dict(d / "model.pt", map_location)
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{d / 'model.pt'}: expected a flat state dict of tensors")
    try:
        config = GANConfig.from_dict(cfg_d)
        normalizer = Normalizer.load(d / "normalizer.json")
        encoder = MovementEncoder.from_dict(json.loads((d / "encoder.json").read_text(encoding="utf-8")), normalizer)
    except (json.JSONDecodeError, ConfigError, DataError, OSError) as exc:
        raise CheckpointError(f"{d}: invalid checkpoint metadata ({exc})") from None
    return state, config, encoder
