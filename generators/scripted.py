"""The pipeline shared by the scripted bots.

Every scripted bot builds all its movements at once, in the canonical frame
of :mod:`deval.canonical` (each movement starts at (0, 0) and its target is
(distance, 0)), as flat ragged arrays:

1. draw per-movement timing (:class:`~deval.generators.timing.TimingModel`);
2. :meth:`ScriptedBot._motion` builds the moving part. For
   :class:`ClosedFormBot` styles, ``_plan`` draws the movement-level parameters
   and the natural duration of each movement, sample times are laid out
   (:meth:`TimingModel.motion_grid`) and ``_path`` evaluates the path at each
   phase ``s`` in [0, 1]; simulated styles (``pid``) step their dynamics;
3. insert the dwell points (:meth:`TimingModel.add_dwell`);
4. rotate and translate onto the screen (:meth:`CanonicalFrame.invert`), round
   to whole pixels (``integer_pixels``, as cursor APIs take integers) and put
   the first and last points exactly on ``cond.start`` / ``cond.end``;
5. pass the points through the recorder (:mod:`deval.generators.recording`:
   millisecond time stamps, move events only), when the style asks for it.

Options common to every scripted bot:

``use_duration``
    When the endpoints carry durations (``--like REAL`` does), time-scale each
    movement to last that long (point counts are followed too when present and
    the recorder drops no point). Off by default: a scripted bot has its own
    timing.
``integer_pixels``
    Round interior points to whole pixels (the endpoints stay exact).
``ms_timestamps``, ``event_driven``
    The recorder (see :mod:`deval.generators.recording`).

Closed-form styles also take ``poll_hz``: the pointer device reports
positions at this rate and the loop sees the latest report (sample and hold),
e.g. a 125 Hz mouse read by a 60 Hz loop moves 2 or 3 reports per frame.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
from typing import Any, ClassVar

import numpy as np

from deval.canonical import CanonicalFrame
from deval.generators.base import Generator
from deval.generators.parameters import ParamSpec
from deval.generators.parameters import draw_uniform
from deval.generators.ragged import RaggedIndex
from deval.generators.recording import record, recording_params
from deval.generators.timing import MotionGrid, TimingDraw, TimingModel, timing_params
from deval.trajectories import Endpoints, Trajectories

__all__ = ["ScriptedBot", "ClosedFormBot", "common_params", "poll_param", "Motion", "place_on_screen"]

log = logging.getLogger(__name__)


def common_params(
    integer_pixels: bool = True,
    use_duration: bool = False,
    ms_timestamps: bool = False,
    event_driven: bool = False,
    **timing_defaults: Any,
) -> tuple[ParamSpec, ...]:
    """Timing and recorder parameters plus ``use_duration`` and ``integer_pixels``, with style defaults."""
    return timing_params(**timing_defaults) + (
        ParamSpec("use_duration", use_duration,
                  "follow durations (and point counts) given with the endpoints, e.g. by --like", "bool"),
        ParamSpec("integer_pixels", integer_pixels, "round interior points to whole pixels", "bool"),
    ) + recording_params(ms_timestamps, event_driven)


def poll_param(poll_hz: float | None = None) -> ParamSpec:
    """``poll_hz``: rate of the pointer device whose latest report the loop sees (none: continuous)."""
    return ParamSpec("poll_hz", poll_hz, "pointer device report rate, Hz; positions are sampled and held "
                     "(none: continuous)", "float", 1.0, 10000.0, nullable=True)


@dataclasses.dataclass(frozen=True, eq=False)
class Motion:
    """Moving part of N movements in the canonical frame (before dwell).

    ``x``, ``y`` (pixels) and ``t`` (seconds, from 0, strictly increasing) are
    flat (P,) arrays laid out by ``index``; every movement has >= 2 points, the
    first at (0, 0) and the last at (distance, 0) up to rounding.
    """

    index: RaggedIndex
    x: np.ndarray
    y: np.ndarray
    t: np.ndarray


class ScriptedBot(Generator):
    """Base class of the scripted bots (see the module docstring)."""

    #: Subclasses state which parameters are their own; timing/common ones are appended.
    param_specs: ClassVar[tuple[ParamSpec, ...]] = common_params()

    @property
    def timing(self) -> TimingModel:
        """The timing model built from this bot's parameters."""
        return TimingModel.from_params(self.params)

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        n = len(cond)
        dist = cond.distance
        draw = self.timing.draw(n, rng)
        draw, target_duration, target_points = self._requested_timing(cond, draw)
        motion = self._motion(dist, draw, target_duration, target_points, rng)
        index, x, y, t, anchor = TimingModel.add_dwell(motion.index, motion.x, motion.y, motion.t, draw, rng)
        x, y = place_on_screen(cond, index, x, y, anchor, self.params["integer_pixels"])
        index, x, y, t = record(
            index, x, y, t, ms_timestamps=self.params["ms_timestamps"], event_driven=self.params["event_driven"]
        )
        return Trajectories(x, y, t, index.offsets)

    # ------------------------------------------------------------- timing
    def _requested_timing(
        self, cond: Endpoints, draw: TimingDraw
    ) -> tuple[TimingDraw, np.ndarray | None, np.ndarray | None]:
        """Motion duration and point count asked for by ``cond`` (when ``use_duration``)."""
        if not self.params["use_duration"] or cond.duration is None:
            if self.params["use_duration"]:
                log.info("%s: use_duration is set but the endpoints carry no durations", self.name)
            return draw, None, None
        k0, k1 = draw.dwell_start, draw.dwell_end
        points = None
        if cond.n_points is not None:
            points = cond.n_points - k0 - k1
            short = points < 2
            if short.any():  # too few points for the dwell: drop the dwell there
                k0, k1 = np.where(short, 0, k0), np.where(short, 0, k1)
                points = np.where(short, np.maximum(cond.n_points, 2), points)
            draw = dataclasses.replace(draw, dwell_start=k0, dwell_end=k1)
        # the dwell takes about one period (or dwell gap) per point; the rest of the duration is motion
        gap = 1.0 / draw.rate_hz if draw.dwell_gap is None else float(np.sqrt(np.prod(draw.dwell_gap)))
        dwell_time = (k0 + k1) * gap
        duration = np.maximum(cond.duration - dwell_time, 0.3 * cond.duration)
        return draw, np.maximum(duration, 1e-3), points

    # ------------------------------------------------------------- motion
    @abc.abstractmethod
    def _motion(
        self,
        dist: np.ndarray,
        draw: TimingDraw,
        target_duration: np.ndarray | None,
        target_points: np.ndarray | None,
        rng: np.random.Generator,
    ) -> Motion:
        """The moving part of every movement in the canonical frame.

        Parameters
        ----------
        dist : ndarray, (N,)
            Distance to the target, pixels (the target is ``(dist, 0)``).
        draw : TimingDraw
            Per-movement timing values.
        target_duration : ndarray, (N,), or None
            Motion duration to follow (``use_duration``), seconds.
        target_points : ndarray, int, (N,), or None
            Motion point count to follow, when the bot can.
        rng : numpy Generator
        """


def place_on_screen(
    cond: Endpoints,
    index: RaggedIndex,
    x: np.ndarray,
    y: np.ndarray,
    anchor: np.ndarray,
    integer_pixels: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Map canonical-frame movements onto their screen endpoints.

    Parameters
    ----------
    cond : Endpoints
        Start and end of each movement, pixels.
    index : RaggedIndex
        Layout of the flat point arrays.
    x, y : ndarray, (P,)
        Canonical positions (start at (0, 0), target at (distance, 0)), pixels.
    anchor : ndarray, int8, (P,)
        1: the point is put exactly on ``cond.start``; 2: exactly on ``cond.end``.
    integer_pixels : bool
        Round the other points to whole pixels.

    Returns
    -------
    x, y : ndarray, (P,)
        Screen positions: rotated by each movement's direction and translated
        to its start (:meth:`deval.canonical.CanonicalFrame.invert`).
    """
    n = len(cond)
    canon = Trajectories(x, y, np.zeros(len(x)), index.offsets)
    frame = CanonicalFrame(cond.start, cond.angle, np.zeros(n, dtype=bool), np.zeros(n))
    screen = frame.invert(canon)
    sx, sy = screen.x, screen.y
    if integer_pixels:
        sx, sy = np.rint(sx), np.rint(sy)
    at_start, at_end = anchor == 1, anchor == 2
    seg = index.seg
    sx[at_start], sy[at_start] = cond.start[seg[at_start], 0], cond.start[seg[at_start], 1]
    sx[at_end], sy[at_end] = cond.end[seg[at_end], 0], cond.end[seg[at_end], 1]
    return sx, sy


class ClosedFormBot(ScriptedBot):
    """A scripted bot whose path is a closed-form function of the phase ``s`` in [0, 1].

    Subclasses draw their movement-level parameters in :meth:`_plan` and
    evaluate positions in :meth:`_path`; this class lays out the sample times.
    """

    def _motion(
        self,
        dist: np.ndarray,
        draw: TimingDraw,
        target_duration: np.ndarray | None,
        target_points: np.ndarray | None,
        rng: np.random.Generator,
    ) -> Motion:
        duration, plan = self._plan(dist, rng)
        if target_duration is not None:
            duration = target_duration
        grid = self.timing.motion_grid(duration, draw, rng, target_points)
        x, y = self._path(self._polled(grid, rng), dist, plan, rng)
        return Motion(grid.index, x, y, grid.u)

    def _polled(self, grid: MotionGrid, rng: np.random.Generator) -> MotionGrid:
        """The grid of times at which the device last reported (sample and hold at ``poll_hz``)."""
        poll = self.params.get("poll_hz")
        if poll is None:
            return grid
        idx = grid.index
        phase = draw_uniform(rng, (0.0, 1.0 / poll), len(idx))[idx.seg]
        held = np.floor((grid.u + phase) * poll) / poll - phase
        u = np.clip(held, 0.0, grid.u)
        u[idx.last] = grid.u[idx.last]  # the movement ends on its target
        s = u / grid.duration[idx.seg]
        return MotionGrid(idx, u, s, grid.duration)

    @abc.abstractmethod
    def _plan(self, dist: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        """Draw movement-level parameters; return ``(duration (N,) seconds, plan)``."""

    @abc.abstractmethod
    def _path(self, grid: MotionGrid, dist: np.ndarray, plan: Any, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        """Canonical positions (x, y), each (P,), at the phases ``grid.s``.

        Must give (0, 0) at ``s = 0`` and (dist, 0) at ``s = 1`` (up to rounding);
        the duration of the style is stretched to ``grid.duration`` when the
        endpoints ask for one, so the path depends on ``s`` only.
        """
