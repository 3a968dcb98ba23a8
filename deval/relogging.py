"""Loggers: the process that turns a continuous hand motion into recorded points.

A recorded movement is a hand seen through a logger: the device, the driver
and the software that sample the pointer at their own times and round what
they record. A detector that learns one logger's clock instead of the hand
fails twice: it flags people behind another logger, and it passes bots whose
clock happens to look like the one it learned.

A :class:`Logger` is one such process, in three steps:

1. **Clock.** ``"ticks"``: a sample every ``1 / rate_hz`` s (log-normal jitter
   ``jitter`` on each interval; a polling loop). ``"events"``: device reports
   at ``event_hz``, recorded only when the rounded position changes (browser
   ``mousemove``). ``"coalesced"``: device reports at ``event_hz`` seen by a
   loop at ``rate_hz`` that records the latest report, and only when it
   moved (display-frame coalescing).
2. **Time stamps.** Rounded down to ``time_resolution`` seconds (0.001: whole
   milliseconds; 0.0156: the Windows timer); samples that share a stamp with
   the one before are dropped (the logger keeps the first of each tick).
3. **Pixels.** Positions rounded to a grid of ``pixel`` (1: whole pixels; 0:
   sub-pixel coordinates).

Every movement starts at its first point at t = 0 and ends at its last point,
recorded at the first clock sample at or after the motion's end. Two uses:

* :meth:`Logger.record` samples any motion given as a function of time
  (generators build movements this way: ``composite``);
* :meth:`Logger.relog` re-records recorded movements (linear interpolation in
  time between their points): training augmentation, so that humans and bots
  reach a detector through the same loggers, and the cross-logger test of
  ``deval evaluate`` (people re-logged by loggers the detector never saw).

:data:`LOGGERS` names a set of loggers that real hardware and software
produce; :func:`draw_loggers` draws random ones for augmentation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np

from deval.canonical import interpolate_at
from deval.errors import ConfigError
from deval.trajectories import Trajectories

__all__ = ["Logger", "LOGGERS", "CLOCKS", "draw_loggers", "relog_each"]

CLOCKS = ("ticks", "events", "coalesced")

#: A motion: (movement index (P,), seconds from its start (P,)) -> (x, y) pixels; held at its end after its duration.
Position = Callable[[np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class Logger:
    """One logging process (see the module docs).

    Parameters
    ----------
    clock : {"ticks", "events", "coalesced"}
    rate_hz : float
        Loop rate of ``ticks`` and ``coalesced`` [Hz].
    jitter : float
        Log-normal sigma of each loop interval (0: a metronome).
    event_hz : float
        Device report rate of ``events`` and ``coalesced`` [Hz].
    time_resolution : float
        Time stamps are rounded down to multiples of this [s] (0: exact).
    pixel : float
        Position grid [px] (0: sub-pixel).
    name : str
        Label in reports.
    """

    clock: str = "ticks"
    rate_hz: float = 60.0
    jitter: float = 0.0
    event_hz: float = 1000.0
    time_resolution: float = 0.0
    pixel: float = 1.0
    name: str = "custom"

    def __post_init__(self) -> None:
        if self.clock not in CLOCKS:
            raise ConfigError(f"logger clock must be one of {', '.join(CLOCKS)}, got {self.clock!r}")
        for field, low, high in (("rate_hz", 0.5, 20000.0), ("event_hz", 0.5, 20000.0), ("jitter", 0.0, 1.5),
                                 ("time_resolution", 0.0, 0.5), ("pixel", 0.0, 50.0)):
            v = getattr(self, field)
            if not low <= v <= high:
                raise ConfigError(f"logger {field} must be in [{low}, {high}], got {v}")

    def to_dict(self) -> dict:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Logger":
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
        except TypeError as exc:
            raise ConfigError(f"invalid logger settings {d!r} ({exc})") from None

    # ------------------------------------------------------------- clock
    def _grid(self, duration: np.ndarray, rate: float, jitter: float, rng: np.random.Generator,
              phase: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Loop times per movement: from 0 (or a random phase) until the first time at or after its duration."""
        n = len(duration)
        # enough intervals for the shortest draws (3 sigma), then cut at the duration
        count = np.ceil(duration * rate * np.exp(3.0 * jitter)).astype(np.int64) + 2
        seg = np.repeat(np.arange(n), count)
        steps = np.exp(jitter * rng.standard_normal(len(seg))) / rate if jitter else np.full(len(seg), 1.0 / rate)
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        steps[first] = rng.uniform(0.0, 1.0 / rate, n) if phase else 0.0
        csum = np.cumsum(steps)
        t = csum - np.repeat(csum[first] - steps[first], count)
        # keep times before the end, and the first one at or after it
        before = t < duration[seg] - 1e-9  # a tick that lands on the end (up to rounding) is the end tick
        prev_before = np.concatenate([[True], before[:-1]])
        prev_before[first] = True
        keep = before | prev_before
        return seg[keep], t[keep]

    def sample_times(self, duration: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Times [s from each start] at which the position is read, and the time stamp it is recorded with.

        Returns ``(seg, t_read)``; for ``coalesced`` the position read is the
        latest device report before the loop time (:meth:`record` handles it).
        """
        rate = self.event_hz if self.clock == "events" else self.rate_hz
        jitter = 0.05 if self.clock == "events" and not self.jitter else self.jitter
        return self._grid(np.asarray(duration, dtype=np.float64), rate, jitter, rng)

    # ------------------------------------------------------------- record
    def record(self, position: Position, duration: np.ndarray, rng: np.random.Generator,
               start: np.ndarray | None = None, end: np.ndarray | None = None) -> Trajectories:
        """Record N motions.

        Parameters
        ----------
        position : callable
            ``position(seg, t) -> (x, y)``: pixels of movement ``seg`` at ``t``
            seconds from its start (``t`` may exceed its duration: the end is held).
        duration : ndarray, (N,)
            Seconds each motion lasts (> 0).
        rng : numpy Generator
        start, end : ndarray, (N, 2), optional
            Exact first and last points (default: ``position`` at 0 and at the duration).

        Returns
        -------
        Trajectories
            N movements, t from 0, strictly increasing, >= 2 points each.
        """
        duration = np.maximum(np.asarray(duration, dtype=np.float64), 1e-3)
        n = len(duration)
        if n == 0:
            return Trajectories.empty()
        seg, t = self.sample_times(duration, rng)
        read = t
        if self.clock == "coalesced":  # the latest device report before the loop time (sample and hold)
            phase = rng.uniform(0.0, 1.0 / self.event_hz, n)[seg]
            read = np.maximum(np.floor((t - phase) * self.event_hz) / self.event_hz + phase, 0.0)
        x, y = position(seg, np.minimum(read, duration[seg]))
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if start is None:
            start = np.column_stack(position(np.arange(n), np.zeros(n)))
        if end is None:
            end = np.column_stack(position(np.arange(n), duration))
        return self._finish(seg, t, x, y, np.asarray(start, float), np.asarray(end, float), n)

    def relog(self, traj: Trajectories, seed: int | np.random.Generator | None = 0) -> Trajectories:
        """Re-record recorded movements through this logger (metadata kept, ``press`` dropped)."""
        rng = np.random.default_rng(seed)
        if len(traj) == 0:
            return traj
        start = np.column_stack([traj.x[traj.first_index], traj.y[traj.first_index]])
        end = np.column_stack([traj.x[traj.last_index], traj.y[traj.last_index]])
        out = self.record(lambda seg, t: interpolate_at(traj, seg, t), traj.durations, rng, start, end)
        return Trajectories(out.x, out.y, out.t + traj.t[traj.first_index][out.segment_ids], out.offsets,
                            meta=traj.meta, attrs=traj.attrs)

    def _finish(self, seg, t, x, y, start, end, n) -> Trajectories:
        """Exact ends, rounding, and dropping what this logger would not record."""
        first = np.r_[True, seg[1:] != seg[:-1]]
        last = np.r_[seg[1:] != seg[:-1], True]
        x, y = np.where(first, start[seg, 0], x), np.where(first, start[seg, 1], y)
        x, y = np.where(last, end[seg, 0], x), np.where(last, end[seg, 1], y)
        if self.pixel:
            inner = ~(first | last)
            x = np.where(inner, np.round(x / self.pixel) * self.pixel, x)
            y = np.where(inner, np.round(y / self.pixel) * self.pixel, y)
        if self.time_resolution:
            t = np.floor(t / self.time_resolution + 1e-9) * self.time_resolution
        keep = np.ones(len(t), bool)
        same_seg = ~first
        if self.clock in ("events", "coalesced"):  # nothing recorded when the pointer did not move
            still = same_seg & (x == np.r_[np.nan, x[:-1]]) & (y == np.r_[np.nan, y[:-1]])
            keep &= ~still | last
        keep = self._strictly_later(seg, t, keep, first, last)
        seg, t, x, y = seg[keep], t[keep], x[keep], y[keep]
        x, y = self._exact_end(seg, x, y, end)
        lengths = np.bincount(seg, minlength=n)
        return Trajectories.from_arrays(x, y, t, lengths=lengths)

    @staticmethod
    def _strictly_later(seg, t, keep, first, last) -> np.ndarray:
        """Drop kept samples whose stamp does not advance past the previous kept one (the first of a tick stays).

        The movement's last sample is kept when it is the only later one;
        otherwise the previous kept sample takes the end position (see _exact_end).
        """
        idx = np.flatnonzero(keep)
        s, tt = seg[idx], t[idx]
        new_seg = np.r_[True, s[1:] != s[:-1]]
        # running maximum of kept stamps within a movement equals the previous stamp (times are sorted)
        advance = new_seg | (tt > np.r_[-np.inf, tt[:-1]])
        out = np.zeros(len(t), bool)
        out[idx[advance]] = True
        # every movement keeps >= 2 points: when the end collapsed onto the start stamp, give it one resolution step
        counts = np.bincount(seg[out], minlength=int(seg.max()) + 1)
        short = np.flatnonzero(counts < 2)
        if len(short):
            end_idx = np.flatnonzero(last)[short]
            out[end_idx] = True
            t[end_idx] = np.maximum(t[end_idx], t[np.flatnonzero(first)[short]] + 1e-3)
        return out

    @staticmethod
    def _exact_end(seg, x, y, end) -> tuple[np.ndarray, np.ndarray]:
        last = np.r_[seg[1:] != seg[:-1], True]
        return np.where(last, end[seg, 0], x), np.where(last, end[seg, 1], y)


#: Loggers that real hardware and software produce (the cross-logger test re-logs people through each).
LOGGERS: dict[str, Logger] = {lg.name: lg for lg in (
    Logger("ticks", 30.0, 0.05, time_resolution=0.001, name="poll-30hz-ms"),
    Logger("ticks", 60.0, 0.1, time_resolution=0.001, name="poll-60hz-ms"),
    Logger("ticks", 125.0, 0.02, time_resolution=0.001, name="poll-125hz-ms"),
    Logger("ticks", 250.0, 0.02, name="poll-250hz-us"),
    Logger("ticks", 100.0, 0.05, time_resolution=0.015625, name="windows-timer-100hz"),
    Logger("events", event_hz=125.0, time_resolution=0.001, name="events-125hz-ms"),
    Logger("events", event_hz=1000.0, time_resolution=0.001, name="events-1000hz-ms"),
    Logger("coalesced", 60.0, 0.02, event_hz=125.0, time_resolution=0.001, name="frames-60hz-mouse-125hz"),
    Logger("coalesced", 144.0, 0.02, event_hz=1000.0, time_resolution=0.0001, name="frames-144hz-mouse-1000hz"),
    Logger("ticks", 120.0, 0.05, time_resolution=0.001, pixel=0.0, name="poll-120hz-subpixel"),
)}


def draw_loggers(k: int, rng: np.random.Generator, exclude_clock: Sequence[str] = ()) -> list[Logger]:
    """``k`` random loggers for augmentation: clock, rates (log-uniform 20-1000 Hz), jitter, stamp and pixel grids."""
    clocks = [c for c in CLOCKS if c not in set(exclude_clock)]
    if not clocks:
        raise ConfigError("draw_loggers: every clock is excluded")
    out = []
    for i in range(int(k)):
        clock = clocks[int(rng.integers(len(clocks)))]
        rate = float(np.exp(rng.uniform(np.log(20.0), np.log(1000.0))))
        event = float(np.exp(rng.uniform(np.log(60.0), np.log(1000.0))))
        out.append(Logger(clock, rate_hz=rate, jitter=float(rng.choice([0.0, 0.02, 0.1, 0.3])), event_hz=event,
                          time_resolution=float(rng.choice([0.0, 0.001, 0.001, 0.004, 0.0156])),
                          pixel=float(rng.choice([1.0, 1.0, 1.0, 0.0, 2.0])), name=f"drawn-{i}"))
    return out


def relog_each(traj: Trajectories, loggers: Sequence[Logger], seed: int | None = 0) -> Trajectories:
    """Each movement re-recorded by one of ``loggers`` drawn at random (seeded); order and metadata kept.

    The movement's logger name is stored in the ``logger`` metadata column.
    """
    if not loggers:
        raise ConfigError("relog_each needs at least one logger")
    rng = np.random.default_rng(seed)
    n = len(traj)
    which = rng.integers(len(loggers), size=n)
    parts, order = [], []
    for k, lg in enumerate(loggers):
        idx = np.flatnonzero(which == k)
        if len(idx):
            parts.append(lg.relog(traj[idx], rng).with_meta(logger=lg.name))
            order.append(idx)
    out = Trajectories.concat(parts)
    return out[np.argsort(np.concatenate(order), kind="stable")]
