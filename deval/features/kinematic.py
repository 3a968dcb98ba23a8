"""Kinematic features of pointer movements, computed for a whole batch at once.

Every feature is one number per movement (see :data:`KINEMATIC_DOCS` for the
names, units and definitions). The computation never loops over movements in
Python: it works on the flat CSR arrays of a :class:`~deval.trajectories.Trajectories`
and reduces per movement with :func:`numpy.add.reduceat` /
:func:`numpy.maximum.reduceat` and :func:`numpy.bincount`.

Conventions
-----------
*Steps.* Step ``k`` of a movement joins point ``k`` to point ``k+1``; a movement
of ``T`` points has ``T - 1`` steps with displacement ``(dx, dy)``, length
``ds = hypot(dx, dy)`` and duration ``dt``. Internally the step arrays have one
entry per *point* (the entry at a movement's last point is a dummy zero step),
so that steps and points share the same CSR offsets. Negative ``dt`` (time
running backwards, which :meth:`Trajectories.validate` rejects) is treated as 0.

*Derivatives* are finite differences with the real timestamps. The speed of a
step with ``dt > 0`` is ``ds / dt`` (placed at the middle of the step); steps
with ``dt == 0`` have no defined rate and are left out of every speed,
acceleration and jerk statistic (their length still counts in the path
length). Acceleration is the *tangential* acceleration, the time derivative of
the scalar speed between two consecutive timed steps,
``(v[k+1] - v[k]) / ((dt[k] + dt[k+1]) / 2)``, and jerk is the derivative of
that acceleration in the same way. Their mean absolute values are
time-weighted (each value weighted by the time span it was computed over), so
they do not depend on the sampling rate of a smooth signal.

*Neutral values.* Every output is finite for finite input, including
movements with 0, 1 or 2 points, repeated points and zero time steps: a
statistic over an empty set is 0, a ratio with a zero denominator takes the
value documented in :data:`KINEMATIC_DOCS` (``straightness`` 1,
``end_slowdown`` 1, ``speed_peak_ratio`` 1, ``time_to_peak_speed`` 0.5, other
ratios 0).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

logger = logging.getLogger(__name__)

#: A pause is a run of consecutive steps slower than this [px/s] ...
PAUSE_SPEED = 20.0
#: ... that lasts at least this long [s].
PAUSE_MIN_S = 0.05
#: A sub-movement is a local maximum of the smoothed speed of at least this fraction of its peak.
PEAK_FRACTION = 0.25
#: Relative tolerance (of the movement's smoothed peak) below which speed changes count as flat.
PEAK_TOLERANCE = 1e-9
#: ``end_slowdown`` compares the mean speed over this final fraction of the duration with the mean.
END_FRACTION = 0.2
#: Movements are processed in chunks of about this many points (cache-sized working arrays).
CHUNK_POINTS = 1 << 15

#: Feature name -> "description [unit]" for every kinematic feature, in column order.
KINEMATIC_DOCS: dict[str, str] = {
    # timing
    "duration": "time from the first to the last point [s]",
    "n_points": "number of points [count]",
    "dt_mean": "mean time step (duration / steps) [s]",
    "dt_std": "standard deviation of the time steps [s]",
    "dt_cv": "coefficient of variation of the time steps, dt_std / dt_mean; 0 = perfectly regular "
             "sampling (0 when dt_mean = 0) [-]",
    "dt_max": "longest time step [s]",
    # geometry
    "path_length": "sum of the step lengths [px]",
    "net_distance": "distance from the first to the last point [px]",
    "straightness": "path efficiency net_distance / path_length in [0, 1] "
                    "(1 when the path length is 0) [-]",
    "heading_change_mean_abs": "mean absolute change of direction between consecutive non-zero steps "
                               "(zero-length steps are skipped) [rad/step]",
    "heading_change_total": "sum of the absolute changes of direction between consecutive non-zero "
                            "steps [rad]",
    "curvature_mean": "length-weighted mean absolute curvature: heading_change_total divided by the "
                      "summed mean lengths (|a| + |b|) / 2 of the step pairs it was measured on; "
                      "1/R on a circle [1/px]",
    "lateral_rms": "time-weighted (trapezoidal) RMS perpendicular distance of the points from the "
                   "start->end line, i.e. of the canonical-frame y (distance from the start when "
                   "start = end; plain mean over points when the duration is 0) [px]",
    "lateral_max": "largest perpendicular distance of a point from the start->end line [px]",
    "lateral_rms_rel": "lateral_rms / net_distance (0 when net_distance = 0) [-]",
    "lateral_max_rel": "lateral_max / net_distance (0 when net_distance = 0) [-]",
    "overshoot": "how far the movement goes past its end point along the start->end direction: "
                 "max(0, max projection - net_distance) [px]",
    "overshoot_rel": "overshoot / net_distance (0 when net_distance = 0) [-]",
    # dynamics
    "speed_mean": "time-averaged speed: length of the timed steps (dt > 0) / duration "
                  "(0 when duration = 0) [px/s]",
    "speed_max": "largest step speed ds / dt [px/s]",
    "speed_std": "time-weighted standard deviation of the step speeds [px/s]",
    "speed_peak_ratio": "speed_max / speed_mean (1 when speed_mean = 0) [-]",
    "accel_mean_abs": "time-weighted mean absolute tangential acceleration d(speed)/dt [px/s^2]",
    "accel_max": "largest positive tangential acceleration (0 if none) [px/s^2]",
    "decel_max": "largest deceleration, i.e. -min(acceleration) (0 if none) [px/s^2]",
    "jerk_mean_abs": "time-weighted mean absolute jerk d(acceleration)/dt [px/s^3]",
    "jerk_max_abs": "largest absolute jerk [px/s^3]",
    "time_to_peak_speed": "time of the peak of the smoothed speed (middle of its step) as a fraction "
                          "of the duration (0.5 when the movement never moves or the duration is 0) [-]",
    "n_speed_peaks": "number of sub-movements: samples of the smoothed speed (3-tap [1, 2, 1] / 4 "
                     "moving average of the timed step speeds, renormalised at the ends) that rise "
                     "above the previous sample and are not exceeded by the next one (a movement's "
                     "ends count as lower neighbours; differences within 1e-9 of the peak count as "
                     "flat, so a plateau counts once), are positive and reach PEAK_FRACTION = 0.25 "
                     "of the movement's smoothed peak [count]",
    "end_slowdown": "mean speed over the last END_FRACTION = 20% of the duration (position linearly "
                    "interpolated in time) / speed_mean; < 1 = slows down at the end "
                    "(1 when speed_mean = 0) [-]",
    "pause_count": "number of pauses: maximal runs of consecutive steps with speed at most "
                   "PAUSE_SPEED = 20 px/s lasting at least PAUSE_MIN_S = 0.05 s in total [count]",
    "pause_time_frac": "fraction of the duration spent in pauses (0 when duration = 0) [-]",
}

#: Feature groups (names usable in ``groups=``) -> kinematic feature names.
KINEMATIC_GROUPS: dict[str, list[str]] = {
    "timing": ["duration", "n_points", "dt_mean", "dt_std", "dt_cv", "dt_max"],
    "geometry": [
        "path_length", "net_distance", "straightness", "heading_change_mean_abs", "heading_change_total",
        "curvature_mean", "lateral_rms", "lateral_max", "lateral_rms_rel", "lateral_max_rel",
        "overshoot", "overshoot_rel",
    ],
    "dynamics": [
        "speed_mean", "speed_max", "speed_std", "speed_peak_ratio", "accel_mean_abs", "accel_max",
        "decel_max", "jerk_mean_abs", "jerk_max_abs", "time_to_peak_speed", "n_speed_peaks",
        "end_slowdown", "pause_count", "pause_time_frac",
    ],
}


class _Segments:
    """Per-movement reductions of a flat array laid out with CSR ``offsets``.

    Parameters
    ----------
    offsets : ndarray, int64, shape (N+1,)
        Segment ``i`` is ``slice(offsets[i], offsets[i+1])`` of the arrays reduced.
    """

    def __init__(self, offsets: np.ndarray):
        self.n = len(offsets) - 1
        lengths = np.diff(offsets)
        self.nonempty = lengths > 0
        self.dense = bool(self.nonempty.all())
        # reduceat over the starts of the non-empty segments only: an empty segment
        # has no width, so these ranges are exactly the non-empty segments.
        self.starts = offsets[:-1][self.nonempty]

    def _reduce(self, ufunc: np.ufunc, values: np.ndarray, fill: float) -> np.ndarray:
        if self.starts.size == 0:
            return np.full(self.n, fill, dtype=np.result_type(values, type(fill)))
        red = ufunc.reduceat(values, self.starts)
        if self.dense:
            return red
        out = np.full(self.n, fill, dtype=red.dtype)
        out[self.nonempty] = red
        return out

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum per segment (0 for empty segments), (N,)."""
        return self._reduce(np.add, values, 0)

    def sum_count(self, flags: np.ndarray) -> np.ndarray:
        """Number of True ``flags`` per segment, int64 (N,)."""
        if self.starts.size == 0:
            return np.zeros(self.n, dtype=np.int64)
        red = np.add.reduceat(flags, self.starts, dtype=np.int64)
        if self.dense:
            return red
        out = np.zeros(self.n, dtype=np.int64)
        out[self.nonempty] = red
        return out

    def max(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Maximum per segment (``fill`` for empty segments), (N,)."""
        return self._reduce(np.maximum, values, fill)

    def min(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Minimum per segment (``fill`` for empty segments), (N,)."""
        return self._reduce(np.minimum, values, fill)


def _ratio(num: np.ndarray, den: np.ndarray, fill: float) -> np.ndarray:
    """``num / den`` where ``den > 0``, ``fill`` elsewhere."""
    out = np.full(np.shape(num), fill, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def check_trajectories(traj: object, name: str = "traj") -> Trajectories:
    """Raise a :class:`~deval.errors.DataError` unless ``traj`` is a Trajectories with finite values."""
    if not isinstance(traj, Trajectories):
        raise DataError(f"<{name}>", f"expected a deval Trajectories, got {type(traj).__name__}")
    for field in ("x", "y", "t"):
        values = getattr(traj, field)
        if not np.isfinite(values).all():
            point = int(np.flatnonzero(~np.isfinite(values))[0])
            movement = int(np.searchsorted(traj.offsets, point, side="right") - 1)
            raise DataError(f"<{name}>", f"non-finite {field} (NaN or inf) in movement {movement}")
    return traj


def _steps(values: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per-point step array: ``values[j+1] - values[j]``, 0 at the ``last`` point of every movement."""
    out = np.empty_like(values)
    if len(values):
        np.subtract(values[1:], values[:-1], out=out[:-1])
        out[last] = 0.0
    return out


def chunk_bounds(offsets: np.ndarray, chunk_points: int) -> list[tuple[int, int]]:
    """Split movements into contiguous runs ``(i0, i1)`` of about ``chunk_points`` points each.

    Every run holds at least one movement; a movement is never split.
    """
    n = len(offsets) - 1
    if n == 0:
        return []
    targets = np.arange(chunk_points, offsets[-1], chunk_points)
    cuts = np.unique(np.searchsorted(offsets, targets, side="left"))
    cuts = cuts[(cuts > 0) & (cuts < n)]
    edges = np.concatenate([[0], cuts, [n]]).astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def map_chunks(
    func: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], dict[str, np.ndarray]],
    traj: Trajectories,
    n_threads: int | None,
    chunk_points: int,
) -> dict[str, np.ndarray]:
    """Apply ``func(x, y, t, offsets)`` to runs of whole movements and concatenate the columns.

    Chunks keep the working arrays cache-sized; NumPy releases the GIL in its
    array loops, so ``n_threads`` threads run chunks in parallel. Every
    movement is computed by the same arithmetic whatever the chunking, so the
    result does not depend on ``n_threads`` or ``chunk_points``.
    """
    bounds = chunk_bounds(traj.offsets, chunk_points)
    offsets = traj.offsets

    def run(bound: tuple[int, int]) -> dict[str, np.ndarray]:
        i0, i1 = bound
        a, b = int(offsets[i0]), int(offsets[i1])
        return func(traj.x[a:b], traj.y[a:b], traj.t[a:b], offsets[i0:i1 + 1] - a)

    if not bounds:
        return func(traj.x, traj.y, traj.t, offsets)
    threads = default_threads() if n_threads is None else int(n_threads)
    if threads < 1:
        raise ConfigError(f"n_threads must be >= 1, got {n_threads!r}")
    if threads == 1 or len(bounds) == 1:
        parts = [run(b) for b in bounds]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(bounds))) as pool:
            parts = list(pool.map(run, bounds))
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def default_threads() -> int:
    """Threads used when ``n_threads`` is None: the CPUs this process may use, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def kinematic_features(
    traj: Trajectories,
    *,
    pause_speed: float = PAUSE_SPEED,
    pause_min_s: float = PAUSE_MIN_S,
    peak_fraction: float = PEAK_FRACTION,
    n_threads: int | None = None,
    chunk_points: int = CHUNK_POINTS,
) -> pd.DataFrame:
    """Kinematic features of every movement (see :data:`KINEMATIC_DOCS`).

    Parameters
    ----------
    traj : Trajectories
        N movements in pixels and seconds. Values must be finite; movements may
        have any number of points (including 0 and 1), repeated points and zero
        time steps.
    pause_speed : float, default 20
        Speed [px/s] below which a step is part of a pause.
    pause_min_s : float, default 0.05
        Minimum total duration [s] of a run of slow steps to count as a pause.
    peak_fraction : float, default 0.25
        A local maximum of the smoothed speed is a sub-movement peak when it
        reaches this fraction of the movement's smoothed peak speed.
    n_threads : int, optional
        Threads that process chunks of movements in parallel (default: the
        available CPUs, at most 4). The result does not depend on it.
    chunk_points : int, default 32768
        Approximate number of points per chunk (whole movements).

    Returns
    -------
    DataFrame, N rows, columns ``list(KINEMATIC_DOCS)``
        float64 columns except ``n_points``, ``n_speed_peaks`` and
        ``pause_count`` (int64). All values are finite.

    Raises
    ------
    DataError
        ``traj`` is not a Trajectories or holds NaN/inf.
    ConfigError
        A threshold is negative or not finite, ``peak_fraction`` is outside
        [0, 1], ``n_threads < 1`` or ``chunk_points < 1``.
    """
    check_trajectories(traj)
    for name, value in (("pause_speed", pause_speed), ("pause_min_s", pause_min_s)):
        if not (np.isfinite(value) and value >= 0):
            raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    if not (np.isfinite(peak_fraction) and 0 <= peak_fraction <= 1):
        raise ConfigError(f"peak_fraction must be in [0, 1], got {peak_fraction!r}")
    if int(chunk_points) < 1:
        raise ConfigError(f"chunk_points must be >= 1, got {chunk_points!r}")

    def compute(x: np.ndarray, y: np.ndarray, t: np.ndarray, offsets: np.ndarray) -> dict[str, np.ndarray]:
        return _kinematic_arrays(
            x, y, t, offsets, float(pause_speed), float(pause_min_s), float(peak_fraction)
        )

    columns = map_chunks(compute, traj, n_threads, int(chunk_points))
    logger.debug("kinematic features: %d movements, %d points", len(traj), traj.n_points)
    return pd.DataFrame(columns, columns=list(KINEMATIC_DOCS))


@dataclass(frozen=True, eq=False)
class _Steps:
    """What every feature group reads: the layout and the per-step arrays of one chunk of movements.

    Step ``j`` joins points ``j`` and ``j + 1``; the step after a movement's last
    point is a dummy (0). ``v`` is the step speed (0 where the step is untimed).
    """

    n: int
    lengths: np.ndarray
    nonempty: np.ndarray
    segs: "_Segments"
    seg: np.ndarray
    first: np.ndarray
    last: np.ndarray
    n_steps: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    dt: np.ndarray
    ds: np.ndarray
    v: np.ndarray
    timed: np.ndarray
    untimed: np.ndarray
    duration: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    t0: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    net: np.ndarray
    path_length: np.ndarray


def _kinematic_arrays(
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray,
    offsets: np.ndarray,
    pause_speed: float,
    pause_min_s: float,
    peak_fraction: float,
) -> dict[str, np.ndarray]:
    """All kinematic features of the movements laid out by ``offsets`` over ``x, y, t``."""
    s = _step_arrays(x, y, t, offsets)
    out = {"duration": s.duration, "n_points": s.lengths.astype(np.int64)}
    out.update(_timing(s))
    out.update(_path_and_speed(s))
    out.update(_acceleration_and_jerk(s, len(x)))
    out.update(_speed_peaks(s, t, peak_fraction))
    out.update(_heading_and_curvature(s))
    out.update(_lateral_and_overshoot(s, x, y))
    out.update(_end_slowdown(s, t, out["speed_mean"]))
    out.update(_pauses(s, pause_speed, pause_min_s))
    return out


def _step_arrays(x: np.ndarray, y: np.ndarray, t: np.ndarray, offsets: np.ndarray) -> _Steps:
    """Steps, speeds, durations and the start-to-end line of every movement."""
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    segs = _Segments(offsets)
    first = offsets[:-1][nonempty]
    last = offsets[1:][nonempty] - 1
    dx = _steps(x, last)
    dy = _steps(y, last)
    dt = _steps(t, last)
    np.maximum(dt, 0.0, out=dt)  # negative time steps count as 0; dummy steps are 0 already
    ds = np.sqrt(dx * dx + dy * dy)
    timed = dt > 0  # steps with a defined rate (never a dummy step)
    untimed = np.flatnonzero(~timed)  # dummy steps and zero time steps
    safe_dt = dt.copy()
    safe_dt[untimed] = 1.0
    v = ds / safe_dt
    v[untimed] = 0.0  # no rate without time
    x0, y0, t0, ex, ey = (np.zeros(n) for _ in range(5))
    x0[nonempty], y0[nonempty], t0[nonempty] = x[first], y[first], t[first]
    ex[nonempty] = x[last] - x0[nonempty]
    ey[nonempty] = y[last] - y0[nonempty]
    return _Steps(n=n, lengths=lengths, nonempty=nonempty, segs=segs,
                  seg=np.repeat(np.arange(n, dtype=np.int64), lengths), first=first, last=last,
                  n_steps=np.maximum(lengths - 1, 0), dx=dx, dy=dy, dt=dt, ds=ds, v=v, timed=timed, untimed=untimed,
                  duration=segs.sum(dt), x0=x0, y0=y0, t0=t0, ex=ex, ey=ey, net=np.hypot(ex, ey),
                  path_length=segs.sum(ds))


def _timing(s: _Steps) -> dict[str, np.ndarray]:
    """Mean, spread and longest of the time steps."""
    dt_mean = _ratio(s.duration, s.n_steps, 0.0)
    dev = s.dt - np.repeat(dt_mean, s.lengths)
    dev[s.last] = 0.0
    dev *= dev
    dt_std = np.sqrt(_ratio(s.segs.sum(dev), s.n_steps, 0.0))
    return {"dt_mean": dt_mean, "dt_std": dt_std, "dt_cv": _ratio(dt_std, dt_mean, 0.0), "dt_max": s.segs.max(s.dt)}


def _path_and_speed(s: _Steps) -> dict[str, np.ndarray]:
    """Path length, straightness and the time-weighted speed statistics."""
    segs, dt, v = s.segs, s.dt, s.v
    speed_mean = _ratio(segs.sum(v * dt), s.duration, 0.0)
    dev = v - np.repeat(speed_mean, s.lengths)
    dev *= dev
    dev *= dt
    speed_max = segs.max(v)
    return {
        "path_length": s.path_length, "net_distance": s.net,
        "straightness": np.clip(_ratio(s.net, s.path_length, 1.0), 0.0, 1.0),
        "speed_mean": speed_mean, "speed_max": speed_max,
        "speed_std": np.sqrt(_ratio(segs.sum(dev), s.duration, 0.0)),
        "speed_peak_ratio": _ratio(speed_max, speed_mean, 1.0),
    }


def _acceleration_and_jerk(s: _Steps, p: int) -> dict[str, np.ndarray]:
    """Mean and extreme acceleration and jerk from successive step speeds (per point)."""
    segs, dt, v, untimed = s.segs, s.dt, s.v, s.untimed
    # acc[j] joins the speeds of steps j and j+1; jerk[j] joins acc[j] and acc[j+1].
    # Entries that are not defined stay 0: neutral for the sums and clipped maxima.
    # acc[j] is undefined where step j or j+1 is untimed, jerk[j] where acc[j] or acc[j+1] is.
    bad_acc = np.concatenate([untimed, untimed[untimed > 0] - 1])
    bad_jerk = np.concatenate([bad_acc, bad_acc[bad_acc > 0] - 1])
    acc = np.zeros(p)
    acc_span = np.zeros(p)
    jerk = np.zeros(p)
    jerk_span = np.zeros(p)
    if p >= 2:
        np.add(dt[:-1], dt[1:], out=acc_span[:-1])
        acc_span *= 0.5
        np.subtract(v[1:], v[:-1], out=acc[:-1])
    acc_span[bad_acc] = 0.0
    acc[bad_acc] = 0.0
    abs_dv = np.abs(acc)
    safe = acc_span.copy()
    safe[bad_acc] = 1.0
    acc /= safe
    if p >= 3:
        np.add(acc_span[:-2], acc_span[1:-1], out=jerk_span[:-2])
        jerk_span *= 0.5
        np.subtract(acc[1:-1], acc[:-2], out=jerk[:-2])
    jerk_span[bad_jerk] = 0.0
    jerk[bad_jerk] = 0.0
    abs_da = np.abs(jerk, out=jerk)
    safe = jerk_span.copy()
    safe[bad_jerk] = 1.0
    jerk = abs_da / safe  # |jerk|
    return {
        "accel_mean_abs": _ratio(segs.sum(abs_dv), segs.sum(acc_span), 0.0), "accel_max": segs.max(acc),
        "decel_max": 0.0 - segs.min(acc), "jerk_mean_abs": _ratio(segs.sum(abs_da), segs.sum(jerk_span), 0.0),
        "jerk_max_abs": segs.max(jerk),
    }


def _speed_peaks(s: _Steps, t: np.ndarray, peak_fraction: float) -> dict[str, np.ndarray]:
    """Sub-movement peaks of the smoothed speed, and when the highest one comes."""
    n, lengths, v = s.n, s.lengths, s.v
    # The speed signal of a movement is the sequence of its timed steps. When the
    # only untimed steps are the dummies (the usual case) the per-point arrays are
    # used in place, the dummies acting as zero-valued holes between movements;
    # otherwise the timed steps are gathered into their own CSR arrays.
    in_place = len(s.untimed) == len(s.last)
    if in_place:
        sig, sig_seg, sig_count, sig_segs, to_step = v, s.seg, lengths, s.segs, None
        multi = lengths[s.nonempty] > 1
        sig_first, sig_last, holes = s.first[multi], s.last[multi] - 1, s.last
    else:
        to_step = np.flatnonzero(s.timed)
        sig, sig_seg = v[to_step], s.seg[to_step]
        sig_count = np.bincount(sig_seg, minlength=n)
        sig_segs = _Segments(np.concatenate([[0], np.cumsum(sig_count)]))
        sig_first = sig_segs.starts
        sig_last = sig_first + sig_count[sig_segs.nonempty] - 1
        holes = np.zeros(0, dtype=np.int64)
    k = len(sig)
    # neighbours within the movement, 0 (and not counted) past its ends
    before = np.empty(k)
    after = np.empty(k)
    if k:
        before[0] = after[-1] = 0.0
        before[1:] = sig[:-1]
        after[:-1] = sig[1:]
    before[sig_first] = 0.0
    after[sig_last] = 0.0
    smooth = 2.0 * sig
    smooth += before
    smooth += after
    weight = np.full(k, 4.0)
    weight[sig_first] -= 1.0
    weight[sig_last] -= 1.0
    smooth /= weight
    smooth[holes] = 0.0
    smooth_peak = sig_segs.max(smooth)
    peak_level = np.repeat(smooth_peak, sig_count)
    # a rise must beat rounding noise: PEAK_TOLERANCE of the movement's peak
    tol = PEAK_TOLERANCE * peak_level
    rises = np.ones(k, dtype=bool)
    falls = np.ones(k, dtype=bool)
    if k > 1:
        up = (smooth[1:] - smooth[:-1]) > tol[1:]  # same tolerance on both sides inside a movement
        rises[1:] = up
        np.logical_not(up, out=falls[:-1])
    rises[sig_first] = True
    falls[sig_last] = True
    is_peak = rises & falls & (smooth > 0) & (smooth >= peak_fraction * peak_level)
    n_speed_peaks = np.bincount(sig_seg[is_peak], minlength=n).astype(np.int64)

    at_peak = np.flatnonzero(smooth == peak_level)  # the first one of each movement is its argmax
    peak_seg = sig_seg[at_peak]
    keep = np.ones(len(at_peak), dtype=bool)
    keep[1:] = peak_seg[1:] != peak_seg[:-1]
    at_peak, peak_seg = at_peak[keep], peak_seg[keep]
    ok = (smooth_peak[peak_seg] > 0) & (s.duration[peak_seg] > 0)
    at_peak, peak_seg = at_peak[ok], peak_seg[ok]
    j = at_peak if to_step is None else to_step[at_peak]
    time_to_peak_speed = np.full(n, 0.5)
    time_to_peak_speed[peak_seg] = np.clip((t[j] - s.t0[peak_seg] + 0.5 * s.dt[j]) / s.duration[peak_seg], 0.0, 1.0)
    return {"n_speed_peaks": n_speed_peaks, "time_to_peak_speed": time_to_peak_speed}


def _heading_and_curvature(s: _Steps) -> dict[str, np.ndarray]:
    """Turning between consecutive non-zero steps: total, mean and per unit of path."""
    n, ds = s.n, s.ds
    # pairs of consecutive non-zero steps; zero-length steps are skipped
    moving = ds > 0  # never a dummy step
    mi = np.flatnonzero(moving)
    mcount = s.segs.sum_count(moving)
    msegs = _Segments(np.concatenate([[0], np.cumsum(mcount)]))
    mfirst = msegs.starts
    mlast = mfirst + mcount[msegs.nonempty] - 1
    mdx, mdy = s.dx[mi], s.dy[mi]
    turn = np.zeros(len(mi))  # turn[k]: between non-zero steps k and k+1
    if len(mi) > 1:
        cross = mdx[:-1] * mdy[1:]
        cross -= mdy[:-1] * mdx[1:]
        dot = mdx[:-1] * mdx[1:]
        dot += mdy[:-1] * mdy[1:]
        np.arctan2(cross, dot, out=turn[:-1])
        np.abs(turn, out=turn)
    turn[mlast] = 0.0  # the pair across a movement boundary
    heading_change_total = msegs.sum(turn)
    n_pairs = np.maximum(mcount - 1, 0)
    # summed pair lengths (|a| + |b|) / 2 = path length - (first + last non-zero step) / 2
    ends = np.zeros(n)
    has_moves = mcount > 0
    ends[has_moves] = ds[mi[mfirst]] + ds[mi[mlast]]
    pair_arc = np.where(n_pairs > 0, s.path_length - 0.5 * ends, 0.0)
    return {"heading_change_total": heading_change_total,
            "heading_change_mean_abs": _ratio(heading_change_total, n_pairs, 0.0),
            "curvature_mean": _ratio(heading_change_total, pair_arc, 0.0)}


def _lateral_and_overshoot(s: _Steps, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Distance from the start-to-end line (RMS over time, max) and how far the path passes the end."""
    lengths, net, segs, dt = s.lengths, s.net, s.segs, s.dt
    ux = _ratio(s.ex, net, 0.0)
    uy = _ratio(s.ey, net, 0.0)
    relx = x - np.repeat(s.x0, lengths)
    rely = y - np.repeat(s.y0, lengths)
    ux_p = np.repeat(ux, lengths)
    uy_p = np.repeat(uy, lengths)
    along = relx * ux_p
    along += rely * uy_p
    lateral = ux_p * rely
    lateral -= uy_p * relx
    np.abs(lateral, out=lateral)
    degenerate = s.nonempty & (net == 0)
    if degenerate.any():  # no start->end line: distance from the start
        on = np.repeat(degenerate, lengths)
        lateral[on] = np.hypot(relx[on], rely[on])
    lat2 = lateral * lateral
    weight = dt.copy()  # trapezoid weights (dt[j-1] + dt[j]) / 2; dummy steps are 0
    weight[1:] += dt[:-1]
    weight *= 0.5
    weight *= lat2
    lateral_ms = np.where(
        s.duration > 0, _ratio(segs.sum(weight), s.duration, 0.0), _ratio(segs.sum(lat2), lengths, 0.0)
    )
    lateral_rms = np.sqrt(lateral_ms)
    lateral_max = segs.max(lateral)
    overshoot = np.maximum(segs.max(along) - net, 0.0)
    overshoot[degenerate] = 0.0
    return {"lateral_rms": lateral_rms, "lateral_max": lateral_max,
            "lateral_rms_rel": _ratio(lateral_rms, net, 0.0), "lateral_max_rel": _ratio(lateral_max, net, 0.0),
            "overshoot": overshoot, "overshoot_rel": _ratio(overshoot, net, 0.0)}


def _end_slowdown(s: _Steps, t: np.ndarray, speed_mean: np.ndarray) -> dict[str, np.ndarray]:
    """Mean speed over the last END_FRACTION of the time, relative to the whole movement's."""
    # time each step spends after the cut at (1 - END_FRACTION) * duration
    in_window = t - np.repeat(s.t0 + (1.0 - END_FRACTION) * s.duration, s.lengths)
    in_window += s.dt
    np.maximum(in_window, 0.0, out=in_window)
    np.minimum(in_window, s.dt, out=in_window)
    in_window *= s.v  # distance covered after the cut (constant speed within a step)
    end_speed = _ratio(s.segs.sum(in_window), END_FRACTION * s.duration, 0.0)
    return {"end_slowdown": _ratio(end_speed, speed_mean, 1.0)}


def _pauses(s: _Steps, pause_speed: float, pause_min_s: float) -> dict[str, np.ndarray]:
    """Runs of slow steps that last at least ``pause_min_s``: how many, and their share of the time."""
    n, dt = s.n, s.dt
    slow = s.ds <= pause_speed * dt
    slow[s.last] = False
    slow_idx = np.flatnonzero(slow)
    run_start = np.ones(len(slow_idx), dtype=bool)
    run_start[1:] = slow_idx[1:] != slow_idx[:-1] + 1  # runs never cross a dummy step
    run_id = np.cumsum(run_start) - 1
    run_time = np.bincount(run_id, weights=dt[slow_idx], minlength=int(run_start.sum()))
    is_pause = run_time >= pause_min_s - 1e-9
    pause_seg = s.seg[slow_idx[run_start]][is_pause]
    pause_time = np.bincount(pause_seg, weights=run_time[is_pause], minlength=n)
    return {"pause_count": np.bincount(pause_seg, minlength=n).astype(np.int64),
            "pause_time_frac": np.clip(_ratio(pause_time, s.duration, 0.0), 0.0, 1.0)}
