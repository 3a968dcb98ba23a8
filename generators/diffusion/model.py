"""The diffusion model: a denoiser, a noise schedule, the training loss and guided sampling.

Training loss (:meth:`DiffusionModel.loss`): masked MSE between the denoiser
output and the target of the chosen parameterisation (epsilon, x0 or v),
weighted per movement by min-SNR-gamma; padded steps never count. With
self-conditioning, half of the batches first make a clean estimate without
gradient and feed it back as input. The goal is replaced by the learned null
embedding with probability ``cond_drop`` (classifier-free guidance).

Sampling (:meth:`DiffusionModel.sample`): any sampler of :mod:`.samplers`,
guidance ``out = uncond + scale * (cond - uncond)`` (one batched network call
for both; ``scale = 1`` skips the unconditional half), the previous clean
estimate fed back for self-conditioning, padded steps held at 0.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from deval.errors import ConfigError

from .config import DiffusionConfig
from .parameterization import check_prediction_type, min_snr_weight, training_target
from .sampler_base import SamplerBase
from .samplers import make_sampler
from .schedules import NoiseSchedule
from .transformer import TransformerDenoiser
from .unet1d import UNet1d


def build_denoiser(cfg: DiffusionConfig, channels_in: int, goal_dim: int) -> nn.Module:
    """The denoiser named by ``cfg.model.denoiser`` with the config's sizes."""
    m, f = cfg.model, cfg.diffusion
    if m.denoiser == "unet":
        return UNet1d(channels_in, goal_dim, channels=m.channels, num_res_blocks=m.num_res_blocks,
                      stem_stride=m.stem_stride, attention=m.attention, heads=m.heads, dropout=m.dropout,
                      emb_dim=m.emb_dim, self_condition=f.self_condition, num_train_timesteps=f.timesteps)
    return TransformerDenoiser(channels_in, goal_dim, d_model=m.d_model, layers=m.layers, heads=m.heads,
                               ff_mult=m.ff_mult, patch_size=m.patch_size, dropout=m.dropout, emb_dim=m.emb_dim,
                               self_condition=f.self_condition, num_train_timesteps=f.timesteps)


class DiffusionModel(nn.Module):
    """Denoiser + schedule + loss + sampling.

    Parameters
    ----------
    denoiser : nn.Module
        Called as ``denoiser(x, timesteps, goal, drop, mask, self_cond)``.
    schedule : NoiseSchedule
    prediction_type : {"epsilon", "sample", "v_prediction"}
    min_snr_gamma : float or None
        Min-SNR weighting (None or 0: plain loss).
    self_condition : bool
    cond_drop : float
        Probability of dropping the goal in training.
    derivative_weight : float
        Weight of the loss on the step-to-step differences of the clean estimate (x0 space, rows weighted by
        ``min(SNR, 1)`` so that the noisiest steps count little); 0 = off.
    """

    def __init__(self, denoiser: nn.Module, schedule: NoiseSchedule, prediction_type: str = "v_prediction",
                 min_snr_gamma: float | None = 5.0, self_condition: bool = True, cond_drop: float = 0.1,
                 derivative_weight: float = 0.0):
        super().__init__()
        self.denoiser = denoiser
        self.schedule = schedule
        self.prediction_type = check_prediction_type(prediction_type)
        self.min_snr_gamma = min_snr_gamma or None
        self.self_condition = self_condition
        self.cond_drop = cond_drop
        self.derivative_weight = float(derivative_weight)
        self.register_buffer("alphas_cumprod", schedule.alphas_cumprod.float(), persistent=False)

    @classmethod
    def from_config(cls, cfg: DiffusionConfig, channels_in: int, goal_dim: int) -> "DiffusionModel":
        """Build model and schedule from a :class:`DiffusionConfig`."""
        f = cfg.diffusion
        return cls(build_denoiser(cfg, channels_in, goal_dim), NoiseSchedule(f.schedule, f.timesteps),
                   f.prediction, f.min_snr_gamma, f.self_condition, f.cond_drop, f.derivative_weight)

    def _alpha_sigma(self, t: torch.Tensor, ndim: int):
        abar = self.alphas_cumprod[t].view((-1,) + (1,) * (ndim - 1))
        return abar.sqrt(), (1 - abar).sqrt()

    def _x0_from(self, out: torch.Tensor, xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a, s = self._alpha_sigma(t, xt.dim())
        if self.prediction_type == "epsilon":
            return (xt - s * out) / a.clamp(min=1e-4)
        if self.prediction_type == "sample":
            return out
        return a * xt - s * out

    def loss(self, x0: torch.Tensor, mask: torch.Tensor, goal: torch.Tensor,
             generator: torch.Generator | None = None, shard: tuple[slice, int] | None = None) -> torch.Tensor:
        """Scalar training loss for clean normalised steps ``x0`` (B, L, C) with ``mask`` (B, L) and ``goal`` (B, G).

        ``shard = (rows, n)``: ``x0`` holds rows ``rows`` of a global batch of ``n`` (one rank of a data-parallel
        step); the random draws are made for all ``n`` rows and sliced, so the ranks together draw what one
        process would for the whole batch.
        """
        b = x0.shape[0]
        dev = x0.device
        m = mask.to(x0.dtype)[..., None]
        n, rows = (b, slice(None)) if shard is None else (shard[1], shard[0])

        def rnd(*shape):
            return torch.rand(*shape, generator=generator).to(dev)

        t = torch.randint(0, self.schedule.num_train_timesteps, (n,), generator=generator)[rows].to(dev)
        noise = torch.randn((n, *x0.shape[1:]), generator=generator)[rows].to(dev, x0.dtype)
        a, s = self._alpha_sigma(t, x0.dim())
        xt = (a * x0 + s * noise) * m
        drop = rnd(n)[rows] < self.cond_drop if self.cond_drop > 0 else None
        self_cond = None
        if self.self_condition:  # per batch (Chen et al. 2023): half the batches pay one extra forward pass
            use = bool(rnd(1)[0] < 0.5)
            if use:
                with torch.no_grad():
                    self_cond = self._x0_from(self.denoiser(xt, t, goal, drop, mask, None), xt, t).detach() * m
        out = self.denoiser(xt, t, goal, drop, mask, self_cond)
        target = training_target(x0, noise, a, s, self.prediction_type)
        per = (((out.float() - target.float()) ** 2) * m).sum(dim=(1, 2)) / (m.sum(dim=(1, 2)) * x0.shape[2]).clamp(min=1)
        snr = self.schedule.snr(t.cpu()).to(dev)
        w = min_snr_weight(snr, self.min_snr_gamma, self.prediction_type).float()
        loss = (w * per).mean()
        if self.derivative_weight > 0:
            loss = loss + self.derivative_weight * (snr.clamp(max=1.0).float() * self._derivative_error(
                self._x0_from(out, xt, t).float(), x0.float(), mask)).mean()
        return loss

    @staticmethod
    def _derivative_error(x0_hat: torch.Tensor, x0: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-row mean squared error of the step-to-step differences (B, L-1, C) over pairs of valid steps."""
        pair = (mask[:, 1:].bool() & mask[:, :-1].bool()).to(x0.dtype)[..., None]
        err = ((x0_hat.diff(dim=1) - x0.diff(dim=1)) ** 2) * pair
        return err.sum(dim=(1, 2)) / (pair.sum(dim=(1, 2)) * x0.shape[2]).clamp(min=1)

    @torch.no_grad()
    def sample(self, mask: torch.Tensor, goal: torch.Tensor, *, sampler: "str | SamplerBase" = "dpm-solver",
               steps: int = 10,
               cfg_scale: float = 1.0, eta: float = 0.0, generator: torch.Generator | None = None,
               channels: int | None = None, drop: torch.Tensor | None = None, timestep_spacing: str | None = None,
               start: tuple[torch.Tensor, int] | None = None,
               on_step: Callable[[int, int, int, torch.Tensor, torch.Tensor], None] | None = None) -> torch.Tensor:
        """Generate clean normalised steps (B, L, C) for ``mask`` (B, L) and ``goal`` (B, G).

        ``sampler`` is a registered name (built with this model's schedule and
        parameterisation, ``eta`` and ``timestep_spacing``) or a ready sampler
        object, as a diffusers pipeline takes a scheduler: it must have been
        built on this model's :attr:`schedule`; ``set_timesteps(steps)`` is
        called here. ``generator`` seeds the starting noise and any stochastic steps (CPU
        generator; tensors are moved to the model's device). ``drop`` (B,) bool
        gives the rows that use the learned null condition (unconditional
        samples). ``timestep_spacing`` overrides the sampler's default spacing.
        ``start = (x_t, t)`` denoises ``x_t`` (B, L, C), clean data noised to
        training timestep ``t``, instead of pure noise: only the sampler's
        timesteps ``<= t`` run, and ``t`` must be one of them. ``on_step(i, n, t, x, x0)``
        is called after step ``i`` of ``n`` (training timestep ``t``) with the new
        sample and the clean estimate (e.g. to record the denoising).
        """
        dev = goal.device
        c = channels if channels is not None else self.denoiser.c
        b, length = mask.shape
        m = mask.to(torch.float32)[..., None]
        if isinstance(sampler, SamplerBase):
            sched = sampler
        else:
            sched = make_sampler(sampler, self.schedule, self.prediction_type, eta=eta,
                                 timestep_spacing=timestep_spacing)
        sched.set_timesteps(steps)
        timesteps = sched.timesteps.tolist()
        if start is None:
            x = torch.randn((b, length, c), generator=generator).to(dev) * m
        else:
            x, t_start = start[0].to(dev, torch.float32) * m, int(start[1])
            if t_start not in timesteps:
                raise ConfigError(f"start timestep {t_start} is not one of the {sampler} sampler's timesteps "
                                  f"for {steps} steps")
            timesteps = timesteps[timesteps.index(t_start):]
        null_rows = torch.zeros(b, dtype=torch.bool, device=dev) if drop is None else drop.to(dev)
        guided = cfg_scale != 1.0
        if guided:
            goal2 = torch.cat([goal, goal])
            mask2 = torch.cat([mask, mask])
            drop2 = torch.cat([null_rows, torch.ones(b, dtype=torch.bool, device=dev)])
        x0_prev = None
        for i, t in enumerate(timesteps):
            tt = torch.full((b,), t, dtype=torch.long, device=dev)
            sc = x0_prev if self.self_condition else None
            if guided:
                out2 = self.denoiser(torch.cat([x, x]), torch.cat([tt, tt]), goal2, drop2, mask2,
                                     None if sc is None else torch.cat([sc, sc]))
                cond, uncond = out2.float().chunk(2)
                out = uncond + cfg_scale * (cond - uncond)
            else:
                out = self.denoiser(x, tt, goal, None if drop is None else null_rows, mask, sc).float()
            step = sched.step(out, t, x, generator=generator)
            x = step.prev_sample * m
            x0_prev = step.pred_original_sample * m
            if on_step is not None:
                on_step(i, len(timesteps), int(t), x, x0_prev)
        return x
