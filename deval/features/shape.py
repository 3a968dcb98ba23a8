"""Distribution-shape and sequence features: what summaries such as a mean and a standard deviation miss.

The kinematic features (:mod:`deval.features.kinematic`) summarise each
channel by its mean, spread and extremes. Two movements can agree on all of
them and still come from different processes: a logger that fires on a
display frame (intervals locked to 16-17 ms, split frames at 6-9 ms, whole
milliseconds) against a continuous clock with the same mean and spread; a path
whose step lengths or turns alternate against one whose changes are smooth.
The features here describe, per movement,

* the *shape* of the interval and step-length distributions (quantiles and
  shares in bins, both relative to the movement's own median, so that they do
  not depend on the sampling rate),
* their *order* (lag-1 autocorrelation of the intervals, step lengths,
  speeds and turns; how often a turn or an acceleration flips sign; repeated
  intervals),
* the *quantisation* of what a logger records (whole milliseconds, whole
  pixels, repeated timestamps).

Time steps are rounded to whole microseconds first, so that the float noise of
how a file stores its times (``t = ms / 1000``) cannot separate two sets.

Compute them on the movements **as recorded**, before
:func:`deval.canonical.canonicalize`: everything but ``whole_px_share`` is
invariant to translation and rotation, and ``whole_px_share`` is about the
recorded pixel grid, which a rotation destroys.

All reductions are vectorised over the flat CSR arrays (sorting by movement
then value for quantiles, :func:`numpy.bincount` for sums): no Python loop over
movements. Every value is finite for finite input; a statistic over an empty
set takes the neutral value given in :data:`SHAPE_DOCS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deval.features.kinematic import _ratio, check_trajectories
from deval.trajectories import Trajectories

#: Intervals (s) or coordinates (px) within this of a whole millisecond / pixel count as whole.
WHOLE_TOL_MS = 1e-3
WHOLE_TOL_PX = 1e-3
#: Bin edges of the interval shares, relative to the movement's median interval.
DT_REL_EDGES = (0.5, 0.8, 1.2, 1.8, 3.0)

_DT_BIN_NAMES = ("dt_rel_lt050", "dt_rel_050_080", "dt_rel_080_120", "dt_rel_120_180", "dt_rel_180_300",
                 "dt_rel_ge300")

#: Feature name -> "description [unit]", in column order. Neutral values: quantile ratios 1, shares and
#: autocorrelations 0.
SHAPE_DOCS: dict[str, str] = {
    # timing shape
    "dt_median": "median time step [s]",
    "dt_q10_rel": "10th percentile of the time steps / their median (1 when the median is 0) [-]",
    "dt_q25_rel": "25th percentile of the time steps / their median [-]",
    "dt_q75_rel": "75th percentile of the time steps / their median [-]",
    "dt_q90_rel": "90th percentile of the time steps / their median [-]",
    "dt_rel_lt050": "share of time steps shorter than 0.5 x the median (split frames) [-]",
    "dt_rel_050_080": "share of time steps in [0.5, 0.8) x the median [-]",
    "dt_rel_080_120": "share of time steps in [0.8, 1.2) x the median (the mode) [-]",
    "dt_rel_120_180": "share of time steps in [1.2, 1.8) x the median [-]",
    "dt_rel_180_300": "share of time steps in [1.8, 3.0) x the median (dropped frames) [-]",
    "dt_rel_ge300": "share of time steps of at least 3 x the median (pauses) [-]",
    "dt_repeat_share": "share of time steps equal (within 1 us) to the step before [-]",
    "dt_distinct_share": "distinct time steps (to 1 us) / steps [-]",
    "dt_lag1_autocorr": "lag-1 autocorrelation of the time steps (0 when they are constant) [-]",
    "dt_sum3_var_ratio": "variance of the sums of 3 consecutive time steps / (3 x the variance of the time "
                         "steps): about 1 for independent steps, well below 1 for a clock whose jitter does not "
                         "accumulate (a frame clock rounded to ms); 1 when undefined [-]",
    "dt_step_corr": "correlation of the time steps with the step lengths within the movement (how the "
                    "logger's intervals go with the hand's motion; 0 when either is constant) [-]",
    # quantisation
    "whole_ms_share": "share of time steps that are whole milliseconds (within 1 us) [-]",
    "dt_zero_share": "share of time steps of zero (repeated timestamps) [-]",
    "whole_px_share": "share of points with whole-pixel x and y (within 0.001 px; as recorded) [-]",
    # motion shape
    "step_q10_rel": "10th percentile of the step lengths / their median (1 when the median is 0) [-]",
    "step_q90_rel": "90th percentile of the step lengths / their median [-]",
    "step_zero_share": "share of steps of zero length [-]",
    "step_lag1_autocorr": "lag-1 autocorrelation of the step lengths [-]",
    "speed_lag1_autocorr": "lag-1 autocorrelation of the step speeds ds/dt over timed steps [-]",
    "turn_q50_abs": "median absolute change of direction between consecutive non-zero steps [rad]",
    "turn_q90_abs": "90th percentile of the absolute changes of direction [rad]",
    "turn_lag1_autocorr": "lag-1 autocorrelation of the signed changes of direction [-]",
    "turn_sign_flip_share": "share of consecutive non-zero turns that change sign (zig-zag, tremor) [-]",
    "accel_sign_flip_share": "share of consecutive speed changes that change sign (speed jitter) [-]",
}

#: Feature groups -> names.
SHAPE_GROUPS: dict[str, list[str]] = {
    "timing_shape": ["dt_median", "dt_q10_rel", "dt_q25_rel", "dt_q75_rel", "dt_q90_rel", *_DT_BIN_NAMES,
                     "dt_repeat_share", "dt_distinct_share", "dt_lag1_autocorr", "dt_sum3_var_ratio", "dt_step_corr"],
    "quantisation": ["whole_ms_share", "dt_zero_share", "whole_px_share"],
    "motion_shape": ["step_q10_rel", "step_q90_rel", "step_zero_share", "step_lag1_autocorr",
                     "speed_lag1_autocorr", "turn_q50_abs", "turn_q90_abs", "turn_lag1_autocorr",
                     "turn_sign_flip_share", "accel_sign_flip_share"],
}


class _Ragged:
    """Per-segment statistics of a flat array with integer segment ids ``seg`` (sorted, 0..n-1)."""

    def __init__(self, seg: np.ndarray, n: int):
        self.seg, self.n = seg, n
        self.count = np.bincount(seg, minlength=n).astype(np.float64)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.seg, weights=values, minlength=self.n)

    def mean(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        return _ratio(self.sum(values), self.count, fill)

    def share(self, flags: np.ndarray) -> np.ndarray:
        return _ratio(self.sum(flags.astype(np.float64)), self.count, 0.0)

    def quantiles(self, values: np.ndarray, qs: tuple[float, ...], fill: float = 0.0) -> list[np.ndarray]:
        """Linear-interpolated quantiles per segment (``fill`` for empty ones)."""
        order = np.lexsort((values, self.seg))
        v = values[order]
        starts = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)
        m = self.count.astype(np.int64)
        has = m > 0
        out = []
        for q in qs:
            pos = q * np.maximum(m - 1, 0)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, np.maximum(m - 1, 0))
            frac = pos - lo
            res = np.full(self.n, fill, dtype=np.float64)
            if v.size:
                a = v[np.minimum(starts + lo, v.size - 1)]
                b = v[np.minimum(starts + hi, v.size - 1)]
                res[has] = (a + (b - a) * frac)[has]
            out.append(res)
        return out

    def lag1_autocorr(self, values: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """Lag-1 autocorrelation per segment over consecutive pairs that are both valid (0 when undefined)."""
        valid = np.ones(values.shape, dtype=bool) if valid is None else valid
        w = valid.astype(np.float64)
        mean = _ratio(np.bincount(self.seg, weights=values * w, minlength=self.n),
                    np.bincount(self.seg, weights=w, minlength=self.n), 0.0)
        c = np.where(valid, values - mean[self.seg], 0.0)
        c0 = np.bincount(self.seg, weights=c * c, minlength=self.n)
        pair = (self.seg[1:] == self.seg[:-1]) & valid[1:] & valid[:-1]
        c1 = np.bincount(self.seg[1:][pair], weights=(c[1:] * c[:-1])[pair], minlength=self.n)
        return np.clip(_ratio(c1, c0, 0.0), -1.0, 1.0)

    def corr(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Pearson correlation of ``a`` and ``b`` per segment (0 when either is constant)."""
        ca = a - self.mean(a)[self.seg]
        cb = b - self.mean(b)[self.seg]
        den = np.sqrt(self.sum(ca * ca) * self.sum(cb * cb))
        return np.clip(_ratio(self.sum(ca * cb), den, 0.0), -1.0, 1.0)

    def flip_share(self, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Share of consecutive valid non-zero pairs whose sign differs."""
        nz = valid & (values != 0)
        pair = (self.seg[1:] == self.seg[:-1]) & nz[1:] & nz[:-1]
        flips = pair & (np.sign(values[1:]) != np.sign(values[:-1]))
        return _ratio(np.bincount(self.seg[1:][flips], minlength=self.n).astype(np.float64),
                    np.bincount(self.seg[1:][pair], minlength=self.n).astype(np.float64), 0.0)


def all_whole(values: np.ndarray, tol: float = 1e-6) -> bool:
    """Every value is a whole number within ``tol`` (and there is at least one): a recording's grid or clock."""
    return bool(values.size) and bool(np.all(_whole(values, tol)))


def _whole(values: np.ndarray, tol: float) -> np.ndarray:
    return np.abs(values - np.round(values)) <= tol


def shape_features(traj: Trajectories) -> pd.DataFrame:
    """Distribution-shape, order and quantisation features of every movement (see the module docs).

    Parameters
    ----------
    traj : Trajectories
        N movements in pixels and seconds, **as recorded** (not canonicalised).

    Returns
    -------
    DataFrame, N rows, columns in :data:`SHAPE_DOCS` order (all float64, finite)
    """
    check_trajectories(traj)
    n = len(traj)
    lengths = traj.lengths
    # steps: differences within a movement (drop the ones that straddle two movements)
    if traj.n_points:
        d = np.stack([np.diff(traj.x), np.diff(traj.y), np.diff(traj.t)], axis=1)
        seg_pts = np.repeat(np.arange(n), lengths)
        keep = seg_pts[1:] == seg_pts[:-1]
        d, seg = d[keep], seg_pts[1:][keep]
    else:
        d, seg = np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
        seg_pts = seg
    steps = _Ragged(seg, n)
    # intervals to whole microseconds: a clock's float noise (t stored as s = ms / 1000) is not a feature
    dx, dy, dt = d[:, 0], d[:, 1], np.maximum(np.round(d[:, 2], 6), 0.0)
    ds = np.hypot(dx, dy)
    out: dict[str, np.ndarray] = {}

    # timing shape
    q10, q25, q50, q75, q90 = steps.quantiles(dt, (0.1, 0.25, 0.5, 0.75, 0.9))
    out["dt_median"] = q50
    for name, q in (("dt_q10_rel", q10), ("dt_q25_rel", q25), ("dt_q75_rel", q75), ("dt_q90_rel", q90)):
        out[name] = _ratio(q, q50, 1.0)
    rel = _ratio(dt, q50[seg], 1.0)
    bins = np.digitize(rel, DT_REL_EDGES)
    for b, name in enumerate(_DT_BIN_NAMES):
        out[name] = steps.share(bins == b)
    same = np.zeros(len(dt), dtype=bool)
    same[1:] = (seg[1:] == seg[:-1]) & (np.abs(dt[1:] - dt[:-1]) <= 1e-6)
    pairs = np.zeros(len(dt), dtype=bool)
    pairs[1:] = seg[1:] == seg[:-1]
    out["dt_repeat_share"] = _ratio(steps.sum(same.astype(np.float64)), steps.sum(pairs.astype(np.float64)), 0.0)
    dt_us = np.round(dt * 1e6).astype(np.int64)
    if dt_us.size:
        order = np.lexsort((dt_us, seg))
        s_seg, s_dt = seg[order], dt_us[order]
        new = np.ones(len(s_dt), dtype=bool)
        new[1:] = (s_seg[1:] != s_seg[:-1]) | (s_dt[1:] != s_dt[:-1])
        distinct = np.bincount(s_seg[new], minlength=n).astype(np.float64)
    else:
        distinct = np.zeros(n)
    out["dt_distinct_share"] = _ratio(distinct, steps.count, 0.0)
    out["dt_lag1_autocorr"] = steps.lag1_autocorr(dt)
    out["dt_step_corr"] = steps.corr(dt, np.hypot(dx, dy))
    w3 = np.zeros(len(dt), dtype=bool)  # windows k, k+1, k+2 inside one movement
    if len(dt) > 2:
        w3[:-2] = (seg[2:] == seg[:-2])
    s3 = dt.copy()
    s3[:-1] += dt[1:]
    s3[:-2] += dt[2:]
    win = _Ragged(seg[w3], n)
    var3 = _ratio(win.sum(s3[w3] ** 2), win.count, 0.0) - win.mean(s3[w3]) ** 2
    var1 = _ratio(steps.sum(dt ** 2), steps.count, 0.0) - steps.mean(dt) ** 2
    out["dt_sum3_var_ratio"] = np.where((win.count >= 2) & (var1 > 1e-14),
                                        _ratio(np.maximum(var3, 0.0), 3 * var1, 1.0), 1.0)

    # quantisation
    out["whole_ms_share"] = steps.share(_whole(dt * 1e3, WHOLE_TOL_MS))
    out["dt_zero_share"] = steps.share(dt <= 0)
    points = _Ragged(seg_pts, n)
    out["whole_px_share"] = points.share(_whole(traj.x, WHOLE_TOL_PX) & _whole(traj.y, WHOLE_TOL_PX))

    # motion shape
    s10, s50, s90 = steps.quantiles(ds, (0.1, 0.5, 0.9))
    out["step_q10_rel"] = _ratio(s10, s50, 1.0)
    out["step_q90_rel"] = _ratio(s90, s50, 1.0)
    out["step_zero_share"] = steps.share(ds <= 0)
    out["step_lag1_autocorr"] = steps.lag1_autocorr(ds)
    timed = dt > 0
    speed = _ratio(ds, dt, 0.0)
    out["speed_lag1_autocorr"] = steps.lag1_autocorr(speed, timed)
    # turns between consecutive non-zero steps of a movement
    moving = ds > 0
    idx = np.flatnonzero(moving)
    heading = np.arctan2(dy[idx], dx[idx])
    tseg = seg[idx]
    tkeep = tseg[1:] == tseg[:-1]
    turn = np.angle(np.exp(1j * (heading[1:] - heading[:-1])))[tkeep]
    turn_seg = tseg[1:][tkeep]
    turns = _Ragged(turn_seg, n)
    t50, t90 = turns.quantiles(np.abs(turn), (0.5, 0.9))
    out["turn_q50_abs"], out["turn_q90_abs"] = t50, t90
    out["turn_lag1_autocorr"] = turns.lag1_autocorr(turn)
    out["turn_sign_flip_share"] = turns.flip_share(turn, np.ones(turn.shape, dtype=bool))
    # speed changes between consecutive timed steps
    tidx = np.flatnonzero(timed)
    sseg = seg[tidx]
    skeep = sseg[1:] == sseg[:-1]
    dv = np.diff(speed[tidx])[skeep]
    out["accel_sign_flip_share"] = _Ragged(sseg[1:][skeep], n).flip_share(dv, np.ones(dv.shape, dtype=bool))

    frame = pd.DataFrame({name: out[name] for name in SHAPE_DOCS})
    return frame.fillna(0.0)
