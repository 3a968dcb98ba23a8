"""Fitting a logger to a reference recording: what kind it is, and its clock, grids and preprocessing.

:func:`fit_logger` reads, from the recordings alone:

* the **position grid**: the coarsest of whole, half, third, quarter... pixels
  on which (almost) every point lies within 1e-3 px, so float round-off
  (positions scaled and unscaled in float32) still reads as whole pixels;
  else sub-pixel, with float32 round-off when the values are float32 numbers;
* the **stamp grid**: the coarsest of 15.6 ms, 10, 4, 1, 0.1 ms on which the
  time steps lie (within 2 us);
* **still samples**: the share of zero-length steps inside movements. A logger
  that records them is a poll; an event logger records changes only;
* **preprocessing**: intervals clipped to a range (a mass of steps sits
  exactly at the largest and/or smallest interval, no pauses beyond), every
  movement resampled to one length, movements truncated at a length;
* the **clock kind** from the above and the intervals: a poll (stills), sparse
  remote-desktop sampling (median interval >= 30 ms), display-frame events
  (10-30 ms), event-driven, high-rate events (median <= 2.5 ms).

The fitted logger's clock is an :class:`~deval.loggers.clocks.EmpiricalClock`
that replays the reference's own interval runs (pauses of the hand left out),
so split frames, jitter and dropped samples are kept; the kind decides whether
still samples are recorded. When the reference's clock is regular it
re-records with ``snap`` (see :class:`~deval.loggers.logger.Logger`): a new
sample close to a recorded one keeps the recorded position. A reference whose kind cannot be recognised gets
the plain empirical clock and a warning.
(Measured alternatives, ``benchmarks/RESULTS.md``: splitting an event logger's
multi-frame intervals back into frames read worse.)
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from deval.errors import DataError
from deval.features.shape import _Ragged
from deval.loggers.clocks import EmpiricalClock
from deval.loggers.grids import PositionGrid, StampGrid
from deval.loggers.logger import Logger
from deval.loggers.preprocessing import ClipIntervals, Resample, Truncate
from deval.trajectories import Trajectories

__all__ = ["fit_logger", "describe_logger", "MIN_MOVEMENTS", "position_grid", "stamp_grid", "LoggerFitWarning"]

log = logging.getLogger(__name__)

#: A reference with fewer movements than this cannot be fitted.
MIN_MOVEMENTS = 50
#: Candidate position grid steps [px], coarsest first (whole px, HiDPI 2x, 1.5x, 3x, 4x, 1.25x).
GRID_STEPS = (1.0, 0.5, 2.0 / 3.0, 1.0 / 3.0, 0.25, 0.8)
#: Candidate stamp resolutions [s], coarsest first.
STAMP_RESOLUTIONS = (1.0 / 64.0, 0.010, 0.004, 0.001, 0.0001)
POSITION_TOL = 1e-3  # px
STAMP_TOL = 2e-6  # s
STILLS_SHARE = 0.02  # share of zero-length inner steps above which the logger records stills
#: A fitted logger's snap (:class:`~deval.loggers.logger.Logger`): the fraction of an interval within which a
#: re-recorded sample keeps a recorded one's position (chosen with benchmarks/bench_logger_fidelity.py)
SNAP = 0.5
#: ... used when the reference's clock is regular: the interquartile range of its intervals is at most this share
#: of the median. Against a jittered clock the new samples drift from the recorded ones and snapping adds noise.
REGULAR_SPREAD = 0.1


class LoggerFitWarning(UserWarning):
    """The kind of a reference's logger could not be recognised; an empirical clock is used."""


def _off_grid(v: np.ndarray, step: float) -> np.ndarray:
    """Distance of every value to the nearest multiple of ``step``."""
    return np.abs(v / step - np.round(v / step)) * step


def _on_grid(v: np.ndarray, step: float, tol: float) -> np.ndarray:
    return _off_grid(v, step) <= tol


def position_grid(x: np.ndarray, y: np.ndarray, share: float = 0.99) -> PositionGrid:
    """The coarsest grid of :data:`GRID_STEPS` on which at least ``share`` of the points lie (within 1e-3 px)."""
    for step in GRID_STEPS:
        off = _off_grid(x, step)
        if np.mean((off <= POSITION_TOL) & _on_grid(y, step, POSITION_TOL)) >= share:
            return PositionGrid(step, bool(np.mean(off > 1e-9) >= 0.1))   # on the grid up to float round-off
    f32 = np.mean((x.astype(np.float32) == x) & (y.astype(np.float32) == y)) >= share
    return PositionGrid(0.0, bool(f32))


def stamp_grid(dt: np.ndarray, share: float = 0.99) -> StampGrid:
    """The coarsest resolution of :data:`STAMP_RESOLUTIONS` that at least ``share`` of the steps ``dt`` [s] are
    multiples of (within 2 us); 0 (exact) when none is."""
    for res in STAMP_RESOLUTIONS:
        if np.mean(_on_grid(dt, res, STAMP_TOL)) >= share:
            return StampGrid(res)
    return StampGrid(0.0)


def _clip_step(dt: np.ndarray, med: float, res: float) -> ClipIntervals | None:
    """Intervals clipped by a pipeline: a mass sits at the extreme value(s) and no interval is far beyond."""
    tol = max(STAMP_TOL, 0.01 * res)
    values, counts = np.unique(np.round(dt / tol) * tol, return_counts=True)
    if len(values) < 3 or values[-1] - values[0] <= 2 * max(res, 1e-4):   # a metronome, not a clip
        return None
    share = counts / counts.sum()
    # a pile-up: more steps at the extreme than at the value next to it (a clipped tail collapses onto it)
    at_hi = share[-1] >= 0.02 and counts[-1] > counts[-2] and values[-1] <= 3.0 * med
    at_lo = at_hi and share[0] >= 0.02 and counts[0] > counts[1] and values[0] >= 0.5 * med
    if not at_hi:
        return None
    return ClipIntervals(float(values[0]) if at_lo else tol, float(values[-1]))


def _runs(dt: np.ndarray, dseg: np.ndarray, keep: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(dseg[keep], minlength=n)
    counts = counts[counts > 0]
    return np.ascontiguousarray(dt[keep], dtype=np.float64), np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def fit_logger(reference: Trajectories, *, max_runs: int | None = 20000, pause_factor: float = 2.5,
               seed: int = 0, source: str | None = None) -> Logger:
    """The logger of ``reference`` (see the module docs); ``describe()`` says what was found.

    Parameters
    ----------
    reference : Trajectories
        At least :data:`MIN_MOVEMENTS` recorded movements.
    max_runs : int or None
        Keep at most this many movements' interval runs (drawn with ``seed``).
    pause_factor : float
        Intervals of at least this many times the median are pauses of the hand, not the clock (left out).
    seed : int
    source : str, optional
        The file the reference came from, for error messages.

    Raises
    ------
    DataError
        Fewer than :data:`MIN_MOVEMENTS` movements, or no positive finite time steps.
    """
    n = len(reference)
    if n < MIN_MOVEMENTS:
        raise DataError(source, f"{n} movements are too few to fit a logger (at least {MIN_MOVEMENTS} needed)")
    if max_runs is not None and n > max_runs:
        reference = reference.subsample(max_runs, seed=seed)
        n = len(reference)
    seg = reference.segment_ids
    inner = seg[1:] == seg[:-1]
    dt, dseg = np.diff(reference.t)[inner], seg[1:][inner]
    ok = np.isfinite(dt) & (dt > 0)
    if not ok.any():
        raise DataError(source, "the reference has no positive finite time steps to fit a logger on")
    dt, dseg = dt[ok], dseg[ok]
    moved = np.hypot(np.diff(reference.x), np.diff(reference.y))[inner][ok]
    not_last = np.r_[dseg[1:] == dseg[:-1], False]          # the step into the click is not a sample of motion
    still_share = float(np.mean(moved[not_last] <= POSITION_TOL)) if not_last.any() else 0.0
    med = float(np.median(dt))
    positions = position_grid(reference.x, reference.y)
    stamps = stamp_grid(dt)
    steps = _preprocessing(reference.lengths, dt, dseg, med, stamps.resolution)
    stills = still_share >= STILLS_SHARE
    label, recognised = _kind(dt, med, stills, steps)
    if not recognised:
        warnings.warn(f"{source + ': ' if source else ''}the logger's kind could not be recognised "
                      f"(median interval {med * 1e3:.1f} ms, intervals spread widely); its intervals are replayed "
                      "as recorded (an empirical clock)", LoggerFitWarning, stacklevel=2)
    factor = pause_factor if label != "sparse remote-desktop sampling" else 2.0 * pause_factor
    intervals, offsets = _runs(dt, dseg, dt < factor * med, n)
    clock = EmpiricalClock(intervals, offsets, stills, label)
    q25, q75 = np.quantile(intervals, [0.25, 0.75])
    regular = (q75 - q25) / med <= REGULAR_SPREAD
    fitted = Logger(clock, stamps, positions, steps, name=label, snap=SNAP if regular else 0.0)
    log.info("logger fitted on %d movements: %s", n, fitted.describe())
    return fitted


def _preprocessing(lengths: np.ndarray, dt: np.ndarray, dseg: np.ndarray, med: float, res: float) -> tuple:
    """The steps a pipeline applied, read from the movements' lengths and their time steps ``dt`` (of
    movements ``dseg``)."""
    values, counts = np.unique(lengths, return_counts=True)
    top = values[np.argmax(counts)]
    if counts.max() >= 0.95 * len(lengths):
        # one length for (nearly) all: resampled, when the steps inside a movement are even
        mean = _Ragged(dseg, len(lengths)).mean(dt)
        if np.median(np.abs(dt - mean[dseg]) / np.maximum(mean[dseg], 1e-12)) < 0.01:
            return (Resample(int(top)),)
    longest = int(values[-1])
    if len(values) > 3 and np.mean(lengths == longest) >= 0.05:
        steps: tuple = (Truncate(longest),)
    else:
        steps = ()
    clip = _clip_step(dt, med, res)
    return ((clip,) if clip is not None else ()) + steps


def _kind(dt: np.ndarray, med: float, stills: bool, steps: tuple) -> tuple[str, bool]:
    """(label, recognised) of the clock."""
    if any(isinstance(s, Resample) for s in steps):
        return "resampled to a fixed length", True
    if stills:
        return "fixed-rate poll", True
    q25, q75 = np.quantile(dt, [0.25, 0.75])
    if med >= 0.03:
        return "sparse remote-desktop sampling", True
    if med <= 0.0025:
        return "high-rate events", True
    if 0.004 <= med < 0.03:
        # periodic: most intervals sit near one period or a whole number of periods; device report rates
        # (125, 250 Hz) are event-driven mice, other rates display frames
        k = np.round(dt / med)
        near = np.mean(np.abs(dt - k * med) <= 0.25 * med)
        if near >= 0.7:
            device = any(abs(1.0 / med - r) <= 0.04 * r for r in (125.0, 250.0))
            return ("event-driven" if device else "display-frame events"), True
    if (q75 - q25) / med <= 1.0:
        return "event-driven", True
    return "empirical", False


def describe_logger(traj: Trajectories) -> str:
    """The logger of ``traj`` in words, or why it cannot be fitted (too few movements, a press channel)."""
    if traj.press is not None:
        return "not fitted (action sequences with a press channel)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LoggerFitWarning)
            return fit_logger(traj, max_runs=5000).describe()
    except DataError as exc:
        return f"not fitted ({exc.problem})"
