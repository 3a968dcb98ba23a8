"""``spline``: a curve through random control points with an easing velocity profile.

What "human-like mouse" libraries do (ghost-cursor, pyclick, bezier-mouse...):
pick 1-3 random control points around the straight line, draw a Bezier curve
(or a Catmull-Rom spline through the points), and advance along the curve's
parameter with an easing function (ease-in-out, smoothstep...), taking a
Fitts'-law time.

Per movement, drawn from the parameter ranges:

* ``n_control`` interior control points, at sorted positions along the line,
  each offset sideways by up to ``curvature`` x distance (signs mostly shared,
  so most curves bow to one side);
* the curve type (``curve = mixed`` picks Bezier or Catmull-Rom per movement)
  and the easing (``easing = mixed`` picks one of
  :data:`deval.generators.easing.EASINGS` except ``linear``);
* Fitts' law duration ``a + b log2(1 + D / 20 px)``;
* a little per-point noise (``point_noise``, px).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import comb

from deval.generators.easing import EASINGS, ease
from deval.generators.parameters import ParamSpec, draw_integers, draw_uniform
from deval.generators.scripted import ClosedFormBot, common_params, poll_param
from deval.generators.timing import MotionGrid, fitts_duration

__all__ = ["SplineBot"]

CURVES = ("bezier", "catmull-rom")


class SplineBot(ClosedFormBot):
    """Bezier / Catmull-Rom path through random control points, eased in time."""

    name = "spline"
    description = "Bezier or Catmull-Rom curve through random control points, eased velocity, Fitts' law timing"
    param_specs = (
        ParamSpec("curve", "mixed", "curve type (mixed: chosen per movement)", "choice",
                  choices=("mixed",) + CURVES),
        ParamSpec("n_control", (1, 3), "interior control points per movement", "int-range", 1, 8),
        ParamSpec("curvature", (0.05, 0.35), "largest sideways offset of a control point, fraction of distance",
                  "float-range", 0.0, 2.0),
        ParamSpec("easing", "mixed", "velocity profile along the curve (mixed: chosen per movement)", "choice",
                  choices=("mixed",) + EASINGS),
        ParamSpec("fitts_a", (0.10, 0.30), "Fitts' law intercept, s", "float-range", 0.0, 5.0),
        ParamSpec("fitts_b", (0.06, 0.16), "Fitts' law slope, s per bit", "float-range", 0.0, 2.0),
        ParamSpec("point_noise", (0.0, 0.6), "per-point Gaussian jitter sigma, px", "float-range", 0.0, 50.0),
        poll_param(),
    ) + common_params(rate_hz=(50.0, 125.0), jitter=(0.0, 0.15), drop=(0.0, 0.03))

    def _plan(self, dist: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        n = len(dist)
        p = self.params
        k = draw_integers(rng, p["n_control"], n)
        kmax = int(k.max())
        # control points, canonical frame: ends at (0, 0) and (D, 0), interior sorted along x
        along = np.sort(rng.uniform(0.1, 0.9, size=(n, kmax)), axis=1)
        valid = np.arange(kmax)[None, :] < k[:, None]
        along = np.where(valid, along, 1.0)  # padding sits on the end point
        side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        flip = np.where(rng.random((n, kmax)) < 0.2, -1.0, 1.0)  # some S-shaped curves
        lateral = side[:, None] * flip * rng.uniform(0.3, 1.0, (n, kmax)) * draw_uniform(rng, p["curvature"], n)[:, None]
        ctrl = np.zeros((n, kmax + 2, 2))
        ctrl[:, 1:-1, 0] = along * dist[:, None]
        ctrl[:, 1:-1, 1] = np.where(valid, lateral, 0.0) * dist[:, None]
        ctrl[:, -1, 0] = dist  # so ctrl[i, k_i + 1] is the end point for every movement
        if p["curve"] == "mixed":
            curve = rng.integers(0, len(CURVES), n)
        else:
            curve = np.full(n, CURVES.index(p["curve"]))
        if p["easing"] == "mixed":
            easing = rng.integers(1, len(EASINGS), n)
        else:
            easing = np.full(n, EASINGS.index(p["easing"]))
        duration = fitts_duration(dist, draw_uniform(rng, p["fitts_a"], n), draw_uniform(rng, p["fitts_b"], n))
        noise = draw_uniform(rng, p["point_noise"], n)
        return duration, (k, ctrl, curve, easing, noise)

    def _path(self, grid: MotionGrid, dist: np.ndarray, plan: Any, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        k, ctrl, curve, easing, noise = plan
        seg = grid.index.seg
        e = ease(grid.s, easing[seg])
        coef, pieces = _piecewise_coefficients(ctrl, k, curve == 0)
        out = _evaluate_piecewise(coef, pieces, seg, e)
        out += noise[seg, None] * rng.standard_normal(out.shape)
        return out[:, 0], out[:, 1]


def _piecewise_coefficients(ctrl: np.ndarray, k: np.ndarray, bezier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every curve as a piecewise polynomial in power basis.

    Parameters
    ----------
    ctrl : ndarray, (N, K + 2, 2)
        Control points; movement ``i`` uses ``ctrl[i, :k[i] + 2]``.
    k : ndarray, int, (N,)
        Interior control points per movement.
    bezier : ndarray of bool, (N,)
        Bezier curve (one piece of degree ``k + 1``) or else uniform Catmull-Rom
        (``k + 1`` cubic pieces through the control points, ends doubled).

    Returns
    -------
    coef : ndarray, (N, K + 1, D + 1, 2)
        ``coef[i, j, m]`` multiplies ``u**m`` on piece ``j`` (local parameter ``u`` in [0, 1]).
    pieces : ndarray, int, (N,)
        Number of pieces of each curve.
    """
    n, kp2, _ = ctrl.shape
    dmax = max(kp2 - 1, 3)
    coef = np.zeros((n, kp2 - 1, dmax + 1, 2))
    deg = k + 1
    # Bezier: a_m = C(d, m) sum_i (-1)^(m-i) C(m, i) P_i, one small step per distinct degree
    for d in np.unique(deg[bezier]):
        rows = np.flatnonzero(bezier & (deg == d))
        m = np.arange(d + 1)
        mat = np.tril(comb(d, m)[:, None] * comb(m[:, None], m[None, :]) * (-1.0) ** (m[:, None] - m[None, :]))
        coef[rows, 0, : d + 1] = np.einsum("mi,nic->nmc", mat, ctrl[rows, : d + 1])
    # Catmull-Rom: piece j runs from P_j to P_{j+1}; neighbours clipped to the ends
    rows = np.flatnonzero(~bezier)
    if rows.size:
        j = np.arange(kp2 - 1)[None, :]
        last = (k[rows] + 1)[:, None]
        r = rows[:, None]
        p0 = ctrl[r, np.clip(j - 1, 0, last)]
        p1 = ctrl[r, np.clip(j, 0, last)]
        p2 = ctrl[r, np.clip(j + 1, 0, last)]
        p3 = ctrl[r, np.clip(j + 2, 0, last)]
        coef[rows, :, 0] = p1
        coef[rows, :, 1] = 0.5 * (p2 - p0)
        coef[rows, :, 2] = 0.5 * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3)
        coef[rows, :, 3] = 0.5 * (3.0 * (p1 - p2) + p3 - p0)
    pieces = np.where(bezier, 1, k + 1)
    return coef, pieces


def _evaluate_piecewise(coef: np.ndarray, pieces: np.ndarray, seg: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Points (P, 2) of piecewise polynomials ``coef`` at curve parameters ``e`` in [0, 1] (Horner)."""
    n, kmax, dp1, _ = coef.shape
    npc = pieces[seg]
    pos = e * npc
    j = np.minimum(pos.astype(np.int64), npc - 1)
    u = (pos - j)[:, None]
    c = coef.reshape(n * kmax, dp1, 2)[seg * kmax + j]  # (P, D + 1, 2)
    out = c[:, -1].copy()
    for m in range(dp1 - 2, -1, -1):
        out *= u
        out += c[:, m]
    return out
