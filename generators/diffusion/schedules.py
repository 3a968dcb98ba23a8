"""Noise schedules of a discrete-time Gaussian diffusion (linear and cosine betas).

A schedule fixes ``alphas_cumprod`` (written :math:`\\bar\\alpha_t`) for the
training timesteps ``t = 0 .. T-1``; the forward process is
``x_t = sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * eps``. Samplers
(:mod:`.ddpm`, :mod:`.ddim`, :mod:`.dpm_solver`) are built on a schedule.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from deval.errors import ConfigError

ScheduleKind = Literal["linear", "cosine"]
SCHEDULE_KINDS = ("linear", "cosine")


def linear_betas(num_train_timesteps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """Betas spaced linearly from ``beta_start`` to ``beta_end`` (Ho et al. 2020), float64 (T,).

    The end points are given for T = 1000 and rescaled by ``1000 / T`` so that
    other lengths keep the same total noise.
    """
    scale = 1000.0 / num_train_timesteps
    return torch.linspace(beta_start * scale, beta_end * scale, num_train_timesteps, dtype=torch.float64)


def cosine_betas(num_train_timesteps: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Betas of the cosine schedule (Nichol & Dhariwal 2021), float64 (T,).

    ``abar(t) = f(t) / f(0)`` with ``f(t) = cos(((t / T) + s) / (1 + s) * pi / 2) ** 2``;
    betas are clipped at ``max_beta`` so that the last step stays finite.
    """
    steps = torch.arange(num_train_timesteps + 1, dtype=torch.float64) / num_train_timesteps
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    betas = 1 - abar[1:] / abar[:-1]
    return betas.clamp(min=0.0, max=max_beta)


class NoiseSchedule:
    """Betas, alphas and their cumulative product for ``num_train_timesteps`` steps.

    Parameters
    ----------
    kind : {"linear", "cosine"}
        Beta schedule.
    num_train_timesteps : int
        Number T of training timesteps.
    beta_start, beta_end : float
        End points of the linear schedule (for T = 1000).

    Attributes
    ----------
    betas, alphas, alphas_cumprod : Tensor, float64, (T,)
        ``alphas = 1 - betas``; ``alphas_cumprod[t] = prod(alphas[:t+1])`` decreases
        strictly from about 1 to about 0.
    """

    def __init__(self, kind: ScheduleKind = "cosine", num_train_timesteps: int = 1000,
                 beta_start: float = 1e-4, beta_end: float = 0.02):
        if kind not in SCHEDULE_KINDS:
            raise ConfigError(f"schedule must be one of {SCHEDULE_KINDS}, got {kind!r}")
        if int(num_train_timesteps) < 2:
            raise ConfigError(f"num_train_timesteps must be >= 2, got {num_train_timesteps}")
        self.kind = kind
        self.num_train_timesteps = int(num_train_timesteps)
        self.config = {"kind": kind, "num_train_timesteps": self.num_train_timesteps,
                       "beta_start": beta_start, "beta_end": beta_end}
        if kind == "linear":
            self.betas = linear_betas(self.num_train_timesteps, beta_start, beta_end)
        else:
            self.betas = cosine_betas(self.num_train_timesteps)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)

    def alpha_sigma(self, timesteps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``sqrt(abar_t)`` and ``sqrt(1 - abar_t)`` at integer ``timesteps`` (float64, same shape)."""
        abar = self.alphas_cumprod.to(timesteps.device)[timesteps.long()]
        return abar.sqrt(), (1 - abar).sqrt()

    def snr(self, timesteps: torch.Tensor) -> torch.Tensor:
        """Signal-to-noise ratio ``abar_t / (1 - abar_t)`` (float64)."""
        abar = self.alphas_cumprod.to(timesteps.device)[timesteps.long()]
        return abar / (1 - abar)

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """Forward process ``sqrt(abar_t) x0 + sqrt(1 - abar_t) noise`` for (B, ...) batches."""
        a, s = self.alpha_sigma(timesteps)
        shape = (-1,) + (1,) * (x0.dim() - 1)
        return a.to(x0.dtype).view(shape) * x0 + s.to(x0.dtype).view(shape) * noise


TIMESTEP_SPACINGS = ("trailing", "logsnr")
#: Lowest log-SNR of the "logsnr" spacing: below it (noise 20x the signal) extra steps buy nothing.
LOGSNR_MIN = -3.0


def inference_timesteps(num_train_timesteps: int, num_inference_steps: int, spacing: str = "trailing",
                        alphas_cumprod: torch.Tensor | None = None) -> torch.Tensor:
    """Descending integer timesteps for a sampler of ``num_inference_steps`` steps.

    ``"trailing"``: ``round(T - k * T / n) - 1`` for ``k = 0 .. n-1`` (starts at the
    noisiest timestep T-1; ``n = T`` visits every timestep). ``"logsnr"``: uniform
    in ``lambda = log(alpha / sigma)`` from ``max(lambda_{T-1}, LOGSNR_MIN)`` to
    ``lambda_0`` (needs ``alphas_cumprod``; the first step is still T-1), which
    puts more steps near clean data; rounding can merge a few of them. After the last
    timestep a sampler lands on clean data (abar = 1).
    """
    n = int(num_inference_steps)
    T = int(num_train_timesteps)
    if not 1 <= n <= T:
        raise ConfigError(f"steps must be between 1 and {T}, got {num_inference_steps}")
    if spacing == "trailing":
        return (torch.round(T - torch.arange(n, dtype=torch.float64) * T / n) - 1).long()
    if spacing == "logsnr":
        if alphas_cumprod is None:
            raise ConfigError("logsnr spacing needs the schedule's alphas_cumprod")
        lam = 0.5 * torch.log(alphas_cumprod / (1 - alphas_cumprod))  # increasing as t decreases
        lo = max(float(lam[-1]), LOGSNR_MIN)
        targets = torch.linspace(lo, float(lam[0]), n + 1, dtype=torch.float64)[:-1]
        # lam is decreasing in t: find the timestep whose lambda is closest to each target
        idx = torch.argmin((lam[None, :] - targets[:, None]).abs(), dim=1)
        idx[0] = T - 1
        return torch.unique(idx, sorted=True).flip(0)
    raise ConfigError(f"timestep spacing must be one of {TIMESTEP_SPACINGS}, got {spacing!r}")
