"""The sampler parameters every diffusion-based generator takes, and how they fall back on the checkpoint.

``sampler``, ``steps``, ``cfg_scale`` and ``eta`` mean the same in ``diffusion``,
``keyframe-diffusion`` and ``action-diffusion``: a sentinel (``"default"``,
``0``, ``-1``) takes the value stored in the checkpoint's ``sample`` section.
"""

from __future__ import annotations

from typing import Any, Mapping

from deval.generators.diffusion.samplers import SAMPLERS
from deval.generators.parameters import ParamSpec

__all__ = ["sampler_params", "resolve_sampling"]


def sampler_params(stage: str = "", default_sampler: str = "default") -> tuple[ParamSpec, ...]:
    """``sampler``, ``steps``, ``cfg_scale``, ``eta`` (``stage``: a prefix for the help, e.g. "stage-1 ")."""
    def choices() -> tuple:  # asked at validation, so a sampler registered later is accepted
        return ("default", *SAMPLERS) if default_sampler == "default" else tuple(SAMPLERS)

    return (
        ParamSpec("sampler", default_sampler, f"{stage}sampler (default: the checkpoint's sample.sampler)",
                  kind="choice", choices=choices),
        ParamSpec("steps", 0, f"{stage}sampler steps (0: the checkpoint's default)", kind="int", low=0, high=10000),
        ParamSpec("cfg_scale", -1.0, f"{stage}classifier-free guidance scale (-1: the checkpoint's default; 1: none)",
                  kind="float", low=-1.0, high=20.0),
        ParamSpec("eta", 0.0, "DDIM noise (0 deterministic)", kind="float", low=0.0, high=1.0),
    )


def resolve_sampling(params: Mapping[str, Any], sample_cfg: Any) -> dict:
    """The sampler settings: ``params`` where given, else the checkpoint's ``sample`` section."""
    return {"sampler": sample_cfg.sampler if params["sampler"] == "default" else params["sampler"],
            "steps": params["steps"] or sample_cfg.steps,
            "cfg_scale": sample_cfg.cfg_scale if params["cfg_scale"] < 0 else params["cfg_scale"],
            "eta": params["eta"]}
