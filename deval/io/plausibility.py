"""Unit and scale plausibility of loaded movements: catch millisecond times, normalised coordinates and absurd values.

deval works in screen pixels and seconds. A file in other units loads without
complaint and gives quietly wrong answers (a real-vs-real comparison even
"passes"), so every load is checked:

==========================================  ==============================================  =========
finding                                     likely cause                                    outcome
==========================================  ==============================================  =========
coordinates beyond +-1e7 px                 wrong units, garbage                            error
a movement longer than an hour              wrong time unit (ns, us), epoch timestamps     error
median movement under 1 px, or every        normalised coordinates (screen fraction,        warning
coordinate within [-1.5, 1.5]               min-max scaled)
median duration over a minute, or median    times in milliseconds read as seconds           warning
time step over a second
==========================================  ==============================================  =========

Warnings are one log line naming the file and the numbers; with ``strict``
(``deval --strict``) they are errors. The errors come before any work whose
size scales with the values (e.g. resampling a movement of 1e12 seconds).
"""

from __future__ import annotations

import logging
import os

import numpy as np

from deval.errors import DataError
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

#: Coordinates beyond this (pixels) are refused.
MAX_ABS_PX = 1e7
#: Movements longer than this (seconds) are refused.
MAX_DURATION_S = 3600.0


def check_plausible(traj: Trajectories, source: str | os.PathLike | None = None, *, strict: bool = False) -> None:
    """Raise :class:`DataError` on impossible values; warn (or raise, with ``strict``) on implausible units."""
    if len(traj) == 0 or traj.n_points == 0:
        return
    big = max(float(np.max(np.abs(traj.x))), float(np.max(np.abs(traj.y))))
    if big > MAX_ABS_PX:
        mv = int(traj.segment_ids[np.argmax(np.maximum(np.abs(traj.x), np.abs(traj.y)))])
        raise DataError(source, f"coordinate {big:.3g} px in movement {mv} is beyond any screen (limit "
                                f"{MAX_ABS_PX:.0e} px); check the units")
    dur = traj.durations
    if float(dur.max()) > MAX_DURATION_S:
        mv = int(np.argmax(dur))
        raise DataError(source, f"movement {mv} lasts {dur[mv]:.3g} s (limit {MAX_DURATION_S:.0f} s): times are "
                                "not in seconds (milliseconds, microseconds or epoch timestamps?); e.g. "
                                "deval -O time_unit=ms COMMAND ... (in Python: time_unit='ms')")
    problems = []
    net = np.hypot(traj.end[:, 0] - traj.start[:, 0], traj.end[:, 1] - traj.start[:, 1])
    if float(np.median(net)) < 1.0 or big <= 1.5:
        problems.append(f"median movement {np.median(net):.3g} px and every coordinate within +-{big:.3g}: "
                        "coordinates look normalised (screen fraction or scaled), deval expects pixels")
    dt = np.diff(traj.t)[np.diff(traj.segment_ids) == 0]
    med_dur = float(np.median(dur))
    if med_dur > 60.0 or (dt.size and float(np.median(dt)) > 1.0):
        problems.append(f"median duration {med_dur:.3g} s and median time step "
                        f"{float(np.median(dt)) if dt.size else float('nan'):.3g} s: times look like milliseconds "
                        "read as seconds (e.g. deval -O time_unit=ms COMMAND ...; in Python: time_unit='ms')")
    for text in problems:
        if strict:
            raise DataError(source, text)
        log.warning("%s: %s", source, text)
