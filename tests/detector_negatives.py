"""Simple scripted bot movements for the detector tests (no dependency on the generator registry).

Every function takes real movements and returns one bot movement per real one,
with the real endpoints (and, where stated, the real timestamps), labelled
``label=1`` with its own ``style``; user and session are copied so that
user-grouped splits and session fusion can be tested.
"""

from __future__ import annotations

import numpy as np

from deval.trajectories import Trajectories


def _bot(real: Trajectories, x: np.ndarray, y: np.ndarray, t: np.ndarray, lengths: np.ndarray, style: str):
    meta = real.meta[["user", "session"]].copy()
    meta["style"] = style
    meta["label"] = 1
    return Trajectories.from_arrays(x, y, t, lengths=lengths, meta=meta)


def _along_line(real: Trajectories, tau: np.ndarray, seg: np.ndarray):
    s, e = real.start[seg], real.end[seg]
    return s[:, 0] + (e[:, 0] - s[:, 0]) * tau, s[:, 1] + (e[:, 1] - s[:, 1]) * tau


def straight_constant_speed(real: Trajectories) -> Trajectories:
    """Straight line from start to end at constant speed, at the real timestamps."""
    seg = real.segment_ids
    dur = np.maximum(real.durations, 1e-9)[seg]
    tau = (real.t - real.t[real.first_index][seg]) / dur
    x, y = _along_line(real, tau, seg)
    return _bot(real, x, y, real.t, real.lengths, "line")


def min_jerk_regular(real: Trajectories, rate_hz: float = 60.0) -> Trajectories:
    """Straight minimum-jerk movement sampled on a perfectly regular grid, real duration."""
    n = np.maximum(np.round(real.durations * rate_hz).astype(np.int64) + 1, 2)
    seg = np.repeat(np.arange(len(real)), n)
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    tau = within / (n[seg] - 1)
    prof = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    x, y = _along_line(real, prof, seg)
    t = tau * real.durations[seg]
    return _bot(real, x, y, t, n, "minjerk")


def noisy_real(real: Trajectories, sigma: float = 2.0, seed: int = 0) -> Trajectories:
    """Real movements with i.i.d. Gaussian noise of ``sigma`` px on every inner point."""
    rng = np.random.default_rng(seed)
    nx, ny = rng.normal(0, sigma, real.n_points), rng.normal(0, sigma, real.n_points)
    ends = np.zeros(real.n_points, bool)
    ends[real.first_index] = ends[real.last_index] = True
    nx[ends] = ny[ends] = 0
    return _bot(real, real.x + nx, real.y + ny, real.t, real.lengths, "noisy")
