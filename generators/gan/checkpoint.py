"""GAN checkpoints: the shared safe layout of :mod:`deval.generators.learned.checkpoint`, and the networks.

A checkpoint directory holds

``model.safetensors``  the EMA generator weights (older checkpoints: ``model.pt``, read with ``weights_only=True``)
``config.json``      the full :class:`~.config.GANConfig` (top-level ``"generator": "gan"``)
``normalizer.json``  the per-channel statistics (:class:`deval.canonical.Normalizer`)
``encoder.json``     representation settings and condition statistics

A training run directory has ``best/`` and ``final/`` checkpoints,
``metrics.jsonl`` and ``last/training_state.pt`` (critic, optimisers etc.,
for ``--resume``). ``GAN_CHECKPOINTS.load`` accepts a checkpoint or a run
directory (then ``best/``, else ``final/``) and refuses anything that is not
a plain tensor state dict, or a checkpoint of another generator, with
:class:`~deval.errors.CheckpointError`.
"""

from __future__ import annotations

import math

from deval.generators.diffusion.representation import MovementEncoder
from deval.generators.learned.checkpoint import FILES, CheckpointFormat
from deval.generators.learned.run_data import build_encoder

from .config import GANConfig
from .networks import ConvCritic, GRUGenerator

__all__ = ["FILES", "TRAIN_HINT", "GAN_CHECKPOINTS", "build_generator", "build_critic", "build_encoder"]

#: the GAN's checkpoint layout
GAN_CHECKPOINTS = CheckpointFormat(GANConfig, label="GAN", source="gan")
TRAIN_HINT = GAN_CHECKPOINTS.train_hint


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





