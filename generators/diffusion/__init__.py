"""Denoising-diffusion generator of human-like pointer movements (registered as ``diffusion``).

Public API
----------
``DiffusionGenerator``          the registry generator (``load(dir)``, ``sample``, ``generate_diffusion_samples``)
``generate_diffusion_samples``  raw normalised samples from the default checkpoint
``set_default_checkpoint``      choose that checkpoint
``DiffusionGenerator.train_run`` the training loop (``deval train-generator diffusion``)
``DiffusionConfig``, ``preset`` configuration
"""

from __future__ import annotations

__all__ = ["DiffusionGenerator", "generate_diffusion_samples", "set_default_checkpoint", "DiffusionConfig",
           "preset"]


def __getattr__(name: str):  # lazy: importing the package does not import torch
    if name in ("DiffusionGenerator", "generate_diffusion_samples", "set_default_checkpoint"):
        from . import generator

        return getattr(generator, name)
    if name in ("DiffusionConfig", "preset"):
        from . import config

        return getattr(config, name)
    raise AttributeError(name)
