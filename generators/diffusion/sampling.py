"""From goal conditions to movements: lengths, batching by length, guided sampling, decoding."""

from __future__ import annotations

import numpy as np
import torch

from deval.trajectories import Endpoints, Trajectories

from .model import DiffusionModel
from .representation import MovementEncoder


def steps_for(encoder: MovementEncoder, cond: Endpoints, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Point counts (N,) and durations (N,) for each condition: given ones, else drawn by distance."""
    drawn_n, drawn_d = encoder.draw_lengths(cond.distance, seed=seed)
    n_points = cond.n_points if cond.n_points is not None else drawn_n
    duration = cond.duration if cond.duration is not None else drawn_d
    return np.asarray(n_points, np.int64), np.asarray(duration, np.float64)


def sample_normalized(model: DiffusionModel, encoder: MovementEncoder, n_steps: np.ndarray, goal: torch.Tensor, *,
                      seed: int, sampler: str, steps: int, cfg_scale: float, eta: float, batch_size: int,
                      device: torch.device | str | None = None, multiple: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised steps (N, max_len, C) and mask for movements of ``n_steps`` steps and goals (N, G).

    Movements are sorted by length and sampled in chunks of ``batch_size``,
    each padded only to its own longest movement (rounded up to ``multiple``):
    the denoisers ignore padding, so this changes cost, not results.
    Chunk ``k`` uses noise from ``torch.Generator().manual_seed(seed + k)``.
    """
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    n = len(n_steps)
    L = encoder.max_len
    c = encoder.n_channels
    order = np.argsort(n_steps, kind="stable")
    out = torch.zeros(n, L, c)
    mask_all = torch.as_tensor(np.arange(L)[None, :] < n_steps[:, None])
    model.eval()
    for k, lo in enumerate(range(0, n, batch_size)):
        idx = order[lo: lo + batch_size]
        ln = int(n_steps[idx].max())
        ln = min(L, int(np.ceil(ln / multiple) * multiple))
        mask = mask_all[idx, :ln].to(dev)
        g = torch.Generator().manual_seed(int(seed) + k)
        x = model.sample(mask, goal[idx].to(dev), sampler=sampler, steps=steps, cfg_scale=cfg_scale, eta=eta,
                         generator=g, channels=c)
        out[torch.as_tensor(idx), :ln] = x.float().cpu()
    return out, mask_all


def sample_movements(model: DiffusionModel, encoder: MovementEncoder, cond: Endpoints, *, seed: int | None,
                     sampler: str = "dpm-solver", steps: int = 10, cfg_scale: float = 1.0, eta: float = 0.0,
                     batch_size: int = 1000, device: torch.device | str | None = None,
                     style: str = "diffusion") -> tuple[Trajectories, np.ndarray]:
    """Movements in pixels for the conditions ``cond``.

    Returns
    -------
    traj : Trajectories
        Movements ending exactly on ``cond.end``; metadata columns
        ``uncorrected_end_x``, ``uncorrected_end_y`` hold the end point the model
        produced before the exact-endpoint correction (pixels).
    uncorrected_end : ndarray, (N, 2)
        The same, as an array (input of :func:`deval.metrics.generation.goal_accuracy`).
    """
    encoder.check_condition(cond)
    seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
    n_points, duration = steps_for(encoder, cond, seed)
    n_steps = np.clip(n_points - 1, 1, encoder.max_len)
    goal = encoder.goal(torch.as_tensor(cond.distance, dtype=torch.float32),
                        torch.as_tensor(cond.angle, dtype=torch.float32),
                        torch.as_tensor(duration, dtype=torch.float32) if encoder.use_duration else None)
    values, mask = sample_normalized(model, encoder, n_steps, goal, seed=seed, sampler=sampler, steps=steps,
                                     cfg_scale=cfg_scale, eta=eta, batch_size=batch_size, device=device)
    traj, raw_end = encoder.decode(values, mask, cond, n_points=n_points, style=style)
    dist = cond.distance
    z = (raw_end[:, 0] + 1j * raw_end[:, 1]) * dist * np.exp(1j * cond.angle)
    end = np.column_stack([z.real, z.imag]) + cond.start
    traj = traj.with_meta(uncorrected_end_x=end[:, 0], uncorrected_end_y=end[:, 1])
    return traj, end
