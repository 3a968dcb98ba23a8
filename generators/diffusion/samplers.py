"""Sampler names -> classes: ``ddpm``, ``ddim``, ``dpm-solver``."""

from __future__ import annotations

from deval.errors import ConfigError

from .ddim import DDIMScheduler
from .ddpm import DDPMScheduler
from .dpm_solver import DPMSolverMultistepScheduler
from .sampler_base import SamplerBase
from .schedules import NoiseSchedule

SAMPLERS = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler, "dpm-solver": DPMSolverMultistepScheduler}


def make_sampler(name: str, schedule: NoiseSchedule, prediction_type: str, *, eta: float = 0.0,
                 clip_sample: float | None = None, timestep_spacing: str | None = None) -> SamplerBase:
    """Build sampler ``name`` (``ddpm``, ``ddim`` or ``dpm-solver``; ``eta`` only matters for ddim).

    ``timestep_spacing`` None takes each sampler's default ("logsnr" for
    dpm-solver, "trailing" otherwise).
    """
    key = name.lower().replace("_", "-")
    if key in ("dpm-solver++", "dpmsolver", "dpm"):
        key = "dpm-solver"
    if key not in SAMPLERS:
        raise ConfigError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
    kw = {} if timestep_spacing is None else {"timestep_spacing": timestep_spacing}
    if key == "ddim":
        return DDIMScheduler(schedule, prediction_type, clip_sample, eta=eta, **kw)
    return SAMPLERS[key](schedule, prediction_type, clip_sample, **kw)
