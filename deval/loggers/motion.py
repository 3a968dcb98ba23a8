"""The continuous motion behind recorded samples, so that a recording can be recorded again.

Re-recording joins a movement's points into a continuous motion and samples it
at another logger's times. Straight lines between the points would give a
motion of constant velocity between samples and kinks at them: re-sampled,
its acceleration collapses onto the old sample times and its jerk is lost.
:class:`ContinuousMotion` instead interpolates each coordinate with a
shape-preserving cubic (a Hermite cubic with three-point slopes under the
Fritsch-Carlson monotonicity limit, vectorised over all movements at once):
smooth velocity, no overshoot between samples, and still points stay still.

Across a long interval (a pause: at least ``pause_factor`` x the movement's
median interval) an event logger recorded nothing because the pointer did not
move: the position is held and moves only within the last median interval of
the gap, as a still hand does. Each movement's motion depends on its own
points only (not on the batch it comes in).
"""

from __future__ import annotations

import numpy as np

from deval.features.shape import _Ragged
from deval.trajectories import Trajectories

__all__ = ["ContinuousMotion"]


def _pchip_slopes(t: np.ndarray, v: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson slopes at every point of ragged series (``seg`` sorted; >= 2 points each)."""
    h = np.diff(t)
    same = seg[1:] == seg[:-1]
    delta = np.where(same, np.diff(v) / np.where(h > 0, h, 1.0), 0.0)
    d = np.zeros_like(v)
    # interior points: both neighbouring steps in the same movement
    inner = np.zeros(len(v), dtype=bool)
    inner[1:-1] = same[:-1] & same[1:]
    k = np.flatnonzero(inner)
    d0, d1 = delta[k - 1], delta[k]
    h0, h1 = h[k - 1], h[k]
    # the three-point derivative (exact on quadratics), limited so that the cubic stays monotone between
    # samples (Fritsch-Carlson: 0 at a local extremum, at most 3x the smaller neighbouring secant)
    centred = (h0 * d1 + h1 * d0) / np.maximum(h0 + h1, 1e-300)
    limit = 3.0 * np.minimum(np.abs(d0), np.abs(d1))
    d[k] = np.where((d0 * d1) > 0, np.sign(centred) * np.minimum(np.abs(centred), limit), 0.0)
    # ends: the one-sided three-point derivative (exact on quadratics) where a movement has >= 3 points, kept
    # to the sign of the end step; the end step's slope where it has 2
    first = np.r_[True, ~same]
    last = np.r_[~same, True]
    fi, li = np.flatnonzero(first & ~last), np.flatnonzero(last & ~first)
    d[fi], d[li] = delta[fi], delta[li - 1]
    f3 = fi[inner[np.minimum(fi + 1, len(v) - 1)]]
    l3 = li[inner[np.maximum(li - 1, 0)]]
    for idx, e, o, he, ho in ((f3, delta[f3], delta[f3 + 1], h[f3], h[f3 + 1]),
                              (l3, delta[l3 - 1], delta[l3 - 2], h[l3 - 1], h[l3 - 2])):
        three = ((2 * he + ho) * e - he * o) / np.maximum(he + ho, 1e-300)
        d[idx] = np.where(three * e > 0, np.sign(three) * np.minimum(np.abs(three), 3 * np.abs(e)), 0.0)
    return d


class ContinuousMotion:
    """Positions of recorded movements at any time: ``motion(seg, t) -> (x, y)`` (see the module docs).

    Build with :meth:`from_recording`; ``t`` is seconds from each movement's
    first point, clipped to [0, duration].
    """

    def __init__(self, t: np.ndarray, x: np.ndarray, y: np.ndarray, seg: np.ndarray, duration: np.ndarray):
        self.t, self.x, self.y, self.seg, self.duration = t, x, y, seg, duration
        self._span = float(duration.max(initial=0.0)) + 1.0
        self._key = seg * self._span + t
        self._dx = _pchip_slopes(t, x, seg)
        self._dy = _pchip_slopes(t, y, seg)

    @classmethod
    def from_recording(cls, traj: Trajectories, pause_factor: float = 2.5) -> "ContinuousMotion":
        """The motion of recorded movements (>= 2 points each; times from each first point)."""
        n = len(traj)
        seg = traj.segment_ids
        t = traj.t - traj.t[traj.first_index][seg]
        dt = np.diff(t)
        inner = seg[1:] == seg[:-1]
        ok = inner & (dt > 0)
        med = _Ragged(seg[1:][ok], n).quantiles(dt[ok], (0.5,), fill=np.nan)[0]
        long = ok & (dt >= pause_factor * med[seg[1:]])
        k = np.flatnonzero(long)                      # step k joins point k -> k + 1
        # each movement's own median interval: the motion of a movement never depends on the others
        hold_t = t[k + 1] - np.minimum(med[seg[k]], 0.5 * dt[k])
        x = np.insert(traj.x, k + 1, traj.x[k])
        y = np.insert(traj.y, k + 1, traj.y[k])
        tt = np.insert(t, k + 1, hold_t)
        s = np.insert(seg, k + 1, seg[k])
        return cls(tt, x, y, s, traj.durations.astype(np.float64))

    def __call__(self, seg: np.ndarray, t: np.ndarray, spacing: np.ndarray | None = None, snap: float = 0.5
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Positions of movements ``seg`` at ``t`` seconds from their starts.

        With ``spacing`` (the interval of the new samples around each query, s), a query that lies within
        ``snap`` x both the new and the recorded interval of a recorded sample takes that sample's position:
        re-recording at a similar rate then keeps the hand's own samples (time-stamped by the new clock, as
        loggers stamp events when they deliver them), and only queries between samples are interpolated.
        """
        seg = np.asarray(seg, dtype=np.int64)
        q = np.clip(np.asarray(t, dtype=np.float64), 0.0, self.duration[seg])
        key = seg * self._span + q
        i = np.clip(np.searchsorted(self._key, key, side="right") - 1, 0, len(self._key) - 2)
        # at a movement's last point (or past it) use the step that ends there
        i = np.where(self.seg[np.minimum(i + 1, len(self.seg) - 1)] != seg, i - 1, i)
        h = self.t[i + 1] - self.t[i]
        if spacing is not None:
            near = np.where(q - self.t[i] <= self.t[i + 1] - q, i, i + 1)
            tol = snap * np.minimum(np.asarray(spacing, dtype=np.float64), np.maximum(h, 1e-9))
            snapped = np.abs(q - self.t[near]) <= tol
            x, y = self._cubic(i, h, q)
            return np.where(snapped, self.x[near], x), np.where(snapped, self.y[near], y)
        return self._cubic(i, h, q)

    def _cubic(self, i: np.ndarray, h: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.where(h > 0, (q - self.t[i]) / np.where(h > 0, h, 1.0), 0.0)
        s = np.clip(s, 0.0, 1.0)
        s2, s3 = s * s, s * s * s
        h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
        x = h00 * self.x[i] + h10 * h * self._dx[i] + h01 * self.x[i + 1] + h11 * h * self._dx[i + 1]
        y = h00 * self.y[i] + h10 * h * self._dy[i] + h01 * self.y[i + 1] + h11 * h * self._dy[i + 1]
        return x, y
