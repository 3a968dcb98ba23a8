"""DPM-Solver++(2M): a second-order multistep solver of the diffusion ODE (Lu et al. 2022).

It integrates the probability-flow ODE in data-prediction form over
``lambda = log(alpha / sigma)``; each step costs one model call and reuses
the previous step's clean estimate, so 10-20 steps reach the quality that
DDIM needs 50+ for. The first step and the final step (to clean data) are
first order.
"""

from __future__ import annotations

import math

import torch

from .sampler_base import SamplerBase, SchedulerOutput
from .schedules import NoiseSchedule


class DPMSolverMultistepScheduler(SamplerBase):
    """DPM-Solver++ of order 1 or 2 (multistep), deterministic."""

    name = "dpm-solver"

    def __init__(self, schedule: NoiseSchedule, prediction_type: str = "epsilon", clip_sample: float | None = None,
                 solver_order: int = 2, timestep_spacing: str = "logsnr"):
        if solver_order not in (1, 2):
            from deval.errors import ConfigError

            raise ConfigError(f"solver_order must be 1 or 2, got {solver_order}")
        super().__init__(schedule, prediction_type, clip_sample, timestep_spacing, solver_order=int(solver_order))
        self.solver_order = int(solver_order)
        self.reset()

    def reset(self) -> None:
        self._prev_x0: torch.Tensor | None = None
        self._prev_lambda: float | None = None

    def _lambda(self, abar: float) -> float:
        return 0.5 * math.log(abar / (1 - abar))

    def step(self, model_output: torch.Tensor, timestep, sample: torch.Tensor,
             generator: torch.Generator | None = None) -> SchedulerOutput:
        """One solver step from ``timestep`` to the next visited timestep (``generator`` unused)."""
        t = int(timestep)
        prev = self.previous_timestep(t)
        x0, _ = self._x0_eps(model_output, t, sample)
        abar_s = self._abar(t)
        lam_s = self._lambda(abar_s)
        if prev < 0:  # final step: sigma -> 0, the ODE solution is the clean estimate
            out = x0
        else:
            abar_t = self._abar(prev)
            alpha_t, sigma_t, sigma_s = abar_t ** 0.5, (1 - abar_t) ** 0.5, (1 - abar_s) ** 0.5
            lam_t = self._lambda(abar_t)
            h = lam_t - lam_s
            d = x0
            if self.solver_order == 2 and self._prev_x0 is not None:
                r = (lam_s - self._prev_lambda) / h
                d = (1 + 0.5 / r) * x0 - (0.5 / r) * self._prev_x0
            out = (sigma_t / sigma_s) * sample - alpha_t * math.expm1(-h) * d
        self._prev_x0, self._prev_lambda = x0, lam_s
        return SchedulerOutput(out, x0)
