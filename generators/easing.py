"""Easing functions: how a scripted bot advances along its path over time.

Each maps the time phase ``s`` in [0, 1] to path progress in [0, 1], with
``f(0) = 0`` and ``f(1) = 1``. These are the curves of animation and
automation libraries (CSS ``ease-in-out``, ``smoothstep``...). Bots choose one
per movement.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EASINGS", "ease"]

#: Easing names, in the order of their integer codes.
EASINGS: tuple[str, ...] = (
    "linear", "ease-in-out-sine", "ease-in-out-quad", "ease-in-out-cubic", "smoothstep", "smootherstep",
    "ease-out-quad", "ease-out-cubic",
)


def _in_out_power(s: np.ndarray, k: int) -> np.ndarray:
    return np.where(s < 0.5, 0.5 * (2.0 * s) ** k, 1.0 - 0.5 * (2.0 * (1.0 - s)) ** k)


def ease(s: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Progress along the path for phases ``s`` (P,) with easing ``EASINGS[code]`` (P,) per point."""
    s = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
    out = np.empty_like(s)
    code = np.broadcast_to(np.asarray(code), s.shape)
    for k, name in enumerate(EASINGS):  # a fixed handful of vectorised branches
        m = code == k
        if not m.any():
            continue
        v = s[m]
        if name == "linear":
            r = v
        elif name == "ease-in-out-sine":
            r = 0.5 - 0.5 * np.cos(np.pi * v)
        elif name == "ease-in-out-quad":
            r = _in_out_power(v, 2)
        elif name == "ease-in-out-cubic":
            r = _in_out_power(v, 3)
        elif name == "smoothstep":
            r = v * v * (3.0 - 2.0 * v)
        elif name == "smootherstep":
            r = v ** 3 * (v * (6.0 * v - 15.0) + 10.0)
        elif name == "ease-out-quad":
            r = 1.0 - (1.0 - v) ** 2
        else:  # ease-out-cubic
            r = 1.0 - (1.0 - v) ** 3
        out[m] = r
    return out
