"""``minimum-jerk``: Flash & Hogan minimum-jerk movements with via-points and corrections.

Flash & Hogan (1985, "The coordination of arm movements", J. Neurosci. 5(7))
showed that point-to-point reaching minimises the integrated squared jerk;
with zero velocity and acceleration at both ends the solution is the quintic
``x(tau) = A (10 tau^3 - 15 tau^4 + 6 tau^5)``, ``tau = t / T``: a straight path
with a symmetric bell-shaped speed profile.

**Via-point.** Passing through a via-point ``V`` at normalised time ``tau1``,
the optimum is a quintic plus a term ``c (tau - tau1)^5`` after ``tau1``
(derivatives up to the fourth stay continuous, the fifth jumps):
``x(tau) = a3 tau^3 + a4 tau^4 + a5 tau^5 + c (tau - tau1)_+^5``. The four
unknowns (per axis) solve four linear conditions (``x(tau1) = V``; ``x = A``,
``x' = 0``, ``x'' = 0`` at ``tau = 1``), batched over movements with
:func:`numpy.linalg.solve`.

**Corrective sub-movements.** Following Flash & Henis (1991), corrections are
further minimum-jerk sub-movements superimposed on the primary one: the
primary aims at ``gain x target`` with a small direction error, and each
correction starts before the previous one ends and removes (most of) the
remaining error; the last removes all of it, so the sum of displacements is
the target.

Per movement, drawn from the parameter ranges: the primary duration from
Fitts' law, whether it has a via-point (``via_prob``), the via-point's
sideways offset and time, the primary gain and direction error, the number
of corrections, their onsets and durations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deval.generators.parameters import ParamSpec, draw_integers, draw_uniform
from deval.generators.scripted import ClosedFormBot, common_params, poll_param
from deval.generators.timing import MotionGrid, fitts_duration

__all__ = ["MinimumJerkBot", "minimum_jerk_profile", "via_point_coefficients"]


def minimum_jerk_profile(tau: np.ndarray) -> np.ndarray:
    """Normalised minimum-jerk position ``10 tau^3 - 15 tau^4 + 6 tau^5`` for ``tau`` clipped to [0, 1]."""
    tau = np.clip(tau, 0.0, 1.0)
    return tau * tau * tau * (10.0 + tau * (-15.0 + 6.0 * tau))


def via_point_coefficients(target: np.ndarray, via: np.ndarray, tau1: np.ndarray) -> np.ndarray:
    """Coefficients of minimum-jerk paths from (0, 0) through ``via`` at ``tau1`` to ``target``.

    Parameters
    ----------
    target, via : ndarray, (N, 2)
        End point and via-point, pixels.
    tau1 : ndarray, (N,)
        Normalised time of the via-point, in (0, 1).

    Returns
    -------
    ndarray, (N, 4, 2)
        ``a3, a4, a5, c`` per axis: ``x(tau) = a3 tau^3 + a4 tau^4 + a5 tau^5 + c (tau - tau1)_+^5``.
    """
    n = len(tau1)
    r = 1.0 - tau1
    mat = np.zeros((n, 4, 4))
    mat[:, 0] = np.column_stack([tau1 ** 3, tau1 ** 4, tau1 ** 5, np.zeros(n)])  # x(tau1) = V
    mat[:, 1] = np.column_stack([np.ones(n), np.ones(n), np.ones(n), r ** 5])  # x(1) = A
    mat[:, 2] = np.column_stack([3.0 * np.ones(n), 4.0 * np.ones(n), 5.0 * np.ones(n), 5.0 * r ** 4])  # x'(1) = 0
    mat[:, 3] = np.column_stack([6.0 * np.ones(n), 12.0 * np.ones(n), 20.0 * np.ones(n), 20.0 * r ** 3])  # x''(1)
    rhs = np.zeros((n, 4, 2))
    rhs[:, 0] = via
    rhs[:, 1] = target
    return np.linalg.solve(mat, rhs)


class MinimumJerkBot(ClosedFormBot):
    """Minimum-jerk primary movement (optionally through a via-point) plus corrective sub-movements."""

    name = "minimum-jerk"
    description = "Flash & Hogan minimum-jerk reach, optional via-point and superimposed corrective sub-movements"
    param_specs = (
        ParamSpec("fitts_a", (0.15, 0.35), "Fitts' law intercept of the primary movement, s", "float-range", 0.0, 5.0),
        ParamSpec("fitts_b", (0.06, 0.14), "Fitts' law slope, s per bit", "float-range", 0.0, 2.0),
        ParamSpec("via_prob", 0.5, "probability that the primary movement passes a via-point", "float", 0.0, 1.0),
        ParamSpec("via_offset", (0.03, 0.2), "sideways offset of the via-point, fraction of distance",
                  "float-range", 0.0, 1.0),
        ParamSpec("via_time", (0.35, 0.65), "normalised time of the via-point", "float-range", 0.1, 0.9),
        ParamSpec("gain", (0.88, 1.02), "primary amplitude / distance (< 1 undershoots)", "float-range", 0.3, 2.0),
        ParamSpec("aim_error", (0.0, 4.0), "sd of the primary direction error, degrees", "float-range", 0.0, 45.0),
        ParamSpec("corrections", (0, 2), "corrective sub-movements", "int-range", 0, 5),
        ParamSpec("correction_onset", (0.6, 0.95), "a correction starts at this fraction of the previous one",
                  "float-range", 0.1, 1.5),
        ParamSpec("correction_duration", (0.15, 0.35), "duration of a correction, s", "float-range", 0.02, 3.0),
        poll_param(),
    ) + common_params(rate_hz=(55.0, 130.0), jitter=(0.0, 0.12), drop=(0.0, 0.04))

    def _plan(self, dist: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        p = self.params
        n = len(dist)
        target = np.column_stack([dist, np.zeros(n)])
        k = draw_integers(rng, p["corrections"], n)
        kmax = int(k.max(initial=0))
        # primary: gain and direction error; exact when no correction follows
        gain = np.where(k > 0, draw_uniform(rng, p["gain"], n), 1.0)
        err = np.where(k > 0, np.deg2rad(draw_uniform(rng, p["aim_error"], n)) * rng.standard_normal(n), 0.0)
        primary = gain[:, None] * dist[:, None] * np.column_stack([np.cos(err), np.sin(err)])
        # displacements of the sub-movements: each correction removes most of what is left, the last all of it
        disp = np.zeros((n, kmax + 1, 2))
        disp[:, 0] = primary
        left = target - primary
        for j in range(1, kmax + 1):  # at most a few corrections: a loop over sub-movements, not movements
            last = k == j
            g = np.where(last, 1.0, rng.uniform(0.7, 1.0, n))
            a = np.where(last, 0.0, rng.normal(0.0, 0.15, n))
            c, s = np.cos(a), np.sin(a)
            step = g[:, None] * np.column_stack([c * left[:, 0] - s * left[:, 1], s * left[:, 0] + c * left[:, 1]])
            step[k < j] = 0.0
            disp[:, j] = step
            left = left - step
        # timing: primary from Fitts' law, corrections overlap the previous sub-movement
        dur = np.zeros((n, kmax + 1))
        onset = np.zeros((n, kmax + 1))
        dur[:, 0] = fitts_duration(dist, draw_uniform(rng, p["fitts_a"], n), draw_uniform(rng, p["fitts_b"], n))
        for j in range(1, kmax + 1):
            dur[:, j] = draw_uniform(rng, p["correction_duration"], n)
            onset[:, j] = onset[:, j - 1] + dur[:, j - 1] * draw_uniform(rng, p["correction_onset"], n)
        active = np.arange(kmax + 1)[None, :] <= k[:, None]
        total = np.max(np.where(active, onset + dur, 0.0), axis=1)
        # via-point of the primary movement
        has_via = rng.random(n) < p["via_prob"]
        tau1 = draw_uniform(rng, p["via_time"], n)
        side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        offset = side * draw_uniform(rng, p["via_offset"], n) * dist
        along = minimum_jerk_profile(tau1)[:, None] * primary
        normal = np.column_stack([-primary[:, 1], primary[:, 0]]) / np.maximum(np.hypot(*primary.T), 1e-12)[:, None]
        via = along + offset[:, None] * normal
        coef = np.zeros((n, 4, 2))
        coef[:, 0], coef[:, 1], coef[:, 2] = 10.0 * primary, -15.0 * primary, 6.0 * primary
        if has_via.any():
            coef[has_via] = via_point_coefficients(primary[has_via], via[has_via], tau1[has_via])
        tau1 = np.where(has_via, tau1, 1.0)
        return total, (disp, dur, onset, total, coef, tau1)

    def _path(self, grid: MotionGrid, dist: np.ndarray, plan: Any, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        disp, dur, onset, total, coef, tau1 = plan
        seg = grid.index.seg
        t = grid.s * total[seg]  # natural time of the style
        # primary: a3 tau^3 + a4 tau^4 + a5 tau^5 + c (tau - tau1)_+^5, per axis
        tau = np.clip(t / dur[seg, 0], 0.0, 1.0)
        after = np.maximum(tau - tau1[seg], 0.0)
        cube, after5 = tau * tau * tau, after * after * after * after * after
        out = np.empty((len(t), 2))
        for ax in range(2):
            c = coef[:, :, ax]
            out[:, ax] = cube * (c[seg, 0] + tau * (c[seg, 1] + tau * c[seg, 2])) + c[seg, 3] * after5
        # corrections
        for j in range(1, disp.shape[1]):
            tau = (t - onset[seg, j]) / dur[seg, j]
            out += minimum_jerk_profile(tau)[:, None] * disp[seg, j]
        return out[:, 0], out[:, 1]
