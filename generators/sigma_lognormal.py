"""``sigma-lognormal``: Plamondon's kinematic theory of rapid human movements.

In the Kinematic Theory (Plamondon 1995; the Sigma-Lognormal model of
O'Reilly & Plamondon 2009, "Development of a Sigma-Lognormal representation
for on-line signatures", Pattern Recognition 42), a rapid movement is the
vector sum of *strokes*. Stroke ``k`` starts at time ``t0_k``; its speed is a
lognormal impulse response of the neuromuscular system,

    |v_k(t)| = D_k / (sigma_k sqrt(2 pi) (t - t0_k)) exp(-(ln(t - t0_k) - mu_k)^2 / (2 sigma_k^2)),

and its direction turns linearly with the travelled fraction
``F_k(t) = Phi((ln(t - t0_k) - mu_k) / sigma_k)`` from ``theta_s`` to
``theta_e``. The position integrates in closed form: stroke ``k`` traces a
circular arc of length ``D_k`` and turning angle ``delta = theta_e - theta_s``::

    p_k(t) = D_k / delta [sin(theta_s + delta F_k) - sin theta_s, cos theta_s - cos(theta_s + delta F_k)]

so the whole movement is evaluated without numerical integration, for every
point of every movement at once (a few ``erf`` calls per point).

Parameter ranges, per movement, and why
---------------------------------------
The structure and the plausible intervals come from the Kinematic Theory
literature; within them, the defaults were chosen by searching for the ranges
whose movements deval's own C2ST finds hardest to tell from SapiMouse-dev
(``benchmarks/bench_generator_realism.py`` prints the result).

``mu`` (log-seconds), default [-1.8, -1.3], plus ``mu_slope * ln(D / 450 px)``
    ``exp(mu)`` is the main stroke's median time: 0.17-0.27 s at 450 px. The
    main stroke covers most of the distance fast and corrective strokes take
    the rest of the movement (SapiMouse-dev: median duration 0.66 s, peak speed
    at 27 % of it). Fits of handwriting and pointing strokes report mu mostly
    in [-2.5, 0] (Plamondon & Djioua 2006; O'Reilly & Plamondon 2009).
    Longer movements take longer (Fitts' law): ``mu_slope`` 0.25 gives the
    weak real correlation of log-duration with log-distance (r ~ 0.4).
``sigma``, default [0.15, 0.4]
    Log-time spread: small sigma gives a near-symmetric bell, larger sigma the
    asymmetric profile with a longer deceleration; fitted rapid strokes lie in
    ~0.1-0.5.
``strokes``, default [1, 6]
    A main stroke plus up to five corrective strokes. Pointing is a primary
    sub-movement plus corrections (Meyer et al. 1988); real movements show a
    median of 2 speed peaks (IQR 1-3) and many small late corrections.
``gain``, default [0.6, 1.25]
    Main-stroke amplitude over the distance when corrections follow: people
    mostly undershoot but also overshoot (a quarter of real movements pass
    their end point); the last stroke always lands exactly.
``aim_error``, default [0, 15] degrees; ``correction_error``, [0, 35] degrees
    Direction errors of the main stroke and of non-final corrections; real
    paths bow away from the straight line (median lateral RMS 5 % of the
    distance, straightness 0.90).
``curvature``, default [-1, 1] rad
    Turning angle ``theta_e - theta_s`` of the main stroke: strokes are arcs;
    corrective strokes turn by up to half of that.
``overlap``, default [0.8, 2.0]
    A corrective stroke starts ``overlap * exp(mu_prev)`` after the previous
    one started: corrections overlap the tail of the stroke they correct.
``correction_scale``, default [0.3, 0.45]; ``correction_gain``, [0.6, 1.0]
    A corrective stroke's ``exp(mu)`` relative to the main stroke's, and the
    share of the remaining error it removes.
``drift_px`` [0, 4] px at ``drift_hz`` [2.5, 5.5] Hz
    Slow hand drift around the strokes' path (two sinusoids per axis, zero at
    both ends): recorded hands are never perfectly still between strokes and
    real speed signals carry much 2-10 Hz power.

The movement ends when every stroke is 99.5 % complete (2.6 sigma after its
median); each stroke's travelled fraction is divided by its value at that
time so the strokes' displacements add up to the target exactly.

Recording defaults mimic a browser-recorded mouse: a 125 Hz device
(``poll_hz``) read at ~60 Hz frames with small jitter, whole-millisecond
time stamps and move events only (:mod:`deval.generators.recording`), and a
final click point after a short pause (``dwell_end`` 1, ``dwell_gap``
10-80 ms), as in SapiMouse-dev where 88 % of movements end that way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr

from deval.generators.parameters import ParamSpec, draw_integers, draw_uniform
from deval.generators.scripted import ClosedFormBot, common_params, poll_param
from deval.generators.timing import MotionGrid

__all__ = ["SigmaLognormalBot", "lognormal_fraction", "arc_displacement"]

#: A stroke is considered finished this many sigmas after its median time.
END_SIGMAS = 2.6
#: Sinusoids per axis in the drift term.
DRIFT_COMPONENTS = 2
#: Median distance around which ``mu`` is drawn, pixels.
REFERENCE_DISTANCE = 450.0


def lognormal_fraction(t: np.ndarray, t0: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Travelled fraction ``Phi((ln(t - t0) - mu) / sigma)`` of a lognormal stroke (0 before ``t0``)."""
    dt = t - t0
    safe = np.where(dt > 0, dt, 1.0)
    return np.where(dt > 0, ndtr((np.log(safe) - mu) / sigma), 0.0)


def arc_displacement(chord: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arc length and start direction of arcs with a given chord and turning angle.

    Parameters
    ----------
    chord : ndarray, (..., 2)
        Net displacement of each stroke, pixels.
    delta : ndarray, (...)
        Turning angle ``theta_e - theta_s`` (radians, non-zero).

    Returns
    -------
    length, theta_s, delta : ndarrays (...)
        Arc length ``|chord| (delta / 2) / sin(delta / 2)`` and start angle
        ``angle(chord) - delta / 2``.
    """
    half = delta / 2.0
    length = np.hypot(chord[..., 0], chord[..., 1]) * half / np.sin(half)
    theta_s = np.arctan2(chord[..., 1], chord[..., 0]) - half
    return length, theta_s, delta


class SigmaLognormalBot(ClosedFormBot):
    """Sum of lognormal strokes along circular arcs (Kinematic Theory); the most human-like scripted style."""

    name = "sigma-lognormal"
    description = "Plamondon's sigma-lognormal model: overlapping lognormal strokes along arcs (most human-like)"
    param_specs = (
        ParamSpec("mu", (-1.8, -1.3), "log-time (log s) of the main stroke at 450 px", "float-range", -4.0, 1.0),
        ParamSpec("mu_slope", 0.25, "mu grows by mu_slope * ln(distance / 450 px)", "float", 0.0, 1.0),
        ParamSpec("sigma", (0.15, 0.4), "log-time spread of each stroke", "float-range", 0.05, 1.0),
        ParamSpec("strokes", (1, 6), "strokes per movement (main + corrective)", "int-range", 1, 6),
        ParamSpec("gain", (0.6, 1.25), "main-stroke amplitude / distance", "float-range", 0.3, 2.0),
        ParamSpec("aim_error", (0.0, 15.0), "sd of the main-stroke direction error, degrees", "float-range", 0.0, 45.0),
        ParamSpec("curvature", (-1.0, 1.0), "turning angle of the main stroke, rad", "float-range", -3.0, 3.0),
        ParamSpec("overlap", (0.8, 2.0), "corrective onset after the previous stroke's start, x its exp(mu)",
                  "float-range", 0.05, 5.0),
        ParamSpec("correction_scale", (0.3, 0.45), "exp(mu) of a corrective stroke / main stroke's",
                  "float-range", 0.05, 2.0),
        ParamSpec("correction_gain", (0.6, 1.0), "share of the remaining error a (non-final) corrective stroke "
                  "removes", "float-range", 0.0, 2.0),
        ParamSpec("correction_error", (0.0, 35.0), "sd of a (non-final) corrective stroke's direction error, degrees",
                  "float-range", 0.0, 90.0),
        ParamSpec("drift_px", (0.0, 4.0), "amplitude of slow hand drift around the strokes' path, px",
                  "float-range", 0.0, 100.0),
        ParamSpec("drift_hz", (2.5, 5.5), "frequencies of the drift components, Hz", "float-range", 0.01, 30.0),
        poll_param(125.0),
    ) + common_params(rate_hz=(58.0, 64.0), jitter=(0.02, 0.08), drop=(0.0, 0.0), dwell_start=(0, 0),
                      dwell_end=(1, 1), dwell_gap=(0.01, 0.08), ms_timestamps=True, event_driven=True)

    def _plan(self, dist: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        p = self.params
        n = len(dist)
        k = draw_integers(rng, p["strokes"], n)
        kmax = int(k.max())
        active = np.arange(kmax)[None, :] < k[:, None]
        # main stroke timing; corrective strokes are shorter and start while the previous one runs
        mu = np.empty((n, kmax))
        sigma = draw_uniform(rng, p["sigma"], n * kmax).reshape(n, kmax)
        t0 = np.zeros((n, kmax))
        log_d = np.log(np.maximum(dist, 1.0) / REFERENCE_DISTANCE)
        mu[:, 0] = draw_uniform(rng, p["mu"], n) + p["mu_slope"] * log_d
        for j in range(1, kmax):  # a loop over (at most a few) strokes, not movements
            mu[:, j] = mu[:, 0] + np.log(draw_uniform(rng, p["correction_scale"], n))
            t0[:, j] = t0[:, j - 1] + np.exp(mu[:, j - 1]) * draw_uniform(rng, p["overlap"], n)
        # stroke chords: the main one with gain and direction error, corrections remove the rest
        gain = np.where(k > 1, draw_uniform(rng, p["gain"], n), 1.0)
        err = np.where(k > 1, np.deg2rad(draw_uniform(rng, p["aim_error"], n)) * rng.standard_normal(n), 0.0)
        chord = np.zeros((n, kmax, 2))
        chord[:, 0] = (gain * dist)[:, None] * np.column_stack([np.cos(err), np.sin(err)])
        left = np.column_stack([dist, np.zeros(n)]) - chord[:, 0]
        for j in range(1, kmax):
            last = k == j + 1
            g = np.where(last, 1.0, draw_uniform(rng, p["correction_gain"], n))
            a = np.where(last, 0.0, np.deg2rad(draw_uniform(rng, p["correction_error"], n)) * rng.standard_normal(n))
            c, s = np.cos(a), np.sin(a)
            step = g[:, None] * np.column_stack([c * left[:, 0] - s * left[:, 1], s * left[:, 0] + c * left[:, 1]])
            step[~active[:, j]] = 0.0
            chord[:, j] = step
            left = left - step
        delta = np.empty((n, kmax))
        delta[:, 0] = draw_uniform(rng, p["curvature"], n)
        lo, hi = p["curvature"]
        delta[:, 1:] = rng.uniform(lo / 2.0, hi / 2.0, (n, kmax - 1)) if hi > lo else lo / 2.0
        delta = np.where(np.abs(delta) < 1e-3, np.where(delta < 0, -1e-3, 1e-3), delta)  # keep the arc formula exact
        length, theta_s, delta = arc_displacement(chord, delta)
        length = np.where(active, length, 0.0)
        end = t0 + np.exp(mu + END_SIGMAS * sigma)
        total = np.max(np.where(active, end, 0.0), axis=1)
        # normalise each stroke by its fraction at the end, so the strokes add up to the target exactly
        f_end = np.where(active, lognormal_fraction(total[:, None], t0, mu, sigma), 1.0)
        # drift: DRIFT_COMPONENTS sinusoids per axis with random frequencies and phases
        drift = draw_uniform(rng, p["drift_px"], n)[:, None, None] * rng.uniform(0.3, 1.0, (n, DRIFT_COMPONENTS, 2))
        freq = 2.0 * np.pi * draw_uniform(rng, p["drift_hz"], n * DRIFT_COMPONENTS * 2).reshape(n, DRIFT_COMPONENTS, 2)
        phase = rng.uniform(0.0, 2.0 * np.pi, (n, DRIFT_COMPONENTS, 2))
        # active strokes as flat arrays, movement by movement (first_stroke[i] is movement i's first)
        strokes = {
            "t0": t0[active], "mu": mu[active], "sigma": sigma[active], "inv_f_end": 1.0 / f_end[active],
            "theta_s": theta_s[active], "delta": delta[active], "radius": (length / delta)[active],
            "sin0": np.sin(theta_s[active]), "cos0": np.cos(theta_s[active]),
        }
        first_stroke = np.concatenate([[0], np.cumsum(k)[:-1]])
        return total, (k, first_stroke, strokes, total, drift, freq, phase)

    def _path(self, grid: MotionGrid, dist: np.ndarray, plan: Any, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        k, first_stroke, st, total, drift, freq, phase = plan
        seg = grid.index.seg
        p = len(seg)
        t = grid.s * total[seg]
        # drift, tapered to zero at both ends so the endpoints stay exact
        taper = np.sin(np.pi * grid.s)
        x = np.zeros(p)
        y = np.zeros(p)
        for j in range(DRIFT_COMPONENTS):
            x += drift[seg, j, 0] * np.sin(freq[seg, j, 0] * t + phase[seg, j, 0])
            y += drift[seg, j, 1] * np.sin(freq[seg, j, 1] * t + phase[seg, j, 1])
        x *= taper
        y *= taper
        # strokes: one entry per (point, active stroke of its movement) that has started
        k_point = k[seg]
        point = np.repeat(np.arange(p), k_point)
        within = np.arange(len(point)) - np.repeat(np.cumsum(k_point) - k_point, k_point)
        stroke = first_stroke[seg][point] + within
        since = t[point] - st["t0"][stroke]
        started = since > 0
        point, stroke, since = point[started], stroke[started], since[started]
        f = ndtr((np.log(since) - st["mu"][stroke]) / st["sigma"][stroke]) * st["inv_f_end"][stroke]
        angle = st["theta_s"][stroke] + st["delta"][stroke] * f
        radius = st["radius"][stroke]
        x += np.bincount(point, radius * (np.sin(angle) - st["sin0"][stroke]), minlength=p)
        y += np.bincount(point, radius * (st["cos0"][stroke] - np.cos(angle)), minlength=p)
        return x, y
