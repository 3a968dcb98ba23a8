"""Timing parts: the logger a bot's movements are recorded through (see :mod:`deval.relogging`).

Each part draws a :class:`~deval.relogging.Logger` from its own range: the
clock of a bot's loop or of the browser that records it, its time stamps and
its pixel grid.
"""

from __future__ import annotations

import numpy as np

from deval.generators.composite.parts import TimingPart, register_part
from deval.relogging import Logger

__all__ = ["FixedTicks", "JitteredTicks", "EventDriven", "Coalesced", "MillisecondTicks", "CoarseTimer"]


def _log_uniform(rng, low, high) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _pixel(rng) -> float:
    return float(rng.choice([1.0, 1.0, 1.0, 0.0]))  # mostly whole pixels, as cursor APIs take integers


@register_part
class FixedTicks(TimingPart):
    name = "ticks"
    description = "a metronome loop at 1-1000 Hz, exact time stamps"

    def logger(self, rng):
        return Logger("ticks", rate_hz=_log_uniform(rng, 1.0, 1000.0), pixel=_pixel(rng), name=self.name)


@register_part
class JitteredTicks(TimingPart):
    name = "jittered-ticks"
    description = "a sleeping loop at 20-500 Hz whose intervals jitter (log-normal sigma 0.05-0.5)"

    def logger(self, rng):
        return Logger("ticks", rate_hz=_log_uniform(rng, 20.0, 500.0), jitter=float(rng.uniform(0.05, 0.5)),
                      time_resolution=float(rng.choice([0.0, 0.001])), pixel=_pixel(rng), name=self.name)


@register_part
class EventDriven(TimingPart):
    name = "events"
    description = "a point only when the pixel changes, device reports at 60-1000 Hz, ms stamps"

    def logger(self, rng):
        return Logger("events", event_hz=_log_uniform(rng, 60.0, 1000.0), time_resolution=0.001, name=self.name)


@register_part
class Coalesced(TimingPart):
    name = "coalesced"
    description = "device reports at 60-1000 Hz coalesced into display frames at 30-240 Hz"

    def logger(self, rng):
        return Logger("coalesced", rate_hz=_log_uniform(rng, 30.0, 240.0), jitter=float(rng.uniform(0.0, 0.1)),
                      event_hz=_log_uniform(rng, 60.0, 1000.0), time_resolution=float(rng.choice([0.001, 0.0001])),
                      name=self.name)


@register_part
class MillisecondTicks(TimingPart):
    name = "ms-ticks"
    description = "a fast loop (200-2000 Hz) stamped in whole milliseconds: repeated stamps dropped"

    def logger(self, rng):
        return Logger("ticks", rate_hz=_log_uniform(rng, 200.0, 2000.0), jitter=float(rng.uniform(0.0, 0.2)),
                      time_resolution=0.001, pixel=_pixel(rng), name=self.name)


@register_part
class CoarseTimer(TimingPart):
    name = "coarse-timer"
    description = "a loop stamped by a coarse OS timer (4-16 ms ticks, e.g. Windows' 15.6 ms)"

    def logger(self, rng):
        return Logger("ticks", rate_hz=_log_uniform(rng, 50.0, 500.0), jitter=float(rng.uniform(0.0, 0.1)),
                      time_resolution=float(rng.choice([0.004, 0.010, 0.015625])), pixel=_pixel(rng),
                      name=self.name)
