"""Noise and correction parts: what a bot author adds on top of a clean route to look human.

Offsets are in pixels in the canonical frame and vanish at both ends, so a
movement still starts and ends exactly on its endpoints.
"""

from __future__ import annotations

import numpy as np

from deval.generators.composite.parts import NoisePart, register_part

__all__ = ["NoNoise", "Gaussian", "Tremor", "Drift", "Overshoot", "Submovements", "PauseBeforeClick"]


def _taper(tau: np.ndarray) -> np.ndarray:
    """0 at both ends, 1 in the middle: the offset envelope."""
    tau = np.clip(tau, 0.0, 1.0)
    return np.where((tau > 0) & (tau < 1), np.sqrt(np.abs(np.sin(np.pi * tau))), 0.0)


def _mj(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s ** 3 * (10.0 - 15.0 * s + 6.0 * s ** 2)


def _zero(u):
    return np.zeros_like(u)


@register_part
class NoNoise(NoisePart):
    name = "none"
    description = "no noise"

    def apply(self, at, u, settings, rng):
        return u, _zero(u), _zero(u)


@register_part
class Gaussian(NoisePart):
    name = "gaussian"
    description = "independent Gaussian jitter on every point (0.3-3 px)"

    def draw(self, dist, duration, rng):
        return {"sigma": rng.uniform(0.3, 3.0, len(dist))}

    def apply(self, at, u, settings, rng):
        amp = settings["sigma"][at.seg] * (np.clip(at.tau, 0, 1) * (1 - np.clip(at.tau, 0, 1)) > 0)
        return u, amp * rng.standard_normal(len(u)), amp * rng.standard_normal(len(u))


@register_part
class Tremor(NoisePart):
    name = "tremor"
    description = "physiological-tremor-like oscillation, 8-12 Hz, 0.3-2 px"

    def draw(self, dist, duration, rng):
        n = len(dist)
        return {"freq": rng.uniform(8.0, 12.0, n), "amp": rng.uniform(0.3, 2.0, n),
                "phase": rng.uniform(0, 2 * np.pi, (n, 2)), "ratio": rng.uniform(0.3, 1.0, n)}

    def apply(self, at, u, settings, rng):
        s = at.seg
        w = 2 * np.pi * settings["freq"][s] * at.t
        env = settings["amp"][s] * _taper(at.tau)
        return (u, env * settings["ratio"][s] * np.sin(w + settings["phase"][s, 0]),
                env * np.sin(w + settings["phase"][s, 1]))


@register_part
class Drift(NoisePart):
    name = "drift"
    description = "slow Ornstein-Uhlenbeck drift (a wandering hand), pinned to zero at both ends"

    def draw(self, dist, duration, rng):
        n = len(dist)
        # a smooth random function of the phase: a few random sinusoids (an OU-like 1/f^2 spectrum)
        k = np.arange(1, 7)
        amp = rng.uniform(0.03, 1.0, n)[:, None] * dist[:, None] * 0.02 / k[None, :]
        return {"ax": amp * rng.standard_normal((n, 6)), "ay": amp * rng.standard_normal((n, 6))}

    def apply(self, at, u, settings, rng):
        tau = np.clip(at.tau, 0.0, 1.0)[:, None]
        k = np.arange(1, 7)[None, :]
        basis = np.sin(np.pi * k * tau)  # 0 at both ends
        return u, (settings["ax"][at.seg] * basis).sum(1), (settings["ay"][at.seg] * basis).sum(1)


@register_part
class Overshoot(NoisePart):
    name = "overshoot"
    description = "passes the target by 3-15% of the distance, then comes back"

    def draw(self, dist, duration, rng):
        n = len(dist)
        return {"over": rng.uniform(0.03, 0.15, n), "split": rng.uniform(0.65, 0.85, n)}

    def primary_phase(self, tau, seg, settings):
        return np.clip(tau / settings["split"][seg], 0.0, 1.0)

    def apply(self, at, u, settings, rng):
        over, split = settings["over"][at.seg], settings["split"][at.seg]
        back = 1.0 + over - over * _mj((at.tau - split) / (1.0 - split))
        return np.where(at.tau < split, u * (1.0 + over), back), _zero(u), _zero(u)


@register_part
class Submovements(NoisePart):
    name = "submovements"
    description = "a primary movement that misses, then 1-3 corrective sub-movements"

    def draw(self, dist, duration, rng):
        n = len(dist)
        return {"k": rng.integers(1, 4, n), "along": rng.uniform(-0.12, 0.08, n),
                "side": rng.uniform(-0.05, 0.05, n) * dist, "primary": rng.uniform(0.55, 0.8, n)}

    def primary_phase(self, tau, seg, settings):
        return np.clip(tau / settings["primary"][seg], 0.0, 1.0)

    def apply(self, at, u, settings, rng):
        s = at.seg
        k, p = settings["k"][s], settings["primary"][s]
        along, side = settings["along"][s], settings["side"][s]
        tau = np.clip(at.tau, 0.0, 1.0)
        # after the primary movement (which misses by `along` and `side`), each of k corrections removes
        # an equal share of the error with a minimum-jerk stroke
        width = (1.0 - p) / k
        j = np.clip(np.floor((tau - p) / width), 0, k - 1)
        done = (j + _mj((tau - p - j * width) / width)) / k
        left = np.where(tau < p, 1.0, 1.0 - done)
        primary = tau < p
        u_out = np.where(primary, u * (1.0 + along), 1.0 + along * left)
        dy = np.where(primary, side * u, side * left)
        return u_out, _zero(u), dy


@register_part
class PauseBeforeClick(NoisePart):
    name = "pause"
    description = "arrives early and rests on the target before the click (10-40% of the time)"

    def draw(self, dist, duration, rng):
        return {"arrive": rng.uniform(0.6, 0.9, len(dist))}

    def primary_phase(self, tau, seg, settings):
        return np.clip(tau / settings["arrive"][seg], 0.0, 1.0)

    def apply(self, at, u, settings, rng):
        return u, _zero(u), _zero(u)
