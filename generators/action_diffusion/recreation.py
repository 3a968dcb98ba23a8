"""The recreation check of ``action-diffusion``: real sequences noised to mid-schedule and denoised back.

Each sequence ``x0`` (model units) is noised with the forward process to the
training timestep ``t`` nearest to ``noise * T`` that the sampler visits
(``T = diffusion.timesteps``; with ``noise = 0.5`` and the trailing spacing
of ``round(steps / noise)`` steps, ``t = T/2 - 1``, e.g. 499 of 1000, where
``alpha_bar`` is about 0.5), then denoised back from there with ``steps``
sampler steps, conditioned on its own gesture type. The result, decoded as
sampled sequences are (positions clipped to the screen, press ``> 0.5``), is
compared with the clean sequence in screen units by
:func:`deval.metrics.actions.action_metrics` (press accuracy, temporal IoU
of the press periods, SNR in dB, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from deval.generators.diffusion.model import DiffusionModel
from deval.generators.diffusion.samplers import make_sampler
from deval.metrics.actions import ActionMetrics, action_metrics

from .representation import ActionBatch, ActionEncoder

__all__ = ["Recreation", "recreation_timesteps", "recreate"]


@dataclass(frozen=True)
class Recreation:
    """What :func:`recreate` returns.

    Attributes
    ----------
    pred, target : ndarray, float64, (N, T, 3)
        Denoised and clean sequences in screen units (press 0/1).
    mask : ndarray, bool, (N, T)
    timestep : int
        The training timestep the sequences were noised to.
    metrics : ActionMetrics
    """

    pred: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    timestep: int
    metrics: ActionMetrics

    def scalars(self) -> dict[str, float]:
        """The metrics' scalars and ``recreation_t`` (for a metrics line)."""
        return {**self.metrics.scalars(), "recreation_t": float(self.timestep)}


def recreation_timesteps(model: DiffusionModel, sampler: str, steps: int, noise: float) -> tuple[int, int]:
    """``(total_steps, t_start)``: a trailing-spaced sampler of ``total_steps`` visits ``t_start`` with ``steps`` left.

    ``total_steps = round(steps / noise)``; ``t_start`` is its timestep number
    ``total_steps - steps`` (``T/2 - 1`` for ``noise = 0.5``).
    """
    total = max(steps + 1, int(round(steps / noise)))
    sched = make_sampler(sampler, model.schedule, model.prediction_type, timestep_spacing="trailing")
    sched.set_timesteps(total)
    return total, int(sched.timesteps[total - steps])


@torch.no_grad()
def recreate(model: DiffusionModel, encoder: ActionEncoder, batch: ActionBatch, *, seed: int, sampler: str = "dpm-solver",
             steps: int = 10, noise: float = 0.5, eta: float = 0.0, binary_press: bool = True) -> Recreation:
    """Noise ``batch`` to mid-schedule, denoise it back and measure it (see the module docstring).

    Parameters
    ----------
    model : DiffusionModel
        Usually the EMA network.
    encoder : ActionEncoder
    batch : ActionBatch
        Clean sequences (N) on the model's device.
    seed : int
        Seed of the forward noise and of stochastic samplers.
    sampler, steps, eta
        Sampler, its network calls from ``t`` to clean data, DDIM's eta.
    noise : float
        Fraction of the schedule to noise to (0.5: ``t = T/2``).
    """
    model.eval()
    total, t_start = recreation_timesteps(model, sampler, steps, noise)
    g = torch.Generator().manual_seed(int(seed))
    dev = batch.values.device
    eps = torch.randn(batch.values.shape, generator=g).to(dev)
    t = torch.full((len(batch),), t_start, dtype=torch.long, device=dev)
    x_t = model.schedule.add_noise(batch.values, eps, t)
    goal = encoder.goal(batch.label)
    out = model.sample(batch.mask, goal, sampler=sampler, steps=total, eta=eta, generator=g, channels=encoder.n_channels,
                       timestep_spacing="trailing", start=(x_t, t_start))
    mask = batch.mask.cpu().numpy()
    pred = encoder.to_unit(out, mask, binary_press=binary_press)
    target = encoder.normalizer.inverse_transform(batch.values.cpu().numpy().astype(np.float64))[..., :3]
    target[~mask] = 0.0
    metrics = action_metrics(pred, target, mask, aspect=encoder.aspect)
    return Recreation(pred, target, mask, t_start, metrics)
