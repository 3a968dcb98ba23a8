"""Views: how a detector sees movements before any feature or model.

Three views exist, and a detector records the one it was trained with so that
scoring applies exactly the same one:

``raw``
    Movements as logged: the recorded timestamps and points, whatever the
    logger's sampling rate.
``resampled``
    Every movement re-timed to a common rate (default 60 Hz) by linear
    interpolation, with seeded Gaussian timing jitter (a fraction of the
    period). Humans and bots go through the identical transform, so a detector
    that only learned "this source logs at 125 Hz" or "this bot's timestamps
    are perfectly regular" loses that cue.

``logger-robust``
    The resampled view (same rate and jitter), with every inner point rounded
    to whole pixels: whatever the logger's clock and pixel grid (sub-pixel
    coordinates, 1000 Hz events, 30 Hz polling, a remote desktop's 100 ms
    updates), a movement reaches the head as if one common logger had
    recorded it. Positions between the recorded samples come from the
    movement's continuous motion (:class:`deval.loggers.ContinuousMotion`), not
    straight lines: a sparse recording re-timed to 60 Hz by straight lines has
    piecewise-constant velocity and looks drawn by a ruler. Feature heads also
    drop the features that polling rate confounds (:data:`LOGGER_CONFOUNDED`).

The regular grid comes from :func:`deval.canonical.resample`; the jitter is
drawn per movement from a counter-based generator keyed by the seed and the
movement's own points (:func:`movement_jitter`), so a movement is re-timed
the same way whatever batch it is scored in: the score of a movement never
depends on the other movements of a file.

Spelling on the command line: ``raw``, ``resampled`` (with ``--resample-hz``),
or ``<rate>hz`` (``60hz``, ``120hz``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from deval.canonical import resample
from deval.errors import ConfigError
from deval.trajectories import Trajectories

__all__ = ["LOGGER_CONFOUNDED", "View", "jittered_resample", "movement_jitter", "parse_view"]

VIEW_KINDS = ("raw", "resampled", "logger-robust")

#: Features whose distribution moves with the logger even after the 60 Hz resample: the largest
#: Kolmogorov-Smirnov distance between people as logged and the same people re-recorded by each
#: logger of :data:`deval.loggers.LOGGERS` exceeds 0.1 (3,000 SapiMouse movements;
#: ``python benchmarks/bench_logger_confounds.py``). High-frequency content (jerk, acceleration
#: peaks, spectral centroid and entropy) depends on how densely the clock samples the hand.
LOGGER_CONFOUNDED: tuple[str, ...] = (
    "jerk_mean_abs", "spec_hf_share", "jerk_max_abs", "spec_centroid", "dt_mean", "spec_entropy", "decel_max",
    "accel_mean_abs", "accel_max", "heading_change_mean_abs", "dt_cv", "dt_std",
)


@dataclass(frozen=True)
class View:
    """A pre-processing view of movements (see module docstring).

    Parameters
    ----------
    kind : {"raw", "resampled", "logger-robust"}
        Which view.
    rate_hz : float
        Sampling rate of the resampled view [Hz] (ignored by ``raw``).
    jitter : float
        Standard deviation of the timing jitter of the resampled view, as a
        fraction of the period (0 = a perfectly regular grid).
    seed : int
        Seed of the jitter. The same seed on the same movements gives the same
        points.
    """

    kind: str = "raw"
    rate_hz: float = 60.0
    jitter: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in VIEW_KINDS:
            raise ConfigError(f"view must be one of {', '.join(VIEW_KINDS)}, got {self.kind!r}")
        if not self.rate_hz > 0:
            raise ConfigError(f"resample rate must be positive, got {self.rate_hz}")
        if not 0 <= self.jitter <= 0.45:
            raise ConfigError(f"view jitter must be in [0, 0.45] (fraction of the period), got {self.jitter}")

    @property
    def name(self) -> str:
        """Short label: ``raw`` or ``60hz``."""
        if self.kind == "logger-robust":
            return "logger-robust"
        return "raw" if self.kind == "raw" else f"{self.rate_hz:g}hz"

    def apply(self, traj: Trajectories) -> Trajectories:
        """The movements as this view sees them (metadata kept)."""
        if self.kind == "raw":
            return traj
        out = jittered_resample(traj, self.rate_hz, self.jitter, self.seed, smooth=self.kind == "logger-robust")
        if self.kind == "logger-robust" and len(out):
            inner = np.ones(out.n_points, bool)
            inner[out.first_index] = False
            inner[out.last_index] = False
            out = out.with_points(np.where(inner, np.round(out.x), out.x), np.where(inner, np.round(out.y), out.y))
        return out

    def to_dict(self) -> dict:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "View":
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(kind=str(d["kind"]), rate_hz=float(d.get("rate_hz", 60.0)),
                       jitter=float(d.get("jitter", 0.1)), seed=int(d.get("seed", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"invalid view settings {d!r} ({exc})") from None


def parse_view(spec: "str | View", *, rate_hz: float = 60.0, jitter: float = 0.1, seed: int = 0) -> View:
    """A :class:`View` from ``raw``, ``resampled`` (at ``rate_hz``) or ``<rate>hz``."""
    if isinstance(spec, View):
        return spec
    text = str(spec).strip().lower()
    if text == "raw":
        return View("raw", rate_hz=rate_hz, jitter=jitter, seed=seed)
    if text in ("logger-robust", "robust"):
        return View("logger-robust", rate_hz=rate_hz, jitter=jitter, seed=seed)
    if text in ("resampled", "resample"):
        return View("resampled", rate_hz=rate_hz, jitter=jitter, seed=seed)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*hz", text)
    if m:
        return View("resampled", rate_hz=float(m.group(1)), jitter=jitter, seed=seed)
    raise ConfigError(f"unknown view {spec!r}; use raw, resampled, <rate>hz (e.g. 60hz) or logger-robust")


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(z: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    z = z.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def movement_jitter(traj: Trajectories, counts: np.ndarray, seed: int) -> np.ndarray:
    """Standard-normal draws, ``counts[i]`` for movement ``i``, that depend only on the seed and movement ``i``.

    Each movement gets a 64-bit key from the seed and a fingerprint of its
    points (sums of x, y, t and the point count); draw ``k`` is
    ``SplitMix64(key + k * golden)`` turned into a normal by Box-Muller. All
    vectorised; the result for a movement is independent of the batch.

    Returns
    -------
    ndarray, float64, (counts.sum(),)
    """
    n = len(traj)
    seg = traj.segment_ids
    fp = np.zeros((n, 3))
    for j, arr in enumerate((traj.x, traj.y, traj.t)):
        fp[:, j] = np.bincount(seg, weights=arr * (1.0 + 0.37 * j), minlength=n)
    with np.errstate(over="ignore"):
        key = _splitmix64(np.full(n, np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF)) ^ traj.lengths.astype(np.uint64))
        for j in range(3):
            key = _splitmix64(key ^ fp[:, j].view(np.uint64))
        counts = np.asarray(counts, dtype=np.int64)
        owner = np.repeat(np.arange(n), counts)
        k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        base = key[owner] + (2 * k).astype(np.uint64) * _GOLDEN
        u1 = (_splitmix64(base) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        u2 = (_splitmix64(base + _GOLDEN) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def jittered_resample(traj: Trajectories, rate_hz: float, jitter: float, seed: int,
                      smooth: bool = False) -> Trajectories:
    """Re-time movements to ``rate_hz`` with per-movement seeded timing jitter.

    The grid is :func:`deval.canonical.resample` at ``rate_hz`` (first point at
    0, points every period, the last point kept). Every inner grid time then
    moves by ``jitter`` x period x N(0, 1) (:func:`movement_jitter`), clipped to
    0.45 of the gap to each neighbour so that times stay strictly increasing,
    and x, y are interpolated at the new times: linearly, or with ``smooth`` on
    the movement's continuous motion (:class:`deval.loggers.ContinuousMotion`).
    First and last points are unchanged.
    """
    grid = resample(traj, rate_hz=rate_hz, keep_end=True)
    if len(grid) == 0 or not (jitter or smooth):
        return grid
    period = 1.0 / float(rate_hz)
    m = grid.lengths
    z = movement_jitter(traj, m, seed)
    t = grid.t
    first = np.zeros(len(t), bool)
    last = np.zeros(len(t), bool)
    first[grid.first_index[m > 0]] = True
    last[grid.last_index[m > 0]] = True
    prev_gap = np.where(first, 0.0, np.diff(t, prepend=t[:1]))
    next_gap = np.where(last, 0.0, np.diff(t, append=t[-1:]))
    limit = 0.45 * np.minimum(prev_gap, next_gap)
    delta = np.clip(z * jitter * period, -limit, limit) if jitter else np.zeros(len(t))
    t_new = t + np.where(first | last, 0.0, delta)
    if smooth:
        from deval.loggers import ContinuousMotion

        seg_new = grid.segment_ids
        rel = t_new - traj.t[traj.first_index][seg_new]
        x, y = ContinuousMotion.from_recording(traj)(seg_new, rel)
        end = traj.last_index[seg_new]
        x, y = np.where(last, traj.x[end], x), np.where(last, traj.y[end], y)  # exact end points
        return grid.with_points(x, y, t_new)
    # locate each new time's interval on one global increasing axis, then interpolate in the movement's own
    # time so that the arithmetic (hence every bit of the result) does not depend on the batch
    n = len(traj)
    seg_old, seg_new = traj.segment_ids, grid.segment_ids
    t0 = traj.t[traj.first_index] if n else np.zeros(0)
    rel_old = traj.t - t0[seg_old]
    rel_new = t_new - t0[seg_new]
    span = float(traj.durations.max(initial=0.0)) + 1.0
    j = np.searchsorted(rel_old + seg_old * span, rel_new + seg_new * span, side="right") - 1
    lo = traj.first_index[seg_new]
    hi = np.maximum(traj.last_index[seg_new] - 1, lo)
    j = np.clip(j, lo, hi)
    j1 = np.minimum(j + 1, traj.last_index[seg_new])
    dt = rel_old[j1] - rel_old[j]
    w = np.where(dt > 0, np.clip((rel_new - rel_old[j]) / np.where(dt > 0, dt, 1.0), 0.0, 1.0), 0.0)
    x = traj.x[j] + w * (traj.x[j1] - traj.x[j])
    y = traj.y[j] + w * (traj.y[j1] - traj.y[j])
    end = traj.last_index[seg_new]
    x, y = np.where(last, traj.x[end], x), np.where(last, traj.y[end], y)  # exact end points
    return grid.with_points(x, y, t_new)
