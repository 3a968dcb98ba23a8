"""What every sampler shares: configuration captured at construction, timesteps, the step output.

Samplers follow the diffusers scheduler protocol::

    sched = DDIMScheduler(schedule, prediction_type="v_prediction", eta=0.0)
    sched.set_timesteps(20)
    x = torch.randn(shape, generator=g)
    for t in sched.timesteps:
        out = model(x, t)
        x = sched.step(out, t, x, generator=g).prev_sample
"""

from __future__ import annotations

import abc

from dataclasses import dataclass
from typing import Any

import torch

from .parameterization import check_prediction_type, to_eps, to_x0
from .schedules import NoiseSchedule, inference_timesteps


@dataclass
class SchedulerOutput:
    """One sampler step.

    Attributes
    ----------
    prev_sample : Tensor
        The less noisy sample (same shape and dtype as the input sample).
    pred_original_sample : Tensor
        The clean-sample estimate used for the step.
    """

    prev_sample: torch.Tensor
    pred_original_sample: torch.Tensor


class SamplerBase(abc.ABC):
    """Shared state of a sampler over a :class:`NoiseSchedule`.

    Parameters
    ----------
    schedule : NoiseSchedule
        The training noise schedule.
    prediction_type : {"epsilon", "sample", "v_prediction"}
        What the model outputs.
    clip_sample : float or None
        Clamp clean-sample estimates to ``[-clip_sample, clip_sample]`` (None: no clamp).
    timestep_spacing : {"trailing", "logsnr"}
        How :meth:`set_timesteps` spreads the steps (see :func:`inference_timesteps`).
    """

    name = "base"

    def __init__(self, schedule: NoiseSchedule, prediction_type: str = "epsilon", clip_sample: float | None = None,
                 timestep_spacing: str = "trailing", **extra: Any):
        self.schedule = schedule
        self.prediction_type = check_prediction_type(prediction_type)
        self.clip_sample = clip_sample
        self.timestep_spacing = timestep_spacing
        self.config = {"schedule": dict(schedule.config), "prediction_type": prediction_type,
                       "clip_sample": clip_sample, "timestep_spacing": timestep_spacing, **extra}
        self.timesteps = torch.zeros(0, dtype=torch.long)
        self.num_inference_steps = 0

    @property
    def init_noise_sigma(self) -> float:
        """Standard deviation of the starting noise (1 for variance-preserving diffusion)."""
        return 1.0

    def set_timesteps(self, num_inference_steps: int, device: str | torch.device | None = None) -> None:
        """Choose ``num_inference_steps`` descending timesteps (``self.timesteps``)."""
        self.timesteps = inference_timesteps(self.schedule.num_train_timesteps, num_inference_steps,
                                             self.timestep_spacing, self.schedule.alphas_cumprod)
        if device is not None:
            self.timesteps = self.timesteps.to(device)
        self.num_inference_steps = len(self.timesteps)
        self._index = {int(t): i for i, t in enumerate(self.timesteps.tolist())}
        self.reset()

    def reset(self) -> None:
        """Forget multistep history (called by :meth:`set_timesteps`)."""

    def _abar(self, t: int) -> float:
        """``alphas_cumprod[t]``; 1 for ``t < 0`` (clean data)."""
        return 1.0 if t < 0 else float(self.schedule.alphas_cumprod[t])

    def previous_timestep(self, timestep: int) -> int:
        """The timestep after ``timestep`` in the sampling order (-1 = clean)."""
        i = self._index.get(int(timestep))
        if i is None:
            raise ValueError(f"timestep {timestep} is not in this sampler's timesteps; call set_timesteps first")
        return int(self.timesteps[i + 1]) if i + 1 < len(self.timesteps) else -1

    def _x0_eps(self, model_output: torch.Tensor, t: int, sample: torch.Tensor):
        abar = self._abar(t)
        alpha, sigma = abar ** 0.5, (1 - abar) ** 0.5
        x0 = to_x0(model_output, sample, alpha, sigma, self.prediction_type)
        if self.clip_sample is not None:
            x0 = x0.clamp(-self.clip_sample, self.clip_sample)
        eps = (sample - alpha * x0) / sigma
        if self.clip_sample is None:  # identical maths, better conditioned when alpha ~ 0
            eps = to_eps(model_output, sample, alpha, sigma, self.prediction_type)
        return x0, eps

    @abc.abstractmethod
    def step(self, model_output: torch.Tensor, timestep, sample: torch.Tensor,
             generator: torch.Generator | None = None) -> SchedulerOutput:
        """One denoising step from ``timestep``: the previous sample and the clean estimate."""
