"""A logger: clock + stamp grid + position grid + preprocessing (see :mod:`deval.loggers`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from deval.errors import ConfigError, DataError
from deval.loggers.clocks import Clock, EmpiricalClock
from deval.loggers.grids import PositionGrid, StampGrid
from deval.loggers.motion import ContinuousMotion
from deval.loggers.preprocessing import Step
from deval.trajectories import Trajectories

__all__ = ["Logger", "Position"]

#: A motion: (movement index (P,), seconds from its start (P,)) -> (x, y) pixels; held at its end after its duration.
Position = Callable[[np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class Logger:
    """One logging process: when samples are taken, how they are written down, what a pipeline does after.

    Parameters
    ----------
    clock : Clock
        When the pointer is read, and whether still samples are recorded (:mod:`deval.loggers.clocks`).
    stamps : StampGrid
        Time stamps (default: whole milliseconds).
    positions : PositionGrid
        Position grid (default: whole pixels).
    steps : tuple of Step
        Preprocessing applied after recording (:mod:`deval.loggers.preprocessing`).
    name : str
        Label in reports and in the ``logger`` metadata column.
    snap : float
        When re-recording (:meth:`relog`), a new sample within ``snap`` x the interval (the new clock's and the
        recording's) of a recorded sample takes that sample's position: at a similar rate the hand's own
        samples are kept, stamped by the new clock, and only samples between them are interpolated (0: off;
        see :class:`ContinuousMotion`).
    """

    clock: Clock
    stamps: StampGrid = field(default_factory=lambda: StampGrid(0.001))
    positions: PositionGrid = field(default_factory=PositionGrid)
    steps: tuple = ()
    name: str = "custom"
    snap: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.snap) <= 0.5:
            raise ConfigError(f"logger snap must be in [0, 0.5] (a fraction of the interval), got {self.snap}")
        if not isinstance(self.clock, Clock):
            raise ConfigError(f"a logger's clock must be a Clock, got {self.clock!r}")
        object.__setattr__(self, "steps", tuple(self.steps))
        if not all(isinstance(s, Step) for s in self.steps):
            raise ConfigError("a logger's steps must be preprocessing Step objects")

    # ---------------------------------------------------------------- words, JSON
    @property
    def kind(self) -> str:
        """The clock's kind (``poll``, ``events``, ``coalesced``, ``sparse``, ``empirical``...)."""
        return self.clock.kind

    def describe(self) -> str:
        """The logger in words, e.g. ``"fixed-rate poll, 125 Hz, records stills; 1 ms stamps; whole px;
        dt clipped to 7-9 ms"``."""
        return "; ".join([self.clock.describe(), self.stamps.describe(), self.positions.describe()]
                         + [s.describe() for s in self.steps])

    def to_dict(self) -> dict:
        """JSON-ready form (:meth:`from_dict` reads it back)."""
        return {"kind": "logger", "name": self.name, "clock": self.clock.to_dict(), "stamps": self.stamps.to_dict(),
                "positions": self.positions.to_dict(), "steps": [s.to_dict() for s in self.steps], "snap": self.snap}

    @classmethod
    def from_dict(cls, d: dict) -> "Logger":
        """Inverse of :meth:`to_dict`; also reads the ``reference-logger`` records of models saved before
        loggers were one package. Raises :class:`DataError` on a malformed record."""
        try:
            if not isinstance(d, dict):
                raise ConfigError("not a JSON object")
            if d.get("kind") == "reference-logger":  # models saved by deval <= 0.x: an empirical event clock
                clock = EmpiricalClock.from_record({**d, "stills": False, "label": "event-driven"})
                ms = bool(np.all(np.abs(clock.intervals * 1e3 - np.round(clock.intervals * 1e3)) < 1e-6))
                return cls(clock, StampGrid(0.001 if ms else 0.0), PositionGrid(1.0 if d["pixel_grid"] else 0.0),
                           name="reference")
            if d.get("kind") != "logger":
                raise ConfigError(f"not a logger record (kind {d.get('kind')!r})")
            return cls(Clock.from_dict(d["clock"]), StampGrid(**d.get("stamps", {})),
                       PositionGrid(**d.get("positions", {})), tuple(Step.from_dict(s) for s in d.get("steps", [])),
                       str(d.get("name", "custom")), float(d.get("snap", 0.0)))
        except (ConfigError, KeyError, TypeError, ValueError) as exc:
            raise DataError(None, f"malformed logger record: {exc}") from None

    @classmethod
    def fit(cls, reference: Trajectories, **kwargs) -> "Logger":
        """The logger of a reference recording, its kind recognised (:func:`deval.loggers.fitting.fit_logger`)."""
        from deval.loggers.fitting import fit_logger

        return fit_logger(reference, **kwargs)

    # ---------------------------------------------------------------- recording
    def record(self, position: Position, duration: np.ndarray, rng: np.random.Generator,
               start: np.ndarray | None = None, end: np.ndarray | None = None) -> Trajectories:
        """Record N motions.

        Parameters
        ----------
        position : callable
            ``position(seg, t) -> (x, y)``: pixels of movement ``seg`` at ``t`` seconds from its start
            (``t`` may exceed its duration: the end is held).
        duration : ndarray, (N,)
            Seconds each motion lasts (> 0).
        rng : numpy Generator
        start, end : ndarray, (N, 2), optional
            Exact first and last points (default: ``position`` at 0 and at the duration). They are kept as
            given: a movement starts where it started and ends on its target.

        Returns
        -------
        Trajectories
            N movements, t from 0, strictly increasing, >= 2 points each.
        """
        duration = np.maximum(np.asarray(duration, dtype=np.float64), 1e-3)
        n = len(duration)
        if n == 0:
            return Trajectories.empty()
        seg, t = self.clock.ticks(duration, rng)
        read = self.clock.read_times(seg, t, rng)
        if isinstance(position, ContinuousMotion) and self.snap > 0:
            gap = np.diff(t, append=np.inf)
            gap[np.r_[seg[1:] != seg[:-1], True]] = np.inf
            back = np.r_[np.inf, gap[:-1]]
            back[np.r_[True, seg[1:] != seg[:-1]]] = np.inf
            x, y = position(seg, np.minimum(read, duration[seg]), spacing=np.minimum(gap, back), snap=self.snap)
        else:
            x, y = position(seg, np.minimum(read, duration[seg]))
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if start is None:
            start = np.column_stack(position(np.arange(n), np.zeros(n)))
        if end is None:
            end = np.column_stack(position(np.arange(n), duration))
        out = self._written(seg, t, x, y, np.asarray(start, float), np.asarray(end, float), n)
        for step in self.steps:
            out = step.apply(out)
        return out

    def relog(self, traj: Trajectories, seed: int | np.random.Generator | None = 0) -> Trajectories:
        """``traj`` re-recorded by this logger: its continuous motion recovered (:class:`ContinuousMotion`),
        then sampled. Metadata and attributes kept; times from each movement's own start."""
        if len(traj) == 0:
            return traj
        if np.any(traj.lengths < 2):
            raise DataError(None, "movements to re-log need at least 2 points each")
        if traj.press is not None:
            raise DataError(None, "movements with a press channel (action sequences) cannot be re-logged")
        rng = np.random.default_rng(seed)
        start = np.column_stack([traj.x[traj.first_index], traj.y[traj.first_index]])
        end = np.column_stack([traj.x[traj.last_index], traj.y[traj.last_index]])
        out = self.record(ContinuousMotion.from_recording(traj), traj.durations, rng, start, end)
        t0 = traj.t[traj.first_index][out.segment_ids]
        return Trajectories(out.x, out.y, out.t + t0, out.offsets, None, traj.meta, traj.attrs)

    def _written(self, seg, t, x, y, start, end, n) -> Trajectories:
        """Exact ends, grids, and dropping what this logger would not record."""
        first = np.r_[True, seg[1:] != seg[:-1]]
        last = np.r_[seg[1:] != seg[:-1], True]
        inner = ~(first | last)
        x = np.where(inner, self.positions.apply(x), x)
        y = np.where(inner, self.positions.apply(y), y)
        x, y = np.where(first, start[seg, 0], x), np.where(first, start[seg, 1], y)
        x, y = np.where(last, end[seg, 0], x), np.where(last, end[seg, 1], y)
        t = self.stamps.apply(t)
        keep = np.ones(len(t), bool)
        if not self.clock.records_stills:  # nothing recorded when the pointer did not move
            still = ~first & (x == np.r_[np.nan, x[:-1]]) & (y == np.r_[np.nan, y[:-1]])
            keep &= ~still | last
        keep = _strictly_later(seg, t, keep, first, last)
        seg, t, x, y = seg[keep], t[keep], x[keep], y[keep]
        last = np.r_[seg[1:] != seg[:-1], True]
        x, y = np.where(last, end[seg, 0], x), np.where(last, end[seg, 1], y)
        return Trajectories.from_arrays(x, y, t, lengths=np.bincount(seg, minlength=n))


def _strictly_later(seg, t, keep, first, last) -> np.ndarray:
    """Drop kept samples whose stamp does not advance past the previous kept one (the first of a stamp stays).

    The movement's last sample is kept when it is the only later one; otherwise the previous kept sample takes
    the end position. A movement left with one point gets its end one millisecond after its start.
    """
    idx = np.flatnonzero(keep)
    s, tt = seg[idx], t[idx]
    new_seg = np.r_[True, s[1:] != s[:-1]]
    advance = new_seg | (tt > np.r_[-np.inf, tt[:-1]])
    out = np.zeros(len(t), bool)
    out[idx[advance]] = True
    counts = np.bincount(seg[out], minlength=int(seg.max()) + 1)
    short = np.flatnonzero(counts < 2)
    if len(short):
        end_idx = np.flatnonzero(last)[short]
        out[end_idx] = True
        t[end_idx] = np.maximum(t[end_idx], t[np.flatnonzero(first)[short]] + 1e-3)
    return out
