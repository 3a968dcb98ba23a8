"""From goal conditions to movements with any learned generator: lengths, goals, chunking by length, decoding.

A network only has to turn goals ``(B, G)`` and a step mask ``(B, L)`` into
normalised steps ``(B, L, C)``; everything around it is shared here:

* :func:`steps_for` -- point counts and durations for each condition (given, else drawn by distance);
* :func:`generate_by_length` -- sort movements by length, call the network on chunks of
  ``batch_size`` padded to the chunk's longest movement, chunk ``k`` with noise from
  ``torch.Generator().manual_seed(seed + k)`` (same seed, same output);
* :func:`movements_for` -- endpoints in, :class:`~deval.trajectories.Trajectories` in pixels out,
  with the uncorrected end points for goal accuracy;
* :func:`goal_tensor` -- goal vectors for the raw-sample APIs (drawn, from endpoints, or given).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from deval.errors import ConfigError
from deval.generators.diffusion.representation import MovementEncoder
from deval.trajectories import Endpoints, Trajectories

__all__ = ["steps_for", "resolve_seed", "generate_by_length", "movements_for", "goal_tensor"]

#: ``draw(mask, goal, generator) -> steps``: mask (B, l) bool and goal (B, G) on the device -> (B, l, C)
DrawFn = Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]
#: ``generate(n_steps, goal, seed) -> (values, mask)``: (N,) int steps, (N, G) goals -> (N, L, C), (N, L)
GenerateFn = Callable[[np.ndarray, torch.Tensor, int], "tuple[torch.Tensor, torch.Tensor]"]


def resolve_seed(seed: int | None) -> int:
    """``seed`` as an int; ``None`` draws one from fresh OS entropy."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)


def steps_for(encoder: MovementEncoder, cond: Endpoints, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Point counts (N,) and durations (N,) in seconds for each condition: given ones, else drawn by distance."""
    drawn_n, drawn_d = encoder.draw_lengths(cond.distance, seed=seed)
    n_points = cond.n_points if cond.n_points is not None else drawn_n
    duration = cond.duration if cond.duration is not None else drawn_d
    return np.asarray(n_points, np.int64), np.asarray(duration, np.float64)


def generate_by_length(n_steps: np.ndarray, goal: torch.Tensor, *, max_len: int, channels: int, batch_size: int,
                       seed: int, device: torch.device, draw: DrawFn, multiple: int = 1
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised steps ``(N, max_len, channels)`` (CPU, float32) and mask ``(N, max_len)`` for ``n_steps`` (N,).

    Movements are sorted by length (stably) and generated in chunks of
    ``batch_size``, each padded only to its own longest movement rounded up to
    ``multiple`` (at most ``max_len``): networks that ignore padding give the
    same result as with full padding, at a lower cost. Chunk ``k`` draws its
    noise from ``torch.Generator().manual_seed(seed + k)``. Steps past a
    movement's length are 0.
    """
    n_steps = np.asarray(n_steps, np.int64)
    n = len(n_steps)
    order = np.argsort(n_steps, kind="stable")
    out = torch.zeros(n, max_len, channels)
    mask_all = torch.as_tensor(np.arange(max_len)[None, :] < n_steps[:, None])
    for k, lo in enumerate(range(0, n, batch_size)):
        idx = order[lo: lo + batch_size]
        ln = min(max_len, int(np.ceil(int(n_steps[idx].max()) / multiple) * multiple))
        mask = mask_all[idx, :ln].to(device)
        g = torch.Generator().manual_seed(int(seed) + k)
        out[torch.as_tensor(idx), :ln] = draw(mask, goal[idx].to(device), g).float().cpu()
    return out, mask_all


def movements_for(encoder: MovementEncoder, cond: Endpoints, *, seed: int | None, generate: GenerateFn,
                  style: str) -> tuple[Trajectories, np.ndarray]:
    """Movements in pixels for the conditions ``cond``, each ending exactly on ``cond.end``.

    Point counts are ``cond.n_points`` when given, else drawn from training
    movements of similar distance (:meth:`MovementEncoder.draw_lengths`);
    movements of more than ``max_len + 1`` points are generated at ``max_len``
    steps and re-cut.

    Parameters
    ----------
    encoder : MovementEncoder
        The checkpoint's fitted encoder.
    cond : Endpoints
        N start and end points (pixels), optional durations and point counts.
    seed : int or None
        Seed of the length draw and of ``generate``.
    generate : callable
        ``generate(n_steps, goal, seed) -> (values, mask)`` (see :func:`generate_by_length`).
    style : str
        Style name of the movements.

    Returns
    -------
    traj : Trajectories
        Pixels and seconds, strictly increasing timestamps; metadata columns
        ``uncorrected_end_x``, ``uncorrected_end_y`` hold the end point the
        network produced before the exact-endpoint correction.
    uncorrected_end : ndarray, (N, 2)
        The same in pixels (input of :func:`deval.metrics.generation.goal_accuracy`).
    """
    encoder.check_condition(cond)
    seed = resolve_seed(seed)
    n_points, duration = steps_for(encoder, cond, seed)
    n_steps = np.clip(n_points - 1, 1, encoder.max_len)
    goal = encoder.goal(torch.as_tensor(cond.distance, dtype=torch.float32),
                        torch.as_tensor(cond.angle, dtype=torch.float32),
                        torch.as_tensor(duration, dtype=torch.float32) if encoder.use_duration else None)
    values, mask = generate(n_steps, goal, seed)
    traj, raw_end = encoder.decode(values, mask, cond, n_points=n_points, style=style)
    z = (raw_end[:, 0] + 1j * raw_end[:, 1]) * cond.distance * np.exp(1j * cond.angle)
    end = np.column_stack([z.real, z.imag]) + cond.start
    return traj.with_meta(uncorrected_end_x=end[:, 0], uncorrected_end_y=end[:, 1]), end


def goal_tensor(encoder: MovementEncoder, n: int, cond, seed: int) -> torch.Tensor:
    """Goal vectors ``(n, G)`` float32 for the raw-sample APIs.

    Parameters
    ----------
    encoder : MovementEncoder
    n : int
        Number of movements.
    cond : None, Endpoints or array-like (n, G)
        None draws distances, directions and durations of training movements;
        pixel endpoints are converted (durations drawn by distance when
        missing); anything else is taken as goal vectors
        ``[distance_norm, cos, sin(, duration_norm)]`` as the network sees them.
    seed : int
        Seed of the draws.

    Raises
    ------
    ConfigError
        Endpoints of another count, or goal vectors of the wrong shape.
    """
    if cond is None:
        dist, angle, _, dur = encoder.draw_goals(n, seed=seed)
        return encoder.goal(torch.as_tensor(dist, dtype=torch.float32), torch.as_tensor(angle, dtype=torch.float32),
                            torch.as_tensor(dur, dtype=torch.float32))
    if isinstance(cond, Endpoints):
        if len(cond) != n:
            raise ConfigError(f"cond holds {len(cond)} endpoints for n={n}")
        encoder.check_condition(cond)
        dur = cond.duration if cond.duration is not None else encoder.draw_lengths(cond.distance, seed)[1]
        return encoder.goal(torch.as_tensor(cond.distance, dtype=torch.float32),
                            torch.as_tensor(cond.angle, dtype=torch.float32),
                            torch.as_tensor(dur, dtype=torch.float32))
    goal = torch.as_tensor(cond, dtype=torch.float32)
    if goal.shape != (n, encoder.goal_dim):
        raise ConfigError(f"cond must be Endpoints or a ({n}, {encoder.goal_dim}) goal tensor, "
                          f"got shape {tuple(goal.shape)}")
    return goal
