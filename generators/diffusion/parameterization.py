"""Conversions between what a denoiser predicts and the clean sample.

With ``x_t = alpha * x0 + sigma * eps`` (``alpha**2 + sigma**2 = 1``) a
network can predict the noise ``eps`` ("epsilon"), the clean sample ``x0``
("sample") or the velocity ``v = alpha * eps - sigma * x0`` ("v_prediction",
Salimans & Ho 2022). The names follow diffusers. Every conversion is exact
and the functions are mutual inverses.
"""

from __future__ import annotations

from typing import Literal

import torch

from deval.errors import ConfigError

PredictionType = Literal["epsilon", "sample", "v_prediction"]
PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


def check_prediction_type(prediction_type: str) -> str:
    """Return ``prediction_type`` or raise :class:`ConfigError`."""
    if prediction_type not in PREDICTION_TYPES:
        raise ConfigError(f"prediction type must be one of {PREDICTION_TYPES}, got {prediction_type!r}")
    return prediction_type


def to_x0(model_output: torch.Tensor, sample: torch.Tensor, alpha, sigma, prediction_type: str) -> torch.Tensor:
    """Clean-sample estimate from a model output at noise level (alpha, sigma)."""
    if prediction_type == "epsilon":
        return (sample - sigma * model_output) / alpha
    if prediction_type == "sample":
        return model_output
    if prediction_type == "v_prediction":
        return alpha * sample - sigma * model_output
    raise ConfigError(f"unknown prediction type {prediction_type!r}")


def to_eps(model_output: torch.Tensor, sample: torch.Tensor, alpha, sigma, prediction_type: str) -> torch.Tensor:
    """Noise estimate from a model output at noise level (alpha, sigma)."""
    if prediction_type == "epsilon":
        return model_output
    if prediction_type == "sample":
        return (sample - alpha * model_output) / sigma
    if prediction_type == "v_prediction":
        return sigma * sample + alpha * model_output
    raise ConfigError(f"unknown prediction type {prediction_type!r}")


def from_x0(x0: torch.Tensor, sample: torch.Tensor, alpha, sigma, prediction_type: str) -> torch.Tensor:
    """The model output that corresponds to the clean estimate ``x0`` (inverse of :func:`to_x0`)."""
    if prediction_type == "sample":
        return x0
    eps = (sample - alpha * x0) / sigma
    if prediction_type == "epsilon":
        return eps
    if prediction_type == "v_prediction":
        return alpha * eps - sigma * x0
    raise ConfigError(f"unknown prediction type {prediction_type!r}")


def training_target(x0: torch.Tensor, noise: torch.Tensor, alpha, sigma, prediction_type: str) -> torch.Tensor:
    """What the network should output for clean ``x0`` noised with ``noise``."""
    if prediction_type == "epsilon":
        return noise
    if prediction_type == "sample":
        return x0
    if prediction_type == "v_prediction":
        return alpha * noise - sigma * x0
    raise ConfigError(f"unknown prediction type {prediction_type!r}")


def min_snr_weight(snr: torch.Tensor, gamma: float | None, prediction_type: str) -> torch.Tensor:
    """Min-SNR-gamma loss weight (Hang et al. 2023) for each timestep's SNR.

    The weight makes the loss equal to ``min(snr, gamma) * ||x0_hat - x0||^2``
    whatever the parameterisation: ``min(snr, g) / snr`` for epsilon,
    ``min(snr, g)`` for x0 and ``min(snr, g) / (snr + 1)`` for v. ``gamma=None``
    gives weight 1 (the plain loss).
    """
    if gamma is None:
        return torch.ones_like(snr)
    clipped = snr.clamp(max=float(gamma))
    if prediction_type == "epsilon":
        return clipped / snr
    if prediction_type == "sample":
        return clipped
    if prediction_type == "v_prediction":
        return clipped / (snr + 1)
    raise ConfigError(f"unknown prediction type {prediction_type!r}")
