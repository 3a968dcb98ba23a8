"""The logger as a replaceable part: re-record movements with the timing process of a reference.

A recorded movement is a hand (a path and its speed) seen through a logger
(the device, driver and software that sample it). Generators are good at the
hand and poor at a particular logger's clock: a browser fires ``mousemove`` on
display frames (about 16-17 ms at 60 Hz, with split frames and whole
milliseconds), and only when the pointer has moved by a pixel. A generator
that smears this discrete process into a continuous one is easy to spot by its
timing alone, whatever its hand.

:class:`ReferenceLogger` re-records a movement the way the reference's logger
would have:

1. **Clock.** Tick intervals are read, in their recorded order, from the
   reference's own interval sequences (runs of consecutive intervals of its
   movements, pauses left out: intervals of at least ``pause_factor`` x the
   median are the hand standing still, not the clock). Each movement starts at
   a random place in that pool (seeded), so ticks keep the reference's split
   frames, jitter and resolution.
2. **Hand.** The movement's own points, linearly interpolated in time;
   across a long interval of the movement (a pause: at least ``pause_factor``
   x its median interval) the position is held and then moves within the
   last clock tick of the gap, as a still hand does.
3. **Events.** At each tick the position is rounded to the reference's pixel
   grid (when the reference records whole pixels); a tick whose position is
   unchanged records nothing (event-driven logging), so slow parts turn into
   longer intervals. The first tick (time 0) and the first tick at or after the
   movement's end (the click) are always recorded, at the movement's exact
   start and end points (targets are kept exactly, rounded or not).

The logger is fitted from any reference :class:`~deval.trajectories.Trajectories`
(``--timing like`` takes the ``--like`` file) and stored as JSON next to a
model (:meth:`ReferenceLogger.to_dict`), so a shipped model carries the logger
of its training data. Everything is vectorised over the flat arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deval.errors import DataError
from deval.features.shape import _Ragged, all_whole
from deval.trajectories import Trajectories

__all__ = ["ReferenceLogger", "TIMING_MODES"]

#: ``--timing`` values: the generator's own timestamps, or a logger fitted on the --like file / stored with a model
TIMING_MODES = ("own", "like", "model")


@dataclass(frozen=True)
class ReferenceLogger:
    """A logger fitted on reference recordings (see the module docs).

    Attributes
    ----------
    intervals : ndarray, float64, (K,)
        The clock runs: tick intervals in seconds of the reference movements,
        concatenated in recorded order (pauses left out).
    offsets : ndarray, int64, (R+1,)
        Run ``r`` is ``intervals[offsets[r]:offsets[r+1]]`` (one reference movement).
    pixel_grid : bool
        The reference records whole pixels: positions are rounded at each tick.
    pause_factor : float
        Intervals of at least this many times the median count as pauses (in the
        reference: left out of the clock; in a movement: the hand holds still).
    """

    intervals: np.ndarray
    offsets: np.ndarray
    pixel_grid: bool = True
    pause_factor: float = 2.5

    @classmethod
    def fit(cls, reference: Trajectories, *, max_runs: int | None = None, pause_factor: float = 2.5,
            seed: int = 0) -> "ReferenceLogger":
        """The logger of ``reference``: the clock run of each movement (at most ``max_runs`` movements,
        drawn with ``seed``) and its pixel grid."""
        if len(reference) == 0 or reference.n_points < 2:
            raise DataError(None, "the reference for the logger has no movements with time steps")
        if max_runs is not None and len(reference) > max_runs:
            reference = reference.subsample(max_runs, seed=seed)
        seg = np.repeat(np.arange(len(reference)), reference.lengths)
        dt = np.diff(reference.t)
        inner = seg[1:] == seg[:-1]
        dt, dseg = dt[inner], seg[1:][inner]
        if dt.size == 0 or not np.all(np.isfinite(dt)):
            raise DataError(None, "the reference for the logger has no finite time steps")
        med = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 0.0
        if med <= 0:
            raise DataError(None, "the reference for the logger has no positive time steps")
        clock = (dt > 0) & (dt < pause_factor * med)
        counts = np.bincount(dseg[clock], minlength=len(reference))
        counts = counts[counts > 0]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        grid = all_whole(reference.x, 1e-6) and all_whole(reference.y, 1e-6)
        return cls(np.ascontiguousarray(dt[clock], dtype=np.float64), offsets, bool(grid), float(pause_factor))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        """JSON-ready form (intervals in whole microseconds)."""
        return {"kind": "reference-logger", "intervals_us": [int(v) for v in np.round(self.intervals * 1e6)],
                "offsets": [int(v) for v in self.offsets], "pixel_grid": self.pixel_grid,
                "pause_factor": self.pause_factor}

    @classmethod
    def from_dict(cls, d: dict) -> "ReferenceLogger":
        """Inverse of :meth:`to_dict`; raises :class:`DataError` on a malformed record."""
        try:
            if d.get("kind") != "reference-logger":
                raise ValueError("not a reference-logger record")
            iv = np.asarray(d["intervals_us"], dtype=np.float64) * 1e-6
            off = np.asarray(d["offsets"], dtype=np.int64)
            if iv.ndim != 1 or iv.size == 0 or not np.all(np.isfinite(iv)) or np.any(iv <= 0):
                raise ValueError("intervals must be a non-empty list of positive numbers")
            if off.ndim != 1 or len(off) < 2 or off[0] != 0 or off[-1] != len(iv) or np.any(np.diff(off) <= 0):
                raise ValueError("offsets must rise strictly from 0 to the number of intervals")
            return cls(iv, off, bool(d["pixel_grid"]), float(d["pause_factor"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(None, f"malformed logger record: {exc}") from None

    @property
    def median_interval(self) -> float:
        """Median tick interval, seconds."""
        return float(np.median(self.intervals))

    def _ticks(self, dur: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Tick times (flat) and their movement ids: for each movement one reference run (of a span at least
        its duration where there is one), cycled until the first tick at or after the duration."""
        off = self.offsets
        runs = len(off) - 1
        cum = np.concatenate([[0.0], np.cumsum(self.intervals)])
        span = cum[off[1:]] - cum[off[:-1]]
        by_span = np.argsort(span, kind="stable")
        lo = np.searchsorted(span[by_span], dur, side="left")
        lo = np.where(lo >= runs, 0, lo)                      # no run is long enough: any run, cycled
        run = by_span[lo + (rng.random(len(dur)) * (runs - lo)).astype(np.int64)]
        m = off[1:][run] - off[:-1][run]
        S = span[run]
        cycles = np.floor(dur / S)
        rem = dur - cycles * S
        # within the last cycle: first k with cum_j[k] >= rem (k = 0 when rem == 0)
        k = np.searchsorted(cum, cum[off[:-1][run]] + rem - 1e-12, side="left") - off[:-1][run]
        k = np.clip(k, 0, m)
        n_ticks = (cycles.astype(np.int64) * m + k + 1)
        mid = np.repeat(np.arange(len(dur)), n_ticks)
        first = np.concatenate([[0], np.cumsum(n_ticks)[:-1]])
        q = np.arange(int(n_ticks.sum())) - first[mid]      # tick number, 0 = the start
        cyc, pos = np.divmod(np.maximum(q - 1, 0), m[mid])
        base = off[:-1][run][mid]
        t = np.where(q == 0, 0.0, cyc * S[mid] + cum[base + pos + 1] - cum[base])
        return t, mid

    # ----------------------------------------------------------------- apply
    def _hand(self, traj: Trajectories) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Points of the hand with hold points inserted before long intervals: (x, y, t, movement id)."""
        n = len(traj)
        seg = np.repeat(np.arange(n), traj.lengths)
        dt = np.diff(traj.t)
        inner = seg[1:] == seg[:-1]
        pos_dt = np.where(inner & (dt > 0), dt, np.nan)
        # median interval of each movement (over its positive steps)
        ok = np.isfinite(pos_dt)
        med = _Ragged(seg[1:][ok], n).quantiles(pos_dt[ok], (0.5,), fill=np.nan)[0]
        long = ok & (pos_dt >= self.pause_factor * med[seg[1:]])
        k = np.flatnonzero(long)                 # step k joins point k -> k+1
        hold_t = traj.t[k + 1] - np.minimum(self.median_interval, 0.5 * dt[k])
        x = np.insert(traj.x, k + 1, traj.x[k])
        y = np.insert(traj.y, k + 1, traj.y[k])
        t = np.insert(traj.t, k + 1, hold_t)
        s = np.insert(seg, k + 1, seg[k])
        return x, y, t, s

    def relog(self, traj: Trajectories, seed: int | np.random.Generator | None = 0) -> Trajectories:
        """``traj`` re-recorded by this logger (metadata kept; times from 0; see the module docs).

        Parameters
        ----------
        traj : Trajectories
            Pointing movements in pixels and seconds, at least 2 points each (a movement of zero
            duration is given one clock tick).
        seed : int or Generator
            Where each movement starts reading the clock.
        """
        n = len(traj)
        if n == 0:
            return traj
        if np.any(traj.lengths < 2):
            raise DataError(None, "movements to re-log need at least 2 points each")
        if traj.press is not None:
            raise DataError(None, "movements with a press channel (action sequences) cannot be re-logged")
        rng = np.random.default_rng(seed)
        dur = np.maximum(traj.durations, float(self.intervals.min()))
        tick_t, mid = self._ticks(dur, rng)
        n_ticks = np.bincount(mid, minlength=n)
        first = np.concatenate([[0], np.cumsum(n_ticks)[:-1]])
        # hand position at each tick: one global interpolation over (movement, time)
        hx, hy, ht, hs = self._hand(traj)
        span = float(max(dur.max(), tick_t.max())) + 1.0
        gkey = hs * span + ht
        qkey = mid * span + np.minimum(tick_t, dur[mid])
        px, py = np.interp(qkey, gkey, hx), np.interp(qkey, gkey, hy)
        last = np.zeros(len(mid), dtype=bool)
        last[first + n_ticks - 1] = True
        if self.pixel_grid:
            px, py = np.round(px), np.round(py)
        # the first point and the click are exactly the movement's own start and end
        px[first], py[first] = traj.x[traj.offsets[:-1]], traj.y[traj.offsets[:-1]]
        end_idx = traj.offsets[1:] - 1
        px[last], py[last] = traj.x[end_idx], traj.y[end_idx]
        moved = np.ones(len(mid), dtype=bool)
        moved[1:] = (px[1:] != px[:-1]) | (py[1:] != py[:-1])
        moved[first] = True
        moved[last] = True
        keep = np.flatnonzero(moved)
        counts = np.bincount(mid[keep], minlength=n)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        t = tick_t[keep]
        if all_whole(self.intervals * 1e3, 1e-6):
            t = np.round(t * 1e3) / 1e3
        return Trajectories(px[keep], py[keep], t, offsets, None, traj.meta, traj.attrs)
