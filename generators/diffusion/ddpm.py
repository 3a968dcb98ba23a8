"""DDPM ancestral sampling (Ho et al. 2020), optionally on a strided subset of timesteps."""

from __future__ import annotations

import torch

from .sampler_base import SamplerBase, SchedulerOutput
from .schedules import NoiseSchedule


def ddpm_posterior(x0: torch.Tensor, sample: torch.Tensor, abar_t: float, abar_prev: float):
    """Mean and variance of ``q(x_prev | x_t, x0)`` between two (possibly non-adjacent) timesteps.

    With ``beta = 1 - abar_t / abar_prev``::

        mean = sqrt(abar_prev) * beta / (1 - abar_t) * x0
             + sqrt(abar_t / abar_prev) * (1 - abar_prev) / (1 - abar_t) * x_t
        var  = (1 - abar_prev) / (1 - abar_t) * beta

    Returns
    -------
    mean : Tensor, like ``sample``
    variance : float
    """
    beta = 1.0 - abar_t / abar_prev
    c0 = abar_prev ** 0.5 * beta / (1.0 - abar_t)
    ct = (abar_t / abar_prev) ** 0.5 * (1.0 - abar_prev) / (1.0 - abar_t)
    var = (1.0 - abar_prev) / (1.0 - abar_t) * beta
    return c0 * x0 + ct * sample, var


class DDPMScheduler(SamplerBase):
    """Stochastic ancestral sampler; by default one step per training timestep.

    ``set_timesteps(n)`` with ``n < T`` strides the chain and uses the exact
    posterior between the visited timesteps (the "fixed small" variance).
    """

    name = "ddpm"

    def __init__(self, schedule: NoiseSchedule, prediction_type: str = "epsilon", clip_sample: float | None = None,
                 timestep_spacing: str = "trailing"):
        super().__init__(schedule, prediction_type, clip_sample, timestep_spacing)

    def step(self, model_output: torch.Tensor, timestep, sample: torch.Tensor,
             generator: torch.Generator | None = None) -> SchedulerOutput:
        """One ancestral step from ``timestep`` to the previous visited timestep."""
        t = int(timestep)
        prev = self.previous_timestep(t)
        x0, _ = self._x0_eps(model_output, t, sample)
        mean, var = ddpm_posterior(x0, sample, self._abar(t), self._abar(prev))
        if var > 0:
            noise = torch.randn(sample.shape, generator=generator, device=sample.device, dtype=sample.dtype)
            mean = mean + var ** 0.5 * noise
        return SchedulerOutput(mean, x0)
