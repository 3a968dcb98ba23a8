"""DDIM sampling (Song, Meng & Ermon 2021): any number of steps, ``eta`` from deterministic (0) to DDPM-like (1)."""

from __future__ import annotations

import torch

from .sampler_base import SamplerBase, SchedulerOutput
from .schedules import NoiseSchedule


class DDIMScheduler(SamplerBase):
    """DDIM step ``x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - s^2) eps + s z``.

    ``s = eta * sqrt((1 - abar_prev) / (1 - abar_t)) * sqrt(1 - abar_t / abar_prev)``.
    """

    name = "ddim"

    def __init__(self, schedule: NoiseSchedule, prediction_type: str = "epsilon", clip_sample: float | None = None,
                 eta: float = 0.0, timestep_spacing: str = "trailing"):
        super().__init__(schedule, prediction_type, clip_sample, timestep_spacing, eta=float(eta))
        self.eta = float(eta)

    def step(self, model_output: torch.Tensor, timestep, sample: torch.Tensor,
             generator: torch.Generator | None = None) -> SchedulerOutput:
        """One DDIM step from ``timestep`` to the next visited timestep."""
        t = int(timestep)
        prev = self.previous_timestep(t)
        x0, eps = self._x0_eps(model_output, t, sample)
        abar_t, abar_prev = self._abar(t), self._abar(prev)
        std = self.eta * ((1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev)) ** 0.5
        direction = max(1 - abar_prev - std ** 2, 0.0) ** 0.5
        prev_sample = abar_prev ** 0.5 * x0 + direction * eps
        if std > 0:
            noise = torch.randn(sample.shape, generator=generator, device=sample.device, dtype=sample.dtype)
            prev_sample = prev_sample + std * noise
        return SchedulerOutput(prev_sample, x0)
