"""Speed parts: how far along its route a movement is at each phase of its duration."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from deval.generators.composite.parts import SpeedPart, register_part

__all__ = ["Constant", "MinimumJerk", "Lognormal", "EASING_KINDS"]

DIRECTIONS = ("in", "out", "in-out")


def _in_curve(kind: str, s: np.ndarray) -> np.ndarray:
    """The ``in`` easing of a kind on [0, 1] (easings.net definitions)."""
    if kind == "quad":
        return s ** 2
    if kind == "cubic":
        return s ** 3
    if kind == "sine":
        return 1.0 - np.cos(0.5 * np.pi * s)
    if kind == "expo":
        return np.where(s <= 0, 0.0, 2.0 ** (10.0 * s - 10.0) - 2.0 ** -10.0 * (1.0 - s))
    if kind == "back":  # pulls back before going (undershoots below 0)
        c = 1.70158
        return (c + 1.0) * s ** 3 - c * s ** 2
    if kind == "elastic":  # oscillates before going
        return np.where((s <= 0) | (s >= 1), s, -(2.0 ** (10.0 * s - 10.0)) * np.sin((10.0 * s - 10.75) * 2 * np.pi / 3))
    raise ValueError(kind)


def _eased(kind: str, s: np.ndarray, direction: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    e_in = _in_curve(kind, s)
    e_out = 1.0 - _in_curve(kind, 1.0 - s)
    lo = 0.5 * _in_curve(kind, np.minimum(2.0 * s, 1.0))
    hi = 1.0 - 0.5 * _in_curve(kind, np.minimum(2.0 * (1.0 - s), 1.0))
    e_inout = np.where(s < 0.5, lo, hi)
    return np.select([direction == 0, direction == 1], [e_in, e_out], e_inout)


class _Easing(SpeedPart):
    kind = ""

    def draw(self, n, rng):
        return {"direction": rng.integers(0, len(DIRECTIONS), n)}

    def progress(self, tau, seg, settings):
        return _eased(self.kind, tau, settings["direction"][seg])


EASING_KINDS = ("quad", "cubic", "sine", "expo", "back", "elastic")
for _kind in EASING_KINDS:
    register_part(type(f"Ease{_kind.title()}", (_Easing,), {
        "name": _kind, "kind": _kind, "__module__": __name__,
        "description": f"{_kind} easing, in, out or in-out (drawn per movement)"}))


@register_part
class Constant(SpeedPart):
    name = "constant"
    description = "constant speed"

    def progress(self, tau, seg, settings):
        return np.clip(tau, 0.0, 1.0)


@register_part
class MinimumJerk(SpeedPart):
    name = "minimum-jerk"
    description = "Flash & Hogan minimum-jerk profile 10s^3 - 15s^4 + 6s^5"

    def progress(self, tau, seg, settings):
        s = np.clip(tau, 0.0, 1.0)
        return s ** 3 * (10.0 - 15.0 * s + 6.0 * s ** 2)


@register_part
class Lognormal(SpeedPart):
    name = "lognormal"
    description = "one lognormal stroke (asymmetric bell-shaped speed)"

    def draw(self, n, rng):
        sigma = rng.uniform(0.15, 0.6, n)
        mu = np.log(rng.uniform(0.3, 0.6, n)) + sigma ** 2  # the speed peak lands inside the movement
        return {"sigma": sigma, "mu": mu}

    def progress(self, tau, seg, settings):
        sigma, mu = settings["sigma"][seg], settings["mu"][seg]
        t0 = 1e-3
        f = lambda x: ndtr((np.log(np.maximum(x, 1e-12) + t0) - mu) / sigma)  # noqa: E731
        lo, hi = f(np.zeros_like(tau)), f(np.ones_like(tau))
        return np.clip((f(np.clip(tau, 0.0, 1.0)) - lo) / np.maximum(hi - lo, 1e-12), 0.0, 1.0)
