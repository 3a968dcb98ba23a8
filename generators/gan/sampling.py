"""From goal conditions to movements with a trained GAN generator: lengths, batching by length, decoding."""

from __future__ import annotations

import numpy as np
import torch

from deval.generators.diffusion.representation import MovementEncoder
from deval.generators.diffusion.sampling import steps_for
from deval.trajectories import Endpoints, Trajectories

from .networks import GRUGenerator

__all__ = ["generate_normalized", "sample_movements"]


@torch.no_grad()
def generate_normalized(net: GRUGenerator, encoder: MovementEncoder, n_steps: np.ndarray, goal: torch.Tensor, *,
                        seed: int, batch_size: int = 2000, device: torch.device | str | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised steps ``(N, max_len, C)`` and mask ``(N, max_len)`` for ``n_steps`` (N,) steps and goals (N, G).

    Movements are sorted by length and generated in chunks of ``batch_size``,
    each padded to its own longest movement; chunk ``k`` draws its noise from
    ``torch.Generator().manual_seed(seed + k)`` (same seed, same output).
    """
    dev = torch.device(device) if device is not None else next(net.parameters()).device
    n_steps = np.asarray(n_steps, np.int64)
    n, length, c = len(n_steps), encoder.max_len, encoder.n_channels
    order = np.argsort(n_steps, kind="stable")
    out = torch.zeros(n, length, c)
    mask_all = torch.as_tensor(np.arange(length)[None, :] < n_steps[:, None])
    was_training = net.training
    net.eval()
    try:
        for k, lo in enumerate(range(0, n, batch_size)):
            idx = order[lo: lo + batch_size]
            ln = int(n_steps[idx].max())
            mask = mask_all[idx, :ln].to(dev)
            g = torch.Generator().manual_seed(int(seed) + k)
            out[torch.as_tensor(idx), :ln] = net.generate(goal[idx].to(dev), mask, g).float().cpu()
    finally:
        net.train(was_training)
    return out, mask_all


def sample_movements(net: GRUGenerator, encoder: MovementEncoder, cond: Endpoints, *, seed: int | None,
                     batch_size: int = 2000, device: torch.device | str | None = None,
                     style: str = "gan") -> tuple[Trajectories, np.ndarray]:
    """Movements in pixels for the conditions ``cond`` (each ends exactly on ``cond.end``).

    Point counts are ``cond.n_points`` when given, else drawn from training
    movements of similar distance (:meth:`MovementEncoder.draw_lengths`).

    Returns
    -------
    traj : Trajectories
        Pixels and seconds, strictly increasing timestamps; metadata columns
        ``uncorrected_end_x``, ``uncorrected_end_y`` hold the end point the
        generator produced before the exact-endpoint correction.
    uncorrected_end : ndarray, (N, 2)
        The same in pixels (input of :func:`deval.metrics.generation.goal_accuracy`).
    """
    encoder.check_condition(cond)
    seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
    n_points, duration = steps_for(encoder, cond, seed)
    n_steps = np.clip(n_points - 1, 1, encoder.max_len)
    goal = encoder.goal(torch.as_tensor(cond.distance, dtype=torch.float32),
                        torch.as_tensor(cond.angle, dtype=torch.float32),
                        torch.as_tensor(duration, dtype=torch.float32) if encoder.use_duration else None)
    values, mask = generate_normalized(net, encoder, n_steps, goal, seed=seed, batch_size=batch_size, device=device)
    traj, raw_end = encoder.decode(values, mask, cond, n_points=n_points, style=style)
    z = (raw_end[:, 0] + 1j * raw_end[:, 1]) * cond.distance * np.exp(1j * cond.angle)
    end = np.column_stack([z.real, z.imag]) + cond.start
    return traj.with_meta(uncorrected_end_x=end[:, 0], uncorrected_end_y=end[:, 1]), end
