"""The timing model shared by the scripted bots.

A scripted bot moves the cursor in a loop: set the position, sleep ``1 / rate``,
repeat. What a recorder sees depends on that loop, so every bot draws, per
movement:

* a **sampling rate** ``rate_hz`` (Hz), log-uniform in a range;
* **jitter** on each time step: ``dt = exp(jitter * z) / rate`` with ``z``
  standard normal (scheduler noise; ``jitter = 0`` gives a metronome);
* **dropped samples**: with probability ``drop`` a step lasts one extra period
  (a missed frame, as browsers and busy event loops produce);
* **dwell** at the start and the end: ``dwell_start`` / ``dwell_end`` extra
  points at the same position with advancing time (a bot that waits before
  moving, or keeps reporting the target after arriving). Each dwell step lasts
  one period, or, with ``dwell_gap = [low, high]``, a log-uniform number of
  seconds (e.g. the pause before a click, which real recordings end with).

Times are always strictly increasing within a movement: every step is a
positive number of seconds.

Two entry points:

* :meth:`TimingModel.motion_grid` lays out the sample times of a movement of a
  given duration (closed-form bots then evaluate their path at those times);
* :meth:`TimingModel.add_dwell` inserts the dwell points around motion that was
  already built (simulated bots such as ``pid`` use their own time steps from
  :meth:`TimingModel.step_seconds`).

Duration models (how long a bot takes to move a distance) live here too:
:func:`fitts_duration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from deval.generators.parameters import ParamSpec, draw_integers, draw_log_uniform, draw_uniform
from deval.generators.ragged import RaggedIndex

__all__ = ["TimingModel", "TimingDraw", "MotionGrid", "timing_params", "fitts_duration"]


def timing_params(
    rate_hz: tuple[float, float] = (55.0, 130.0),
    jitter: tuple[float, float] = (0.0, 0.15),
    drop: tuple[float, float] = (0.0, 0.05),
    dwell_start: tuple[int, int] = (0, 2),
    dwell_end: tuple[int, int] = (0, 2),
    dwell_gap: tuple[float, float] | None = None,
) -> tuple[ParamSpec, ...]:
    """The timing parameters, with style-specific defaults.

    Returns
    -------
    tuple of ParamSpec
        ``rate_hz``, ``jitter``, ``drop``, ``dwell_start``, ``dwell_end``, ``dwell_gap``.
    """
    return (
        ParamSpec("rate_hz", rate_hz, "sampling rate of the movement loop, Hz (log-uniform per movement)",
                  "float-range", 5.0, 2000.0),
        ParamSpec("jitter", jitter, "log-normal sigma of each time step (0 = metronome)", "float-range", 0.0, 1.5),
        ParamSpec("drop", drop, "probability that a sample is missed (the step lasts one more period)",
                  "float-range", 0.0, 0.9),
        ParamSpec("dwell_start", dwell_start, "extra points at the start position before moving",
                  "int-range", 0, 100),
        ParamSpec("dwell_end", dwell_end, "extra points at the target after arriving", "int-range", 0, 100),
        ParamSpec("dwell_gap", dwell_gap, "seconds between dwell points, log-uniform (none: one period)",
                  "float-range", 1e-4, 10.0, nullable=True),
    )


def fitts_duration(distance: np.ndarray, a: np.ndarray, b: np.ndarray, width: float = 20.0) -> np.ndarray:
    """Fitts' law movement time ``a + b * log2(1 + distance / width)``, seconds.

    Parameters
    ----------
    distance : ndarray, (N,)
        Net displacement in pixels.
    a, b : ndarray, (N,) or float
        Intercept (s) and slope (s per bit).
    width : float
        Target width in pixels.
    """
    return a + b * np.log2(1.0 + np.asarray(distance, dtype=np.float64) / width)


@dataclass(frozen=True)
class TimingDraw:
    """Per-movement timing values drawn by :meth:`TimingModel.draw` (all (N,))."""

    rate_hz: np.ndarray
    jitter: np.ndarray
    drop: np.ndarray
    dwell_start: np.ndarray
    dwell_end: np.ndarray
    dwell_gap: tuple[float, float] | None = None

    def __len__(self) -> int:
        return len(self.rate_hz)


@dataclass(frozen=True, eq=False)
class MotionGrid:
    """Sample times of the moving part of N movements.

    Attributes
    ----------
    index : RaggedIndex
        Points per movement (at least 2).
    u : ndarray, float64, (P,)
        Seconds since the movement started; 0 at the first point and exactly
        ``duration`` at the last.
    s : ndarray, float64, (P,)
        Phase ``u / duration`` in [0, 1]; exactly 0 at the first point and 1 at the last.
    duration : ndarray, float64, (N,)
        Motion duration of each movement in seconds.
    """

    index: RaggedIndex
    u: np.ndarray
    s: np.ndarray
    duration: np.ndarray


@dataclass(frozen=True)
class TimingModel:
    """Sampling rate, step jitter, dropped samples and dwell of a scripted bot.

    Each attribute is a ``(low, high)`` range from which one value per movement
    is drawn (see the module docstring). Build one from validated generator
    parameters with :meth:`from_params`.
    """

    rate_hz: tuple[float, float] = (55.0, 130.0)
    jitter: tuple[float, float] = (0.0, 0.15)
    drop: tuple[float, float] = (0.0, 0.05)
    dwell_start: tuple[int, int] = (0, 2)
    dwell_end: tuple[int, int] = (0, 2)
    dwell_gap: tuple[float, float] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "TimingModel":
        """Pick the timing parameters out of a generator's validated parameters."""
        return cls(*(params[k] for k in ("rate_hz", "jitter", "drop", "dwell_start", "dwell_end", "dwell_gap")))

    def draw(self, n: int, rng: np.random.Generator) -> TimingDraw:
        """Draw the timing values of ``n`` movements."""
        return TimingDraw(
            rate_hz=draw_log_uniform(rng, self.rate_hz, n),
            jitter=draw_uniform(rng, self.jitter, n),
            drop=draw_uniform(rng, self.drop, n),
            dwell_start=draw_integers(rng, self.dwell_start, n),
            dwell_end=draw_integers(rng, self.dwell_end, n),
            dwell_gap=self.dwell_gap,
        )

    # ------------------------------------------------------------ time steps
    @staticmethod
    def step_seconds(draw: TimingDraw, movement: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One time step (seconds, > 0) for each entry of ``movement`` (movement indices).

        ``dt = exp(jitter * z) / rate * (1 + missed)`` where ``missed`` is a
        Bernoulli(drop) draw.
        """
        movement = np.asarray(movement, dtype=np.int64)
        period = 1.0 / draw.rate_hz[movement]
        z = rng.standard_normal(len(movement))
        missed = rng.random(len(movement)) < draw.drop[movement]
        return period * np.exp(draw.jitter[movement] * z) * (1.0 + missed)

    def motion_grid(
        self,
        duration: np.ndarray,
        draw: TimingDraw,
        rng: np.random.Generator,
        n_points: np.ndarray | None = None,
    ) -> MotionGrid:
        """Sample times of movements that last ``duration`` seconds.

        Parameters
        ----------
        duration : ndarray, float64, (N,)
            Motion duration in seconds (clipped to at least 1 ms).
        draw : TimingDraw
            Per-movement timing values.
        rng : numpy Generator
            Randomness of the step jitter.
        n_points : ndarray, int, (N,), optional
            Number of motion points (at least 2) instead of ``duration * rate + 1``.

        Returns
        -------
        MotionGrid
            Jittered sample times rescaled so that each movement spans exactly
            its duration.
        """
        duration = np.maximum(np.asarray(duration, dtype=np.float64), 1e-3)
        if n_points is None:
            n_points = np.rint(duration * draw.rate_hz).astype(np.int64) + 1
        n_points = np.maximum(np.asarray(n_points, dtype=np.int64), 2)
        index = RaggedIndex.from_lengths(n_points)
        step = self.step_seconds(draw, index.seg, rng)
        step[index.first] = 0.0
        c = index.cumsum(step)
        total = c[index.last]
        s = c / total[index.seg]
        s[index.last] = 1.0
        u = s * duration[index.seg]
        u[index.last] = duration
        return MotionGrid(index, u, s, duration)

    @staticmethod
    def add_dwell(
        index: RaggedIndex,
        x: np.ndarray,
        y: np.ndarray,
        t: np.ndarray,
        draw: TimingDraw,
        rng: np.random.Generator,
    ) -> tuple[RaggedIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Insert ``dwell_start`` copies of the first point and ``dwell_end`` of the last.

        Parameters
        ----------
        index : RaggedIndex
            Layout of the motion points (every movement non-empty).
        x, y, t : ndarray, (P,)
            Motion points; ``t`` strictly increasing within each movement.
        draw : TimingDraw
            ``dwell_start`` / ``dwell_end`` counts, and the rate/jitter (or ``dwell_gap``) of the dwell steps.
        rng : numpy Generator

        Returns
        -------
        index, x, y, t : the longer batch (t restarts at 0 for every movement).
        anchor : ndarray, int8, (P',)
            1 for points that sit at the start (dwell and first motion point),
            2 for points at the end (last motion point and dwell), 0 elsewhere.
        """
        k0, k1 = draw.dwell_start, draw.dwell_end
        m = index.lengths
        out = RaggedIndex.from_lengths(m + k0 + k1)
        seg, pos = out.seg, out.pos
        k0s, ms = k0[seg], m[seg]
        src_pos = np.clip(pos - k0s, 0, ms - 1)
        src = index.offsets[:-1][seg] + src_pos
        moving = (pos > k0s) & (pos < k0s + ms)
        prev = np.maximum(src - 1, 0)
        inc = np.where(moving, t[src] - t[prev], 0.0)
        dwelling = ~moving & (pos > 0)
        if dwelling.any():
            if draw.dwell_gap is None:
                inc[dwelling] = TimingModel.step_seconds(draw, seg[dwelling], rng)
            else:
                inc[dwelling] = draw_log_uniform(rng, draw.dwell_gap, int(dwelling.sum()))
        t_out = out.cumsum(inc)
        anchor = np.zeros(out.n_points, dtype=np.int8)
        anchor[pos <= k0s] = 1
        anchor[pos >= k0s + ms - 1] = 2
        return out, x[src], y[src], t_out, anchor
