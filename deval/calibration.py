"""Known differences built from real movements: the calibration suite of the realism meter.

A meter is only as good as what it has been shown to catch. Each function
here changes one aspect of real movements and leaves the rest alone, so that
``compare(real, known_difference(real))`` must read "clearly different", and
the aspect that was changed must be the one that gives it away. They take and
return :class:`~deval.trajectories.Trajectories` in pixels and seconds, are
seeded, and keep the recording's quantisation where the input has it (whole
pixels, whole milliseconds), so that a case is not caught by its rounding
alone: only :func:`subpixel_coordinates` changes the grid.

=========================  ===================================================
case                       what changes
=========================  ===================================================
``continuous_timing``      intervals drawn from a gamma process with the same
                           mean and sd as the input's (capped at its maximum),
                           rounded to the input's clock; positions kept
``smoothed_paths``         positions low-pass filtered (moving average): the
                           tremor is gone; times kept
``symmetric_speed``        each movement's speed profile replaced by the mean
                           of itself and its mirror in time; path and times kept
``shuffled_intervals``     the intervals of each movement in random order;
                           positions kept
``subpixel_coordinates``   uniform sub-pixel offsets on whole-pixel positions
=========================  ===================================================

``python benchmarks/bench_meter_calibration.py`` runs them all; the table is in
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from deval.features.shape import all_whole
from deval.trajectories import Trajectories

__all__ = ["continuous_timing", "smoothed_paths", "symmetric_speed", "shuffled_intervals", "subpixel_coordinates",
           "KNOWN_DIFFERENCES"]


def _clock(traj: Trajectories) -> float | None:
    """The recording's clock resolution in seconds (1 ms when every time is a whole millisecond), else None."""
    return 1e-3 if all_whole(traj.t * 1e3, 1e-6) else None


def _grid(traj: Trajectories) -> bool:
    return all_whole(traj.x, 1e-6) and all_whole(traj.y, 1e-6)


def _steps_first(traj: Trajectories) -> np.ndarray:
    """Boolean (P,): the point is the first of its movement."""
    first = np.zeros(traj.n_points, dtype=bool)
    first[traj.first_index] = True
    return first


def _times_from_intervals(traj: Trajectories, dt: np.ndarray) -> np.ndarray:
    """Times (P,) from per-point intervals ``dt`` (the entry at a movement's first point is ignored)."""
    dt = np.where(_steps_first(traj), 0.0, dt)
    c = np.cumsum(dt)
    start = np.repeat(c[traj.offsets[:-1]], traj.lengths) if traj.n_points else c
    return c - start


def _intervals(traj: Trajectories) -> np.ndarray:
    """Per-point interval to the previous point (0 at a movement's first point), (P,)."""
    dt = np.zeros(traj.n_points)
    dt[1:] = np.diff(traj.t)
    dt[_steps_first(traj)] = 0.0
    return dt


def _round_positions(traj: Trajectories, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.round(x), np.round(y)) if _grid(traj) else (x, y)


def continuous_timing(traj: Trajectories, seed: int = 0) -> Trajectories:
    """Intervals from a continuous gamma process with the input's pooled mean and sd, capped at its maximum.

    The draw is rounded to the input's clock (whole milliseconds when the input
    has them) and floored at one clock tick, so the case differs from the input
    in the *shape* and order of its interval distribution, not in its
    resolution. Positions are kept.
    """
    rng = np.random.default_rng(seed)
    dt = _intervals(traj)
    real = dt[~_steps_first(traj)]
    mean, sd, top = float(real.mean()), float(real.std()), float(real.max())
    shape = (mean / sd) ** 2 if sd > 0 else 1e6
    new = np.minimum(rng.gamma(shape, mean / shape, size=traj.n_points), top)
    clock = _clock(traj)
    if clock:
        new = np.maximum(np.round(new / clock) * clock, clock)
    return traj.with_points(traj.x, traj.y, _times_from_intervals(traj, new))


def smoothed_paths(traj: Trajectories, window: int = 7) -> Trajectories:
    """Positions replaced by their centred moving average over ``window`` points (shrinking at the ends).

    End points are kept exactly; times are kept; positions are rounded back to
    whole pixels when the input has them.
    """
    seg = traj.segment_ids
    idx = np.arange(traj.n_points)
    start = traj.offsets[:-1][seg]
    stop = traj.offsets[1:][seg]
    half = window // 2
    lo = np.maximum(idx - half, start)
    hi = np.minimum(idx + half + 1, stop)
    out = []
    for v in (traj.x, traj.y):
        c = np.concatenate([[0.0], np.cumsum(v)])
        out.append((c[hi] - c[lo]) / (hi - lo))
    x, y = out
    ends = np.zeros(traj.n_points, dtype=bool)
    ends[traj.offsets[:-1][traj.lengths > 0]] = True
    ends[traj.offsets[1:][traj.lengths > 0] - 1] = True
    x = np.where(ends, traj.x, x)
    y = np.where(ends, traj.y, y)
    return traj.with_points(*_round_positions(traj, x, y))


def symmetric_speed(traj: Trajectories) -> Trajectories:
    """Each movement's speed profile made symmetric in time: ``v'(t) = (v(t) + v(T - t)) / 2``.

    The path (as a curve) and the timestamps are kept; each point moves along
    the path to the arc length ``s'(t) = (s(t) + L - s(T - t)) / 2``. Positions
    are rounded back to whole pixels when the input has them.
    """
    x, y = traj.x.copy(), traj.y.copy()
    for i in range(len(traj)):
        sl = slice(traj.offsets[i], traj.offsets[i + 1])
        px, py, pt = traj.x[sl], traj.y[sl], traj.t[sl]
        if len(pt) < 3 or pt[-1] <= pt[0]:
            continue
        s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
        total, T = s[-1], pt[-1]
        if total <= 0:
            continue
        s_new = 0.5 * (s + total - np.interp(T - pt, pt, s))
        # position at arc length s_new along the path (strictly increasing arc length for interp)
        keep = np.concatenate([[True], np.diff(s) > 0])
        x[sl] = np.interp(s_new, s[keep], px[keep])
        y[sl] = np.interp(s_new, s[keep], py[keep])
    return traj.with_points(*_round_positions(traj, x, y))


def shuffled_intervals(traj: Trajectories, seed: int = 0) -> Trajectories:
    """The intervals of each movement in a random order (positions kept)."""
    rng = np.random.default_rng(seed)
    seg = traj.segment_ids
    dt = _intervals(traj)
    inner = ~_steps_first(traj)
    pos = np.flatnonzero(inner)
    order = np.lexsort((rng.random(len(pos)), seg[pos]))
    new = dt.copy()
    new[pos] = dt[pos][order]
    return traj.with_points(traj.x, traj.y, _times_from_intervals(traj, new))


def subpixel_coordinates(traj: Trajectories, seed: int = 0) -> Trajectories:
    """Uniform offsets in [-0.5, 0.5) px added to every position (times kept)."""
    rng = np.random.default_rng(seed)
    return traj.with_points(traj.x + rng.uniform(-0.5, 0.5, traj.n_points),
                            traj.y + rng.uniform(-0.5, 0.5, traj.n_points))


#: Case name -> function(traj, seed) -> Trajectories.
KNOWN_DIFFERENCES: dict[str, Callable[[Trajectories, int], Trajectories]] = {
    "continuous timing": continuous_timing,
    "smoothed paths": lambda traj, seed=0: smoothed_paths(traj),
    "symmetric speed": lambda traj, seed=0: symmetric_speed(traj),
    "shuffled intervals": shuffled_intervals,
    "sub-pixel coordinates": subpixel_coordinates,
}
