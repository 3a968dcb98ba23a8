"""Conditional WGAN-GP generator of human-like pointer movements (registered as ``gan``).

The same canonical representation as the diffusion generator (normalised
``dx, dy, dt`` steps with a mask, goal ``[distance_norm, cos, sin]``), a
bidirectional-GRU generator and a dilated 1-D convolutional critic trained
with the WGAN gradient penalty.

Public API
----------
``GANGenerator``   the registry generator (``load(dir)``, ``sample``, ``generate_gan_samples``, ``train_run``)
``GANConfig``, ``preset``   configuration (presets ``smoke``, ``small``)
"""

from __future__ import annotations

__all__ = ["GANGenerator", "GANConfig", "preset"]


def __getattr__(name: str):  # lazy: importing the package does not import torch
    if name == "GANGenerator":
        from .generator import GANGenerator

        return GANGenerator
    if name in ("GANConfig", "preset"):
        from . import config

        return getattr(config, name)
    raise AttributeError(name)
