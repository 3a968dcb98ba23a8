"""Sampler names -> classes: ``ddpm``, ``ddim``, ``dpm-solver`` (a :class:`deval.registry.Registry`).

A plugin adds a sampler (a :class:`~deval.generators.diffusion.sampler_base.SamplerBase`
subclass taking ``(schedule, prediction_type, clip_sample, **kw)``) with
``SAMPLERS.register(name, cls)`` or through the entry-point group ``deval.samplers``;
every learned generator's ``sampler`` parameter then accepts it.
"""

from __future__ import annotations

from deval.errors import ConfigError
from deval.registry import Registry

from .ddim import DDIMScheduler
from .ddpm import DDPMScheduler
from .dpm_solver import DPMSolverMultistepScheduler
from .sampler_base import SamplerBase
from .schedules import NoiseSchedule

def _check_sampler(name: str, cls: object) -> type[SamplerBase]:
    if not isinstance(cls, type) or not issubclass(cls, SamplerBase):
        raise ConfigError(f"sampler {name!r}: {cls!r} is not a SamplerBase subclass")
    return cls


SAMPLERS: Registry[type[SamplerBase]] = Registry("sampler", group="deval.samplers", check=_check_sampler)
for _name, _cls in (("ddpm", DDPMScheduler), ("ddim", DDIMScheduler), ("dpm-solver", DPMSolverMultistepScheduler)):
    SAMPLERS.register(_name, _cls)


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
        raise ConfigError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS.available())}")
    kw = {} if timestep_spacing is None else {"timestep_spacing": timestep_spacing}
    if key == "ddim":
        return DDIMScheduler(schedule, prediction_type, clip_sample, eta=eta, **kw)
    return SAMPLERS.get(key)(schedule, prediction_type, clip_sample, **kw)
