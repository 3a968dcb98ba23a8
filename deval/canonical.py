"""The canonical layer: one path that real and fake movements both go through.

Every comparison, model and detector in deval sees movements through these
functions, so that a difference between two sets can never come from two
different pre-processing paths.

* :func:`canonicalize` recentres each movement at its start and rotates it so
  that its net displacement points along +x (it then ends at ``(distance, 0)``);
  the :class:`CanonicalFrame` it returns inverts that exactly.
* :func:`resample` re-times movements: a fixed number of points, or a fixed
  rate in Hz (optionally with seeded timing jitter).
* :func:`to_deltas` / :func:`from_deltas` convert to and from padded step
  arrays ``(dx, dy, dt)`` with a mask, the input of sequence models.
* :class:`Normalizer` standardises step arrays per channel with statistics
  fitted on a training split only, and is saved as JSON next to a model.

All functions are vectorised over the whole batch (no per-movement loop).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from deval.atomic import write_text
from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

__all__ = [
    "CanonicalFrame", "Normalizer", "canonicalize", "from_deltas", "interpolate_at", "resample", "to_deltas",
]


@dataclass(frozen=True, eq=False)
class CanonicalFrame:
    """The per-movement transform applied by :func:`canonicalize`.

    Attributes
    ----------
    origin : ndarray, float64, (N, 2)
        Start point of each movement in pixels.
    angle : ndarray, float64, (N,)
        Direction of the net displacement in the screen frame, radians
        (``atan2(dy, dx)``, y down); 0 for movements that end where they start.
    mirrored : ndarray of bool, (N,)
        Movements whose canonical y was flipped.
    t0 : ndarray, float64, (N,)
        Time of each movement's first point (usually 0).
    """

    origin: np.ndarray
    angle: np.ndarray
    mirrored: np.ndarray
    t0: np.ndarray

    def __len__(self) -> int:
        return len(self.angle)

    def invert(self, canon: Trajectories) -> Trajectories:
        """Map canonical movements back to pixels and seconds (exact inverse).

        ``canon`` must hold the same number of movements as this frame (its
        lengths may differ, e.g. after resampling or generation).
        """
        if len(canon) != len(self):
            raise DataError(None, f"frame has {len(self)} movements, trajectories {len(canon)}")
        seg = canon.segment_ids
        cy = np.where(self.mirrored[seg], -canon.y, canon.y)
        c, s = np.cos(self.angle)[seg], np.sin(self.angle)[seg]
        x = canon.x * c - cy * s + self.origin[seg, 0]
        y = canon.x * s + cy * c + self.origin[seg, 1]
        return canon.with_points(x, y, canon.t + self.t0[seg])


def canonicalize(
    traj: Trajectories, mirror: bool | Literal["auto"] = False
) -> tuple[Trajectories, CanonicalFrame]:
    """Recentre at the start, rotate the net displacement onto +x, optionally mirror.

    Parameters
    ----------
    traj : Trajectories
        Movements in pixels (y down) and seconds.
    mirror : bool or "auto"
        ``True`` flips the canonical y of every movement; ``"auto"`` flips those
        whose mean lateral offset is negative, so every path bows towards +y.

    Returns
    -------
    canon : Trajectories
        Same movements in the canonical frame: each starts at (0, 0) at t = 0
        and ends at (net distance, 0). Metadata is kept.
    frame : CanonicalFrame
        What :meth:`CanonicalFrame.invert` needs to map back.
    """
    n = len(traj)
    seg = traj.segment_ids
    start, end = traj.start if n else np.zeros((0, 2)), traj.end if n else np.zeros((0, 2))
    disp = end - start
    angle = np.arctan2(disp[:, 1], disp[:, 0])
    angle[np.hypot(disp[:, 0], disp[:, 1]) == 0] = 0.0
    dx = traj.x - start[seg, 0]
    dy = traj.y - start[seg, 1]
    c, s = np.cos(angle)[seg], np.sin(angle)[seg]
    cx = dx * c + dy * s
    cy = -dx * s + dy * c
    if mirror == "auto":
        sums = np.bincount(seg, weights=cy, minlength=n)
        mirrored = sums < 0
    elif mirror is True:
        mirrored = np.ones(n, dtype=bool)
    elif mirror is False:
        mirrored = np.zeros(n, dtype=bool)
    else:
        raise ConfigError(f"mirror must be True, False or 'auto', got {mirror!r}")
    cy = np.where(mirrored[seg], -cy, cy)
    t0 = traj.t[traj.first_index] if n else np.zeros(0)
    frame = CanonicalFrame(start.copy(), angle, mirrored, t0)
    return traj.with_points(cx, cy, traj.t - t0[seg]), frame


def resample(
    traj: Trajectories,
    n_points: int | None = None,
    rate_hz: float | None = None,
    *,
    jitter: float = 0.0,
    keep_end: bool = True,
    seed: int | None = None,
) -> Trajectories:
    """Re-time movements by linear interpolation of x and y in time.

    Give exactly one of ``n_points`` (every movement gets that many points,
    evenly spaced in time from its first to its last point) or ``rate_hz``
    (points every ``1/rate_hz`` s from the start).

    Parameters
    ----------
    n_points : int, optional
        Points per movement (>= 2).
    rate_hz : float, optional
        Sampling rate in Hz.
    jitter : float
        With ``rate_hz``: standard deviation of Gaussian timing noise as a
        fraction of the period (clipped to +-0.45 so that times stay ordered).
    keep_end : bool
        With ``rate_hz``: append the movement's last point when the grid does not
        land on it, so endpoints are preserved.
    seed : int, optional
        Seed of the jitter.

    Returns
    -------
    Trajectories
        Resampled movements (``press`` takes the value of the previous sample).
    """
    if (n_points is None) == (rate_hz is None):
        raise ConfigError("give exactly one of n_points or rate_hz")
    n = len(traj)
    dur = traj.durations
    t0 = traj.t[traj.first_index] if n else np.zeros(0)
    if n_points is not None:
        if int(n_points) < 2:
            raise ConfigError(f"n_points must be >= 2, got {n_points}")
        m = np.full(n, int(n_points), dtype=np.int64)
        k = np.tile(np.arange(int(n_points)), n) / (int(n_points) - 1)
        new_seg = np.repeat(np.arange(n), m)
        t_new = k * dur[new_seg]
    else:
        if not rate_hz > 0:
            raise ConfigError(f"rate_hz must be positive, got {rate_hz}")
        period = 1.0 / float(rate_hz)
        grid = np.floor(dur / period + 1e-9).astype(np.int64) + 1
        extra = (keep_end & (np.abs((grid - 1) * period - dur) > 1e-9)).astype(np.int64)
        m = grid + extra
        new_seg = np.repeat(np.arange(n), m)
        new_off = np.concatenate([[0], np.cumsum(m)])
        within = np.arange(m.sum()) - np.repeat(new_off[:-1], m)
        t_new = within * period
        if jitter:
            rng = np.random.default_rng(seed)
            noise = np.clip(rng.normal(0.0, jitter, size=len(t_new)), -0.45, 0.45) * period
            noise[new_off[:-1]] = 0.0  # the first point stays at t = 0
            t_new = t_new + noise
        is_extra = within == grid[new_seg]
        t_new = np.where(is_extra, dur[new_seg], np.minimum(t_new, dur[new_seg]))
        if jitter:  # clipping to the duration can tie the last grid point with the end
            step = np.diff(t_new)
            inner = np.ones(len(step), bool)
            inner[new_off[1:-1] - 1] = False
            drop = np.concatenate([inner & (step <= 1e-12), [False]])
            t_new, new_seg = t_new[~drop], new_seg[~drop]
            m = np.bincount(new_seg, minlength=n)
    x, y = interpolate_at(traj, new_seg, t_new)
    # one global, strictly increasing time axis (movement i lives in [i*span, i*span + dur_i]) for press
    span = float(dur.max(initial=0.0)) + 1.0
    g_old = traj.t - t0[traj.segment_ids] + traj.segment_ids * span
    g_new = t_new + new_seg * span
    press = None
    if traj.press is not None:
        idx = np.clip(np.searchsorted(g_old, g_new + 1e-12, side="right") - 1, 0, max(traj.n_points - 1, 0))
        press = traj.press[idx]
    return Trajectories.from_arrays(
        x, y, t_new + t0[new_seg], lengths=m, press=press, meta=traj.meta, attrs=traj.attrs
    )


def interpolate_at(traj: Trajectories, seg: np.ndarray, rel_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of movements at given times, by linear interpolation of x and y in time.

    Parameters
    ----------
    traj : Trajectories
        The recorded movements (the continuous motion is their points joined by straight lines).
    seg : ndarray, int, (P,)
        Which movement each query belongs to.
    rel_t : ndarray, float, (P,)
        Query times in seconds from the movement's first point; times before
        the start hold the start, times after the end hold the end.

    Returns
    -------
    x, y : ndarray, float64, (P,)
        Pixels.
    """
    n = len(traj)
    seg = np.asarray(seg, dtype=np.int64)
    if n == 0 or len(seg) == 0:
        return np.zeros(len(seg)), np.zeros(len(seg))
    dur = traj.durations
    t0 = traj.t[traj.first_index]
    span = float(dur.max(initial=0.0)) + 1.0
    g_old = traj.t - t0[traj.segment_ids] + traj.segment_ids * span
    g_new = np.clip(np.asarray(rel_t, dtype=np.float64), 0.0, dur[seg]) + seg * span
    return np.interp(g_new, g_old, traj.x), np.interp(g_new, g_old, traj.y)


def to_deltas(traj: Trajectories, max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-step differences ``(dx, dy, dt)`` padded to ``[N, max_len, 3]`` with a mask.

    Step ``k`` of a movement is point ``k+1`` minus point ``k``, so a movement
    of T points has T-1 steps; movements with more steps than ``max_len`` are
    truncated (their tail is dropped).

    Returns
    -------
    values : ndarray, float64, (N, max_len, 3)
        dx, dy in pixels (or canonical units), dt in seconds; 0 where padded.
    mask : ndarray of bool, (N, max_len)
        True on real steps.
    """
    n = len(traj)
    steps = np.maximum(traj.lengths - 1, 0)
    tmax = int(steps.max(initial=0)) if max_len is None else int(max_len)
    d = np.stack([np.diff(traj.x), np.diff(traj.y), np.diff(traj.t)], axis=1) if traj.n_points else np.zeros((0, 3))
    # drop the differences that straddle two movements
    keep = np.ones(len(d), dtype=bool)
    keep[traj.offsets[1:-1][traj.offsets[1:-1] > 0] - 1] = False
    d = d[keep] if len(d) else d
    step_off = np.concatenate([[0], np.cumsum(steps)])
    seg = np.repeat(np.arange(n), steps)
    within = np.arange(len(d)) - step_off[:-1][seg] if len(d) else np.zeros(0, dtype=np.int64)
    ok = within < tmax
    values = np.zeros((n, tmax, 3))
    mask = np.zeros((n, tmax), dtype=bool)
    values[seg[ok], within[ok]] = d[ok]
    mask[seg[ok], within[ok]] = True
    return values, mask


def from_deltas(
    values: np.ndarray,
    mask: np.ndarray,
    start: np.ndarray | None = None,
    *,
    meta=None,
) -> Trajectories:
    """Cumulative sum of padded ``(dx, dy, dt)`` steps back to movements.

    Parameters
    ----------
    values : ndarray, (N, T, 3)
        Steps ``dx, dy, dt``; padded entries (``mask`` False) are ignored.
    mask : ndarray of bool, (N, T)
        Real steps; they must come first in each row.
    start : ndarray, (N, 2), optional
        First point of each movement (default the origin). Times start at 0.

    Returns
    -------
    Trajectories
        Movements of ``mask.sum(1) + 1`` points.
    """
    values = np.asarray(values, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if values.ndim != 3 or values.shape[2] < 3 or mask.shape != values.shape[:2]:
        raise DataError(None, f"expected values (N, T, 3) and mask (N, T); got {values.shape} and {mask.shape}")
    n = len(values)
    v = np.where(mask[..., None], values[..., :3], 0.0)
    pts = np.concatenate([np.zeros((n, 1, 3)), np.cumsum(v, axis=1)], axis=1)
    if start is not None:
        pts[..., :2] += np.asarray(start, dtype=np.float64).reshape(n, 1, 2)
    full_mask = np.concatenate([np.ones((n, 1), dtype=bool), mask], axis=1)
    flat = pts[full_mask]
    return Trajectories.from_arrays(flat[:, 0], flat[:, 1], flat[:, 2], lengths=full_mask.sum(1), meta=meta)


@dataclass(eq=False)
class Normalizer:
    """Per-channel standardisation of padded step arrays, fitted on training data only.

    Parameters
    ----------
    channels : sequence of str
        Channel names, stored with the statistics (e.g. ``("dx", "dy", "dt")``).
    eps : float
        Floor on the standard deviation.

    Attributes
    ----------
    mean_, std_ : ndarray, (C,)
        Learned statistics (after :meth:`fit`).
    """

    channels: Sequence[str] = ("dx", "dy", "dt")
    eps: float = 1e-8
    mean_: np.ndarray | None = None
    std_: np.ndarray | None = None

    def fit(self, values: np.ndarray, mask: np.ndarray | None = None) -> "Normalizer":
        """Learn mean and std of each channel over real (masked) entries of ``values`` (N, T, C)."""
        values = np.asarray(values, dtype=np.float64)
        flat = values[mask] if mask is not None else values.reshape(-1, values.shape[-1])
        if len(flat) == 0:
            raise DataError(None, "cannot fit a Normalizer on no data")
        if flat.shape[-1] != len(self.channels):
            raise ConfigError(f"values have {flat.shape[-1]} channels, normalizer names {len(self.channels)}")
        self.mean_ = flat.mean(axis=0)
        self.std_ = np.maximum(flat.std(axis=0), self.eps)
        return self

    def _check(self) -> None:
        if self.mean_ is None or self.std_ is None:
            raise ConfigError("Normalizer is not fitted; call fit() first")

    def transform(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``(values - mean) / std``; padded entries are set to 0 when ``mask`` is given."""
        self._check()
        out = (np.asarray(values, dtype=np.float64) - self.mean_) / self.std_
        return np.where(mask[..., None], out, 0.0) if mask is not None else out

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """``values * std + mean``."""
        self._check()
        return np.asarray(values, dtype=np.float64) * self.std_ + self.mean_

    def to_dict(self) -> dict:
        """JSON-ready statistics."""
        self._check()
        return {
            "channels": list(self.channels), "eps": self.eps,
            "mean": self.mean_.tolist(), "std": self.std_.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Normalizer":
        """Inverse of :meth:`to_dict` (validates the content)."""
        try:
            mean = np.asarray(d["mean"], dtype=np.float64)
            std = np.asarray(d["std"], dtype=np.float64)
            channels = [str(c) for c in d["channels"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(None, f"invalid normalizer data ({exc})") from None
        if mean.shape != (len(channels),) or std.shape != mean.shape or not (std > 0).all():
            raise DataError(None, "invalid normalizer data (shapes or non-positive std)")
        return cls(channels=tuple(channels), eps=float(d.get("eps", 1e-8)), mean_=mean, std_=std)

    def save(self, path: str | os.PathLike, force: bool = False) -> None:
        """Write the statistics as JSON (atomic)."""
        write_text(path, json.dumps(self.to_dict(), indent=2), force=force)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Normalizer":
        """Read statistics written by :meth:`save`."""
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as exc:
            raise DataError(path, f"cannot read normalizer JSON ({exc})") from None
        try:
            return cls.from_dict(d)
        except DataError as exc:
            raise DataError(path, exc.problem) from None
