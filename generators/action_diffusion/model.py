"""The network of ``action-diffusion``: the diffusion generator's transformer denoiser and diffusion model.

:func:`build_action_model` puts a
:class:`~deval.generators.diffusion.transformer.TransformerDenoiser` over the
channels of :class:`~.representation.ActionEncoder` (``x, y, press`` and
the displacements ``dx, dy``, in model units), conditioned on a
one-hot gesture type (with the learned null embedding of classifier-free
guidance), into a :class:`~deval.generators.diffusion.model.DiffusionModel`
with the configured schedule, parameterisation, min-SNR weighting,
self-conditioning and condition dropout. Training loss and samplers are the
diffusion generator's.
"""

from __future__ import annotations

from deval.generators.diffusion.model import DiffusionModel
from deval.generators.diffusion.schedules import NoiseSchedule
from deval.generators.diffusion.transformer import TransformerDenoiser

from .config import ActionDiffusionConfig
from .representation import ActionEncoder

__all__ = ["build_action_model"]


def build_action_model(cfg: ActionDiffusionConfig, encoder: ActionEncoder) -> DiffusionModel:
    """The (untrained) diffusion model of ``cfg`` for the representation ``encoder``."""
    m, f = cfg.model, cfg.diffusion
    denoiser = TransformerDenoiser(encoder.n_channels, encoder.goal_dim, d_model=m.d_model, layers=m.num_layers,
                                   heads=m.nhead, ff_mult=m.ff_mult, patch_size=m.patch_size, dropout=m.dropout,
                                   emb_dim=m.emb_dim, self_condition=f.self_condition, num_train_timesteps=f.timesteps)
    cond_drop = f.cond_drop if encoder.condition == "gesture" else 0.0
    return DiffusionModel(denoiser, NoiseSchedule(f.schedule, f.timesteps), f.prediction, f.min_snr_gamma,
                          f.self_condition, cond_drop)
