"""Stage 1: a small transformer DDPM over the K keypoint tokens of a movement, conditioned on the goal.

The network is the diffusion package's :class:`TransformerDenoiser` with one
token per keypoint (cost O(K^2) per layer, independent of the movement's
length), wrapped in its :class:`DiffusionModel` (noise schedule, epsilon / x0 /
v parameterisation, min-SNR loss, goal dropout for classifier-free guidance).

:func:`sample_keypoints` runs any sampler of the diffusion package (DDIM by
default) from pure noise, or -- for bootstrapping -- from the true keypoints
noised to an intermediate level (SDEdit-style), and can report every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from deval.errors import ConfigError
from deval.generators.diffusion.model import DiffusionModel
from deval.generators.diffusion.samplers import make_sampler
from deval.generators.diffusion.schedules import NoiseSchedule
from deval.generators.diffusion.transformer import TransformerDenoiser


@dataclass
class KeypointStep:
    """What :func:`sample_keypoints` reports after each sampler step.

    Attributes
    ----------
    index, total : int
        Step number (0-based) and number of steps.
    timestep : int
        Diffusion timestep the step started from.
    sample : Tensor, (B, K, C)
        The less noisy keypoints after the step.
    pred_x0 : Tensor, (B, K, C)
        The clean-keypoint estimate of the step.
    """

    index: int
    total: int
    timestep: int
    sample: torch.Tensor
    pred_x0: torch.Tensor


def build_keypoint_model(goal_dim: int, *, channels: int = 3, d_model: int = 64, layers: int = 3, heads: int = 4,
                         ff_mult: int = 2, emb_dim: int = 64, dropout: float = 0.0, schedule: str = "cosine",
                         timesteps: int = 1000, prediction: str = "v_prediction", min_snr_gamma: float = 5.0,
                         self_condition: bool = False, cond_drop: float = 0.1) -> DiffusionModel:
    """The stage-1 diffusion model over keypoint tokens (B, K, channels) with goal (B, goal_dim)."""
    denoiser = TransformerDenoiser(channels, goal_dim, d_model=d_model, layers=layers, heads=heads, ff_mult=ff_mult,
                                   patch_size=1, dropout=dropout, emb_dim=emb_dim, self_condition=self_condition,
                                   num_train_timesteps=timesteps)
    return DiffusionModel(denoiser, NoiseSchedule(schedule, timesteps), prediction, min_snr_gamma, self_condition,
                          cond_drop)


@torch.no_grad()
def sample_keypoints(model: DiffusionModel, goal: torch.Tensor, k: int, *, sampler: str = "ddim", steps: int = 20,
                     cfg_scale: float = 1.0, eta: float = 0.0, generator: torch.Generator | None = None,
                     start: torch.Tensor | None = None, strength: float = 1.0,
                     on_step: Callable[[KeypointStep], None] | None = None) -> torch.Tensor:
    """Sample keypoints (B, K, C) for goals (B, G).

    Parameters
    ----------
    model : DiffusionModel
        Stage-1 model (its denoiser has ``c`` channels).
    goal : Tensor, (B, G)
    k : int
        Keypoints per movement.
    sampler, steps, eta : str, int, float
        Sampler of :func:`deval.generators.diffusion.samplers.make_sampler` and its settings.
    cfg_scale : float
        Classifier-free guidance ``uncond + scale * (cond - uncond)`` (1: none).
    generator : torch.Generator, optional
        Seeds the starting noise and stochastic steps (CPU generator).
    start : Tensor, (B, K, C), optional
        Clean keypoints to start from instead of pure noise: they are noised to
        the first visited timestep at or below ``strength * (T - 1)`` and
        denoised from there (SDEdit). Used for bootstrapping.
    strength : float
        In (0, 1]; only with ``start``.
    on_step : callable, optional
        Called with a :class:`KeypointStep` after every step.
    """
    dev = goal.device
    b = goal.shape[0]
    mask = torch.ones(b, int(k), dtype=torch.bool, device=dev)
    begin = None
    if start is not None:  # noise the given keypoints to the first visited timestep <= strength * (T - 1)
        if not 0 < strength <= 1:
            raise ConfigError(f"bootstrap strength must be in (0, 1], got {strength}")
        sched = make_sampler(sampler, model.schedule, model.prediction_type, eta=eta)
        sched.set_timesteps(steps)
        timesteps = sched.timesteps.tolist()
        t0 = strength * (model.schedule.num_train_timesteps - 1)
        t_first = ([t for t in timesteps if t <= t0] or timesteps[-1:])[0]
        noise = torch.randn(start.shape, generator=generator)
        tt = torch.full((b,), t_first, dtype=torch.long)
        begin = (model.schedule.add_noise(start.float().cpu(), noise, tt), t_first)
    report = None if on_step is None else (lambda i, n, t, x, x0: on_step(KeypointStep(i, n, t, x, x0)))
    return model.sample(mask, goal, sampler=sampler, steps=steps, cfg_scale=cfg_scale, eta=eta, generator=generator,
                        start=begin, on_step=report)
