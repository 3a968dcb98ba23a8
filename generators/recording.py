"""What a web page records of a cursor: millisecond time stamps and move events only.

A bot's loop sets cursor positions; a detector usually sees them through a
recorder such as a browser's ``mousemove`` events, which

* carry time stamps in whole milliseconds (``ms_timestamps``), so events that
  fall in the same millisecond collapse into one (the first is kept), and
* fire only when the pointer actually moves (``event_driven``): a sample at the
  same pixel as the previous one produces no event, so a slow tail turns into
  gaps rather than repeated points.

The first and the last point of a movement are always kept (the last one is the
target, e.g. the click). SapiMouse-dev, for example, was logged this way: every
time step is a whole number of milliseconds, and nearly the only repeated
positions are the click at the end of a movement.
"""

from __future__ import annotations

import numpy as np

from deval.generators.parameters import ParamSpec
from deval.generators.ragged import RaggedIndex

__all__ = ["recording_params", "record"]

MS = 1e-3


def recording_params(ms_timestamps: bool = False, event_driven: bool = False) -> tuple[ParamSpec, ...]:
    """The recorder parameters, with style-specific defaults."""
    return (
        ParamSpec("ms_timestamps", ms_timestamps, "round time stamps to whole milliseconds (as browsers do)",
                  "bool"),
        ParamSpec("event_driven", event_driven, "drop samples that do not move the pointer (move events only)",
                  "bool"),
    )


def record(
    index: RaggedIndex,
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray,
    *,
    ms_timestamps: bool,
    event_driven: bool,
) -> tuple[RaggedIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Apply the recorder to flat point arrays.

    Parameters
    ----------
    index : RaggedIndex
        Layout; every movement has at least 2 points.
    x, y : ndarray, (P,)
        Screen positions, pixels.
    t : ndarray, (P,)
        Seconds from each movement's start (0 first), strictly increasing.
    ms_timestamps, event_driven : bool
        See the module docstring.

    Returns
    -------
    index, x, y, t
        The recorded points: a subset of the input (with rounded times), at
        least 2 per movement, times strictly increasing.
    """
    if not (ms_timestamps or event_driven):
        return index, x, y, t
    if ms_timestamps:
        t = np.round(t / MS) * MS
    # Drop still samples, then samples in an already used millisecond, and again until nothing changes:
    # each pass compares a point with the one kept before it (runs collapse onto their first point).
    while True:
        interior = (index.pos > 0) & ~index.is_last()
        prev = np.arange(index.n_points) - 1
        drop = np.zeros(index.n_points, dtype=bool)
        if event_driven:
            drop = interior & (x == x[prev]) & (y == y[prev])
        if ms_timestamps and not drop.any():
            drop = interior & (t <= t[prev])
        if not drop.any():
            break
        keep = ~drop
        index, x, y, t = index.select(keep), x[keep], y[keep], t[keep]
    out = index
    # the last point is always kept; if it shares a millisecond with the kept point before it,
    # it is reported one millisecond later
    last = out.last
    before = t[last - 1]
    clash = t[last] <= before
    if clash.any():
        t = t.copy()
        t[last[clash]] = before[clash] + (MS if ms_timestamps else 1e-6)
    return out, x, y, t
