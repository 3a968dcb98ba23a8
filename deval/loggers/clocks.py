"""Clocks: when a logger takes a sample, and whether it records a sample at which the pointer did not move.

Every clock lays out, for N movements of given durations, the times at which
the pointer is read: the first at 0, the last the first at or after the
movement's end (the click). What the logger then keeps is decided by
:class:`~deval.loggers.logger.Logger` (stamps, pixel grid, still samples).

Kinds (registered in :data:`CLOCKS`; a plugin adds its own through the
entry-point group ``deval.logger_clocks``):

=============  ======================================================================  ==============
kind           what it is                                                              still samples
=============  ======================================================================  ==============
``poll``       a fixed-rate loop (desktop hooks, game loops, bots): 1 / ``rate_hz``     recorded
               with log-normal jitter and dropped frames
``events``     device reports at ``event_hz``, an event only when the pixel changes    not recorded
               (browser ``mousemove``; 500-1000 Hz: high-rate gaming mice)
``coalesced``  device reports at ``event_hz`` delivered once per display frame at      not recorded
               ``rate_hz`` (browsers' frame-aligned events, 60-240 Hz)
``sparse``     remote-desktop / VNC sampling: intervals of ``interval_s`` (30-150 ms)  not recorded
               with a log-normal spread, dropped frames and gaps
``empirical``  the interval runs of a reference recording, replayed in order           either
               (what :meth:`Logger.fit` builds)
=============  ======================================================================  ==============
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar

import numpy as np

from deval.errors import ConfigError
from deval.registry import Registry

__all__ = ["Clock", "PollClock", "EventClock", "CoalescedClock", "SparseClock", "EmpiricalClock", "CLOCKS",
           "ticks_from_factors"]


def _check_range(owner: str, name: str, value: float, low: float, high: float) -> None:
    if not (np.isfinite(value) and low <= value <= high):
        raise ConfigError(f"{owner} {name} must be in [{low}, {high}], got {value}")


def ticks_from_factors(duration: np.ndarray, period: np.ndarray, factors, min_factor: float,
                       rng: np.random.Generator, phase: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Sample times of N movements: intervals ``period * factor``, cut after the first time at or after the end.

    Parameters
    ----------
    duration, period : ndarray, (N,)
        Seconds each movement lasts; the base interval of each movement's clock [s].
    factors : callable
        ``factors(m, rng) -> (m,)`` positive multipliers of the period (jitter, dropped frames, gaps),
        never below ``min_factor``.
    min_factor : float
        Lower bound of the factors (sizes the draw).
    phase : bool
        The first interval is a random phase in [0, period) instead of 0 (not used for t = 0, which is always
        a sample).

    Returns
    -------
    seg : ndarray, int64, (P,)
        Movement of each sample.
    t : ndarray, float64, (P,)
        Seconds from the movement's start: 0 first, increasing, the last at or after the duration.
    """
    n = len(duration)
    count = np.ceil(duration / (period * min_factor)).astype(np.int64) + 2
    seg = np.repeat(np.arange(n), count)
    steps = period[seg] * np.maximum(factors(len(seg), rng), min_factor)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    steps[first] = 0.0
    csum = np.cumsum(steps)
    t = csum - np.repeat(csum[first], count)
    before = t < duration[seg] - 1e-9  # a tick that lands on the end (up to rounding) is the end tick
    prev_before = np.concatenate([[True], before[:-1]])
    prev_before[first] = True
    keep = before | prev_before
    return seg[keep], t[keep]


@dataclass(frozen=True)
class Clock(ABC):
    """Base class of clocks (see the module docs). Subclasses are frozen dataclasses of their settings."""

    kind: ClassVar[str] = ""
    #: The logger records a sample even when the pointer did not move (a poll); otherwise only changes.
    records_stills: ClassVar[bool] = False

    @abstractmethod
    def ticks(self, duration: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(seg, t)``: the sample times of movements lasting ``duration`` (N,) seconds (see
        :func:`ticks_from_factors`)."""

    def read_times(self, seg: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The time whose position a sample at ``t`` records (default: ``t`` itself)."""
        return t

    @property
    @abstractmethod
    def median_interval(self) -> float:
        """Typical interval between samples [s]."""

    @abstractmethod
    def describe(self) -> str:
        """The clock in words."""

    def to_dict(self) -> dict:
        """JSON-ready settings, with the kind."""
        return {"kind": self.kind, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "Clock":
        """The clock of a :meth:`to_dict` record (its ``kind`` picks the class)."""
        kind = d.get("kind")
        klass = CLOCKS.get(kind) if isinstance(kind, str) and kind in CLOCKS else None
        if klass is None:
            raise ConfigError(f"unknown logger clock {kind!r}; known: {', '.join(CLOCKS.available())}")
        if hasattr(klass, "from_record"):
            return klass.from_record(d)
        names = {f.name for f in fields(klass)}
        try:
            return klass(**{k: v for k, v in d.items() if k in names})
        except TypeError as exc:
            raise ConfigError(f"invalid {kind} clock settings ({exc})") from None


def _lognormal(sigma: float):
    return lambda m, rng: np.exp(sigma * rng.standard_normal(m)) if sigma else np.ones(m)


class _PeriodicClock(Clock):
    """A clock with one base interval (``median_interval``) multiplied by random factors (``_factors``, no lower
    than ``_min_factor``)."""

    def _factors(self, m: int, rng: np.random.Generator) -> np.ndarray:
        return _lognormal(self.jitter)(m, rng)  # type: ignore[attr-defined]

    @property
    def _min_factor(self) -> float:
        return float(np.exp(-3.0 * self.jitter))  # type: ignore[attr-defined]

    def ticks(self, duration, rng):
        d = np.asarray(duration, dtype=np.float64)
        return ticks_from_factors(d, np.full(len(d), self.median_interval), self._factors, self._min_factor, rng)


def _hz(rate: float) -> str:
    return f"{rate:.0f} Hz" if rate >= 10 else f"{rate:.2g} Hz"


@dataclass(frozen=True)
class PollClock(_PeriodicClock):
    """A fixed-rate loop that records every sample, still ones included.

    Parameters
    ----------
    rate_hz : float
        Loop rate [Hz].
    jitter : float
        Log-normal sigma of each interval (0: a metronome).
    drop : float
        Probability that an interval lasts one more period (a missed loop iteration).
    """

    kind: ClassVar[str] = "poll"
    records_stills: ClassVar[bool] = True
    rate_hz: float = 125.0
    jitter: float = 0.0
    drop: float = 0.0

    def __post_init__(self) -> None:
        _check_range("poll clock", "rate_hz", self.rate_hz, 0.5, 20000.0)
        _check_range("poll clock", "jitter", self.jitter, 0.0, 1.5)
        _check_range("poll clock", "drop", self.drop, 0.0, 0.9)

    def _factors(self, m, rng):
        f = _lognormal(self.jitter)(m, rng)
        return f * (1.0 + (rng.random(m) < self.drop)) if self.drop else f

    @property
    def median_interval(self) -> float:
        return 1.0 / self.rate_hz

    def describe(self) -> str:
        extra = (f", jitter {self.jitter:g}" if self.jitter else "") + (
            f", {self.drop:.0%} dropped" if self.drop else "")
        return f"fixed-rate poll, {_hz(self.rate_hz)}{extra}, records stills"


@dataclass(frozen=True)
class EventClock(_PeriodicClock):
    """Device reports at ``event_hz``; an event only when the recorded position changes.

    Parameters
    ----------
    event_hz : float
        Device report rate [Hz] (125: office mice; 500-1000: gaming mice).
    jitter : float
        Log-normal sigma of each report interval.
    """

    kind: ClassVar[str] = "events"
    event_hz: float = 125.0
    jitter: float = 0.05

    def __post_init__(self) -> None:
        _check_range("events clock", "event_hz", self.event_hz, 0.5, 20000.0)
        _check_range("events clock", "jitter", self.jitter, 0.0, 1.5)

    @property
    def median_interval(self) -> float:
        return 1.0 / self.event_hz

    def describe(self) -> str:
        label = "high-rate events" if self.event_hz >= 400 else "event-driven"
        return f"{label}, device at {_hz(self.event_hz)}, records on change"


@dataclass(frozen=True)
class CoalescedClock(_PeriodicClock):
    """Device reports at ``event_hz`` seen once per display frame at ``rate_hz`` (the latest report), on change.

    Parameters
    ----------
    rate_hz : float
        Frame rate [Hz] (60-240).
    event_hz : float
        Device report rate [Hz].
    jitter : float
        Log-normal sigma of each frame interval.
    """

    kind: ClassVar[str] = "coalesced"
    rate_hz: float = 60.0
    event_hz: float = 125.0
    jitter: float = 0.02

    def __post_init__(self) -> None:
        _check_range("coalesced clock", "rate_hz", self.rate_hz, 0.5, 20000.0)
        _check_range("coalesced clock", "event_hz", self.event_hz, 0.5, 20000.0)
        _check_range("coalesced clock", "jitter", self.jitter, 0.0, 1.5)

    def read_times(self, seg, t, rng):
        # the latest device report before the frame (sample and hold), each movement at its own report phase
        n = int(seg.max()) + 1 if len(seg) else 0
        phase = rng.uniform(0.0, 1.0 / self.event_hz, n)[seg]
        return np.maximum(np.floor((t - phase) * self.event_hz) / self.event_hz + phase, 0.0)

    @property
    def median_interval(self) -> float:
        return 1.0 / self.rate_hz

    def describe(self) -> str:
        return f"frame-coalesced events, {_hz(self.rate_hz)} frames, device at {_hz(self.event_hz)}, records on change"


@dataclass(frozen=True)
class SparseClock(_PeriodicClock):
    """Remote-desktop / VNC sampling: long, irregular intervals, dropped frames and gaps; on change.

    Parameters
    ----------
    interval_s : float
        Median interval [s] (0.03-0.15 typical).
    spread : float
        Log-normal sigma of each interval.
    drop : float
        Probability that an interval lasts one more period (a dropped frame).
    gap : float
        Probability of a gap of 3-10 periods (a stalled connection).
    """

    kind: ClassVar[str] = "sparse"
    interval_s: float = 0.08
    spread: float = 0.35
    drop: float = 0.1
    gap: float = 0.02

    def __post_init__(self) -> None:
        _check_range("sparse clock", "interval_s", self.interval_s, 1e-3, 2.0)
        _check_range("sparse clock", "spread", self.spread, 0.0, 1.5)
        _check_range("sparse clock", "drop", self.drop, 0.0, 0.9)
        _check_range("sparse clock", "gap", self.gap, 0.0, 0.5)

    def _factors(self, m, rng):
        f = np.exp(self.spread * rng.standard_normal(m)) * (1.0 + (rng.random(m) < self.drop))
        gaps = rng.random(m) < self.gap
        f[gaps] *= rng.uniform(3.0, 10.0, int(gaps.sum()))
        return f

    @property
    def _min_factor(self) -> float:
        return float(np.exp(-3.0 * self.spread))

    @property
    def median_interval(self) -> float:
        return self.interval_s

    def describe(self) -> str:
        return (f"sparse remote-desktop sampling, median {self.interval_s * 1e3:.0f} ms, {self.drop:.0%} dropped "
                f"frames, {self.gap:.0%} gaps, records on change")


@dataclass(frozen=True, eq=False)
class EmpiricalClock(Clock):
    """The interval runs of a reference recording, each movement reading one run from a random place.

    Parameters
    ----------
    intervals : ndarray, float64, (K,)
        Intervals [s], runs concatenated in recorded order.
    offsets : ndarray, int64, (R+1,)
        Run ``r`` is ``intervals[offsets[r]:offsets[r+1]]``.
    stills : bool
        The logger records still samples (a poll) rather than changes only.
    label : str
        What the fit recognised ("fixed-rate poll", "event-driven", ...), for :meth:`describe`.
    """

    kind: ClassVar[str] = "empirical"
    intervals: np.ndarray = field(default_factory=lambda: np.array([1 / 60]))
    offsets: np.ndarray = field(default_factory=lambda: np.array([0, 1]))
    stills: bool = False
    label: str = "empirical"

    def __post_init__(self) -> None:
        iv = np.asarray(self.intervals, dtype=np.float64)
        off = np.asarray(self.offsets, dtype=np.int64)
        if iv.ndim != 1 or iv.size == 0 or not np.all(np.isfinite(iv)) or np.any(iv <= 0):
            raise ConfigError("empirical clock intervals must be a non-empty list of positive numbers")
        if off.ndim != 1 or len(off) < 2 or off[0] != 0 or off[-1] != len(iv) or np.any(np.diff(off) <= 0):
            raise ConfigError("empirical clock offsets must rise strictly from 0 to the number of intervals")
        object.__setattr__(self, "intervals", np.maximum(np.round(iv * 1e6), 1.0) * 1e-6)  # whole us (its JSON form)
        object.__setattr__(self, "offsets", off)

    @property
    def records_stills(self) -> bool:  # type: ignore[override]
        return bool(self.stills)

    def ticks(self, duration, rng):
        """For each movement one run (of a span at least its duration where there is one), cycled until the
        first tick at or after the duration."""
        dur = np.asarray(duration, dtype=np.float64)
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
        k = np.searchsorted(cum, cum[off[:-1][run]] + rem - 1e-12, side="left") - off[:-1][run]
        k = np.clip(k, 0, m)
        n_ticks = cycles.astype(np.int64) * m + k + 1
        mid = np.repeat(np.arange(len(dur)), n_ticks)
        first = np.concatenate([[0], np.cumsum(n_ticks)[:-1]])
        q = np.arange(int(n_ticks.sum())) - first[mid]      # tick number, 0 = the start
        cyc, pos = np.divmod(np.maximum(q - 1, 0), m[mid])
        base = off[:-1][run][mid]
        t = np.where(q == 0, 0.0, cyc * S[mid] + cum[base + pos + 1] - cum[base])
        return mid, t

    @property
    def median_interval(self) -> float:
        return float(np.median(self.intervals))

    def describe(self) -> str:
        rate = 1.0 / self.median_interval
        return (f"{self.label}, {_hz(rate)} (median interval {self.median_interval * 1e3:.1f} ms), "
                f"{'records stills' if self.stills else 'records on change'}; intervals replayed from "
                f"{len(self.offsets) - 1} reference runs")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "intervals_us": [int(v) for v in np.round(self.intervals * 1e6)],
                "offsets": [int(v) for v in self.offsets], "stills": bool(self.stills), "label": self.label}

    @classmethod
    def from_record(cls, d: dict) -> "EmpiricalClock":
        """Inverse of :meth:`to_dict` (intervals in whole microseconds)."""
        try:
            return cls(np.asarray(d["intervals_us"], dtype=np.float64) * 1e-6, np.asarray(d["offsets"]),
                       bool(d.get("stills", False)), str(d.get("label", "empirical")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed empirical clock record ({exc})") from None


def _check_clock(name: str, obj: object) -> type[Clock]:
    if not (isinstance(obj, type) and issubclass(obj, Clock)):
        raise ConfigError(f"logger clock {name!r} must be a Clock subclass, got {obj!r}")
    if getattr(obj, "kind", None) != name:
        raise ConfigError(f"logger clock {name!r}: its kind attribute is {getattr(obj, 'kind', None)!r}")
    if getattr(obj, "__abstractmethods__", None):
        raise ConfigError(f"logger clock {name!r} does not implement {', '.join(sorted(obj.__abstractmethods__))}")
    return obj


#: Clock kinds by name (plugins: entry-point group ``deval.logger_clocks``).
CLOCKS: Registry[type[Clock]] = Registry("logger clock", group="deval.logger_clocks", check=_check_clock)
for _cls in (PollClock, EventClock, CoalescedClock, SparseClock, EmpiricalClock):
    CLOCKS.register(_cls.kind, _cls)
