"""Timing parts: the logger a bot's movements are recorded through (see :mod:`deval.loggers`).

Each part draws a :class:`~deval.loggers.Logger` from its own range, built
from the clock kinds of :data:`deval.loggers.CLOCKS`: the clock of a bot's loop
or of the browser or remote desktop that records it, its time stamps and its
pixel grid.
"""

from __future__ import annotations

import numpy as np

from deval.generators.composite.parts import TimingPart, register_part
from deval.loggers import (CoalescedClock, EventClock, Logger, PollClock, PositionGrid, SparseClock,
                           StampGrid)

__all__ = ["FixedTicks", "JitteredTicks", "EventDriven", "Coalesced", "MillisecondTicks", "CoarseTimer", "RemoteDesktop"]


def _log_uniform(rng, low, high) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _pixel(rng) -> PositionGrid:
    return PositionGrid(float(rng.choice([1.0, 1.0, 1.0, 0.0])))  # mostly whole pixels, as cursor APIs take integers


@register_part
class FixedTicks(TimingPart):
    name = "ticks"
    description = "a metronome loop at 1-1000 Hz, exact time stamps"

    def logger(self, rng):
        return Logger(PollClock(_log_uniform(rng, 1.0, 1000.0)), StampGrid(0.0), _pixel(rng), name=self.name)


@register_part
class JitteredTicks(TimingPart):
    name = "jittered-ticks"
    description = "a sleeping loop at 20-500 Hz whose intervals jitter (log-normal sigma 0.05-0.5)"

    def logger(self, rng):
        clock = PollClock(_log_uniform(rng, 20.0, 500.0), float(rng.uniform(0.05, 0.5)))
        return Logger(clock, StampGrid(float(rng.choice([0.0, 0.001]))), _pixel(rng), name=self.name)


@register_part
class EventDriven(TimingPart):
    name = "events"
    description = "a point only when the pixel changes, device reports at 60-1000 Hz, ms stamps"

    def logger(self, rng):
        return Logger(EventClock(_log_uniform(rng, 60.0, 1000.0)), StampGrid(0.001), name=self.name)


@register_part
class Coalesced(TimingPart):
    name = "coalesced"
    description = "device reports at 60-1000 Hz coalesced into display frames at 30-240 Hz"

    def logger(self, rng):
        rate, jitter = _log_uniform(rng, 30.0, 240.0), float(rng.uniform(0.0, 0.1))
        clock = CoalescedClock(rate, _log_uniform(rng, 60.0, 1000.0), jitter)
        return Logger(clock, StampGrid(float(rng.choice([0.001, 0.0001]))), name=self.name)


@register_part
class MillisecondTicks(TimingPart):
    name = "ms-ticks"
    description = "a fast loop (200-2000 Hz) stamped in whole milliseconds: repeated stamps dropped"

    def logger(self, rng):
        clock = PollClock(_log_uniform(rng, 200.0, 2000.0), float(rng.uniform(0.0, 0.2)))
        return Logger(clock, StampGrid(0.001), _pixel(rng), name=self.name)


@register_part
class CoarseTimer(TimingPart):
    name = "coarse-timer"
    description = "a loop stamped by a coarse OS timer (4-16 ms ticks, e.g. Windows' 15.6 ms)"

    def logger(self, rng):
        clock = PollClock(_log_uniform(rng, 50.0, 500.0), float(rng.uniform(0.0, 0.1)))
        return Logger(clock, StampGrid(float(rng.choice([0.004, 0.010, 0.015625]))), _pixel(rng), name=self.name)


@register_part
class RemoteDesktop(TimingPart):
    name = "remote-desktop"
    description = "a bot driven over a remote desktop: sparse updates every 30-150 ms, dropped frames and gaps"

    def logger(self, rng):
        clock = SparseClock(_log_uniform(rng, 0.03, 0.15), float(rng.uniform(0.1, 0.5)), float(rng.uniform(0.0, 0.2)),
                            float(rng.uniform(0.0, 0.05)))
        return Logger(clock, StampGrid(0.001), name=self.name)
