"""Named loggers that real hardware, software and pipelines produce; logger specs; random loggers for augmentation.

:data:`LOGGERS` is the set the cross-logger tests re-record people through
(``deval evaluate``), one or more of every clock kind. :func:`parse_logger`
reads a logger from a short spec (``deval relog --logger poll:125hz``)::

    poll:125hz                       a fixed-rate poll that records stills
    events:1000hz                    event-driven, device at 1000 Hz
    coalesced:60hz                   display-frame events (device at 125 Hz unless device=...)
    sparse:80ms                      remote-desktop sampling, median interval 80 ms
    poll:125hz,clip=7-9ms,f32        ... and a dt clip, float32 round-off
    KIND:RATE,stamps=1ms,grid=0.5,jitter=0.05,drop=0.1,device=500hz,resample=200,truncate=200

or a name of :data:`LOGGERS`.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from deval.errors import ConfigError
from deval.loggers.clocks import CoalescedClock, EventClock, PollClock, SparseClock
from deval.loggers.grids import PositionGrid, StampGrid
from deval.loggers.logger import Logger
from deval.loggers.preprocessing import ClipIntervals, Resample, Truncate
from deval.trajectories import Trajectories

__all__ = ["LOGGERS", "DRAWN_KINDS", "parse_logger", "draw_loggers", "relog_each"]

MS = StampGrid(0.001)

#: Loggers that real hardware and software produce (the cross-logger test re-logs people through each).
LOGGERS: dict[str, Logger] = {lg.name: lg for lg in (
    Logger(PollClock(30.0, 0.05), MS, name="poll-30hz-ms"),
    Logger(PollClock(60.0, 0.1), MS, name="poll-60hz-ms"),
    Logger(PollClock(125.0, 0.02), MS, name="poll-125hz-ms"),
    Logger(PollClock(125.0, 0.25), MS, PositionGrid(1.0, True), (ClipIntervals(0.007, 0.009),),
           name="poll-125hz-clipped-f32"),
    Logger(PollClock(250.0, 0.02), StampGrid(0.0), name="poll-250hz-us"),
    Logger(PollClock(1000.0, 0.02, 0.01), MS, name="poll-1000hz-ms"),
    Logger(PollClock(100.0, 0.05), StampGrid(1 / 64), name="windows-timer-100hz"),
    Logger(EventClock(125.0), MS, name="events-125hz-ms"),
    Logger(EventClock(1000.0), MS, name="events-1000hz-ms"),
    Logger(CoalescedClock(60.0, 125.0, 0.02), MS, name="frames-60hz-mouse-125hz"),
    Logger(CoalescedClock(144.0, 1000.0, 0.02), StampGrid(0.0001), name="frames-144hz-mouse-1000hz"),
    Logger(CoalescedClock(240.0, 1000.0, 0.02), StampGrid(0.0001), PositionGrid(0.5), name="frames-240hz-hidpi"),
    Logger(SparseClock(0.05, 0.3, 0.1, 0.02), MS, name="remote-desktop-50ms"),
    Logger(SparseClock(0.12, 0.4, 0.15, 0.03), MS, name="remote-desktop-120ms"),
    Logger(PollClock(120.0, 0.05), MS, PositionGrid(0.0), name="poll-120hz-subpixel"),
)}

#: Clock kinds :func:`draw_loggers` draws from.
DRAWN_KINDS = ("poll", "events", "coalesced", "sparse")


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def draw_loggers(k: int, rng: np.random.Generator, exclude_clock: Sequence[str] = ()) -> list[Logger]:
    """``k`` random loggers of every kind of :data:`DRAWN_KINDS` (less ``exclude_clock``) for augmentation.

    Rates log-uniform over each kind's range (polls 20-1000 Hz, devices 60-1000 Hz, frames 30-240 Hz,
    remote desktop 30-150 ms), jitter and dropped frames, stamps (exact, 0.1 ms, 1 ms, 4 ms, 15.6 ms),
    positions (whole px mostly, HiDPI halves, sub-pixel, float32) and, now and then, a dt clip.
    """
    kinds = [c for c in DRAWN_KINDS if c not in set(exclude_clock)]
    if not kinds:
        raise ConfigError("draw_loggers: every clock is excluded")
    out = []
    for i in range(int(k)):
        kind = kinds[int(rng.integers(len(kinds)))]
        jitter = float(rng.choice([0.0, 0.02, 0.1, 0.3]))
        if kind == "poll":
            clock = PollClock(_log_uniform(rng, 20.0, 1000.0), jitter, float(rng.choice([0.0, 0.0, 0.02, 0.1])))
        elif kind == "events":
            clock = EventClock(_log_uniform(rng, 60.0, 1000.0), max(jitter, 0.02))
        elif kind == "coalesced":
            clock = CoalescedClock(_log_uniform(rng, 30.0, 240.0), _log_uniform(rng, 60.0, 1000.0), min(jitter, 0.1))
        else:
            clock = SparseClock(_log_uniform(rng, 0.03, 0.15), float(rng.uniform(0.1, 0.5)),
                                float(rng.uniform(0.0, 0.2)), float(rng.uniform(0.0, 0.05)))
        stamps = StampGrid(float(rng.choice([0.0, 0.0001, 0.001, 0.001, 0.004, 1 / 64])))
        step = float(rng.choice([1.0, 1.0, 1.0, 0.5, 0.0]))
        positions = PositionGrid(step, bool(step == 0.0 and rng.random() < 0.5) or bool(rng.random() < 0.1))
        steps: tuple = ()
        if kind == "poll" and rng.random() < 0.2:
            period = clock.median_interval
            steps = (ClipIntervals(round(0.85 * period, 4), round(1.15 * period, 4) + 1e-4),)
        out.append(Logger(clock, stamps, positions, steps, name=f"drawn-{i}-{kind}"))
    return out


def relog_each(traj: Trajectories, loggers: Sequence[Logger], seed: int | None = 0,
               groups: np.ndarray | None = None) -> Trajectories:
    """Each movement re-recorded by one of ``loggers`` drawn at random (seeded); order and metadata kept.

    With ``groups`` (N,) (e.g. session ids), every group is recorded by one logger, as one visitor's session is
    by one device. The movement's logger name is stored in the ``logger`` metadata column.
    """
    if not loggers:
        raise ConfigError("relog_each needs at least one logger")
    rng = np.random.default_rng(seed)
    n = len(traj)
    if groups is None:
        which = rng.integers(len(loggers), size=n)
    else:
        codes, uniques = pd.factorize(np.asarray(groups))
        which = rng.integers(len(loggers), size=len(uniques))[codes]
    parts, order = [], []
    for k, lg in enumerate(loggers):
        idx = np.flatnonzero(which == k)
        if len(idx):
            parts.append(lg.relog(traj[idx], rng).with_meta(logger=lg.name))
            order.append(idx)
    out = Trajectories.concat(parts)
    return out[np.argsort(np.concatenate(order), kind="stable")]


_RATE = re.compile(r"^(\d+(?:\.\d+)?)(hz|ms|s)$")
_SPEC_HELP = ("KIND:RATE[,option...] with KIND one of poll, events, coalesced, sparse and RATE like 125hz or 80ms; "
              "options stamps=1ms, grid=1|0.5|0, f32, jitter=X, drop=X, device=1000hz, clip=7-9ms, resample=N, "
              "truncate=N; or a named logger: ")


def _seconds(text: str, what: str) -> float:
    m = _RATE.match(text.strip().lower())
    if not m:
        raise ConfigError(f"logger spec: {what} {text!r} is not like 125hz or 8ms")
    v = float(m.group(1))
    if v <= 0:
        raise ConfigError(f"logger spec: {what} must be > 0")
    return 1.0 / v if m.group(2) == "hz" else v * (1e-3 if m.group(2) == "ms" else 1.0)


def parse_logger(spec: str) -> Logger:
    """A logger from a spec (see the module docs) or a name of :data:`LOGGERS`; ConfigError on a bad spec."""
    spec = str(spec).strip()
    if spec in LOGGERS:
        return LOGGERS[spec]
    head, _, rest = spec.partition(",")
    kind, colon, rate = head.partition(":")
    if not colon or kind not in DRAWN_KINDS:
        raise ConfigError(f"unknown logger {spec!r}: expected {_SPEC_HELP}{', '.join(LOGGERS)}")
    period = _seconds(rate, "rate")
    opts: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        opts[key] = value if eq else "1"
    known = {"stamps", "grid", "f32", "jitter", "drop", "device", "clip", "resample", "truncate"}
    if set(opts) - known:
        raise ConfigError(f"logger spec {spec!r}: unknown option(s) {', '.join(sorted(set(opts) - known))}; "
                          f"known: {', '.join(sorted(known))}")
    try:
        jitter = float(opts["jitter"]) if "jitter" in opts else None
        drop = float(opts.get("drop", 0.0))
        if kind == "poll":
            clock = PollClock(1.0 / period, 0.0 if jitter is None else jitter, drop)
        elif kind == "events":
            clock = EventClock(1.0 / period, 0.05 if jitter is None else jitter)
        elif kind == "coalesced":
            device = 1.0 / _seconds(opts["device"], "device") if "device" in opts else 125.0
            clock = CoalescedClock(1.0 / period, device, 0.02 if jitter is None else jitter)
        else:
            clock = SparseClock(period, 0.35 if jitter is None else jitter, drop if "drop" in opts else 0.1)
        stamps = StampGrid(_seconds(opts["stamps"], "stamps") if opts.get("stamps", "1ms") not in ("0", "exact")
                           else 0.0) if "stamps" in opts else MS
        positions = PositionGrid(float(opts.get("grid", 1.0)), "f32" in opts)
        steps: list = []
        if "clip" in opts:
            lo, dash, hi = opts["clip"].lower().removesuffix("ms").partition("-")
            if not dash:
                raise ConfigError(f"logger spec {spec!r}: clip must be like 7-9ms")
            steps.append(ClipIntervals(round(float(lo) * 1e-3, 9), round(float(hi) * 1e-3, 9)))
        if "resample" in opts:
            steps.append(Resample(int(opts["resample"])))
        if "truncate" in opts:
            steps.append(Truncate(int(opts["truncate"])))
    except ValueError as exc:
        raise ConfigError(f"logger spec {spec!r}: {exc}") from None
    return Logger(clock, stamps, positions, tuple(steps), name=spec)

