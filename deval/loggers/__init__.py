"""Loggers: the process that turns a continuous hand motion into recorded points.

A recorded movement is a hand seen through a logger: the device, the driver,
the software and the pipeline that sample the pointer at their own times,
round what they record and process it afterwards. Two files of the same people
logged by different hardware differ more, in timing, than many bots differ
from people; deval keeps the two apart.

A :class:`Logger` is one component of four parts, each a registered kind:

* a **clock** (:mod:`deval.loggers.clocks`): ``poll`` (fixed rate, records
  still samples), ``events`` (on pixel change; 500-1000 Hz high-rate devices
  too), ``coalesced`` (device reports delivered on display frames),
  ``sparse`` (remote desktop, 30-150 ms with gaps), ``empirical`` (a
  reference's own interval runs);
* a **stamp grid** and a **position grid** (:mod:`deval.loggers.grids`);
* **preprocessing** (:mod:`deval.loggers.preprocessing`): dt clipping,
  fixed-length resampling, truncation.

Uses:

* ``Logger.fit(reference)`` recognises the kind of a file's logger and fits it
  (:mod:`deval.loggers.fitting`); ``describe()`` says what it found;
* ``logger.relog(movements)`` re-records movements: their continuous motion is
  recovered first (:class:`ContinuousMotion`), then sampled
  (:func:`relog`, ``deval relog``, ``generate-negatives --timing like``);
* ``logger.record(position, duration, rng)`` records a motion given as a
  function of time (generators);
* :data:`LOGGERS`, :func:`draw_loggers` and :func:`relog_each`: named and random
  loggers for the cross-logger test and detector augmentation;
  :func:`parse_logger` reads ``poll:125hz``-style specs.
"""

from deval.loggers.clocks import (CLOCKS, Clock, CoalescedClock, EmpiricalClock, EventClock, PollClock,
                                  SparseClock)
from deval.loggers.fitting import LoggerFitWarning, describe_logger, fit_logger
from deval.loggers.grids import PositionGrid, StampGrid
from deval.loggers.kinds import DRAWN_KINDS, LOGGERS, draw_loggers, parse_logger, relog_each
from deval.loggers.logger import Logger, Position
from deval.loggers.motion import ContinuousMotion
from deval.loggers.preprocessing import STEPS, ClipIntervals, Resample, Step, Truncate
from deval.loggers.relog import RelogResult, relog

__all__ = ["Logger", "Position", "Clock", "PollClock", "EventClock", "CoalescedClock", "SparseClock",
           "EmpiricalClock", "CLOCKS", "StampGrid", "PositionGrid", "Step", "ClipIntervals", "Resample", "Truncate",
           "STEPS", "ContinuousMotion", "fit_logger", "describe_logger", "LoggerFitWarning", "LOGGERS", "DRAWN_KINDS",
           "draw_loggers",
           "relog_each", "parse_logger", "relog", "RelogResult"]
