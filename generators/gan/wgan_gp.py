"""WGAN-GP losses (Gulrajani et al. 2017) for masked, conditional sequences.

Critic:    ``L_D = E[D(fake)] - E[D(real)] + gp_weight * E[(||grad D(x_hat)|| - 1)^2] + drift * E[D(real)^2]``
           with ``x_hat`` a random interpolation of each real movement and the fake generated for its
           goal and length (only real steps enter the gradient norm; ``drift`` is the small
           output penalty of Karras et al. 2018 that keeps the critic's scale centred).
Generator: ``L_G = -E[D(fake)] + end_weight * E[|end(fake) - end(real)|^2]``
           where ``end`` is the canonical end point of the integrated path; with
           movements scaled to unit distance every real movement ends at (1, 0).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["gradient_penalty", "critic_loss", "generator_loss", "path_end"]


def path_end(x: torch.Tensor, mask: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """End point ``(N, 2)`` of the canonical path of normalised steps ``x`` (N, L, C) (de-normalised ``dx, dy`` summed)."""
    xy = (x[..., :2] * std[:2] + mean[:2]) * mask[..., None].to(x.dtype)
    return xy.sum(1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, goal: torch.Tensor,
                     mask: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """``E[(||grad_x D(x_hat)||_2 - 1)^2]`` over random interpolates of paired real/fake rows (same masks)."""
    eps = torch.rand(len(real), 1, 1, generator=generator).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    with torch.backends.cudnn.flags(enabled=False):  # double backward through every layer
        out = critic(x_hat, goal, mask)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = torch.sqrt((grad.pow(2) * mask[..., None]).sum(dim=(1, 2)) + 1e-12)
    return (norm - 1).pow(2).mean()


def critic_loss(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, goal: torch.Tensor, mask: torch.Tensor,
                *, gp_weight: float = 10.0, drift: float = 1e-3,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Critic loss and its parts (``wasserstein`` = E[D(real)] - E[D(fake)], ``gp``)."""
    d_real = critic(real, goal, mask)
    d_fake = critic(fake.detach(), goal, mask)
    gp = gradient_penalty(critic, real, fake, goal, mask, generator) if gp_weight > 0 else d_real.new_zeros(())
    w = d_real.mean() - d_fake.mean()
    loss = -w + gp_weight * gp + drift * d_real.pow(2).mean()
    return loss, {"wasserstein": float(w.detach()), "gp": float(gp.detach())}


def generator_loss(critic: nn.Module, fake: torch.Tensor, goal: torch.Tensor, mask: torch.Tensor, *,
                   target_end: torch.Tensor | None = None, end_weight: float = 0.0, mean: torch.Tensor | None = None,
                   std: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Generator loss and its parts (``adv`` = -E[D(fake)], ``end_err`` = mean squared end-point error)."""
    adv = -critic(fake, goal, mask).mean()
    loss = adv
    parts = {"adv": float(adv.detach())}
    if end_weight > 0 and target_end is not None:
        err = (path_end(fake, mask, mean, std) - target_end).pow(2).sum(-1).mean()
        loss = loss + end_weight * err
        parts["end_err"] = float(err.detach())
    return loss, parts
