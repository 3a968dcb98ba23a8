"""``noise``: a straight line at constant speed with Gaussian jitter.

The simplest "humanised" bot: interpolate linearly from start to target at a
constant speed, add independent Gaussian noise to every point, and a slow
wobble (a Brownian bridge pinned to zero at both ends, in both axes) so the
path is not perfectly straight. Sampling is constant or jittered (timing
parameters).

Per movement, drawn uniformly from the parameter ranges:

* ``speed`` (px/s): duration = distance / speed (at least ``min_duration``);
* ``point_noise`` (px): standard deviation of the per-point jitter;
* ``drift``: standard deviation of the wobble at mid-movement, as a fraction of
  the distance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deval.generators.parameters import ParamSpec, draw_uniform
from deval.generators.scripted import ClosedFormBot, common_params, poll_param
from deval.generators.timing import MotionGrid

__all__ = ["NoiseBot"]


class NoiseBot(ClosedFormBot):
    """Straight line, constant speed, per-point Gaussian jitter and a low-frequency wobble."""

    name = "noise"
    description = "straight line at constant speed with Gaussian per-point jitter and a slow wobble"
    param_specs = (
        ParamSpec("speed", (600.0, 2500.0), "constant cursor speed, px/s", "float-range", 1.0, 1e5),
        ParamSpec("min_duration", 0.08, "shortest movement, s", "float", 0.001, 10.0),
        ParamSpec("point_noise", (0.5, 2.5), "per-point Gaussian jitter sigma, px", "float-range", 0.0, 100.0),
        ParamSpec("drift", (0.0, 0.03), "slow wobble sigma at mid-movement, fraction of the distance",
                  "float-range", 0.0, 0.5),
        poll_param(),
    ) + common_params(rate_hz=(30.0, 100.0), jitter=(0.0, 0.1), drop=(0.0, 0.02), dwell_start=(0, 3),
                      dwell_end=(0, 3))

    def _plan(self, dist: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        n = len(dist)
        speed = draw_uniform(rng, self.params["speed"], n)
        noise = draw_uniform(rng, self.params["point_noise"], n)
        drift = draw_uniform(rng, self.params["drift"], n)
        duration = np.maximum(dist / speed, self.params["min_duration"])
        return duration, (noise, drift)

    def _path(self, grid: MotionGrid, dist: np.ndarray, plan: Any, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        noise, drift = plan
        idx, s = grid.index, grid.s
        seg = idx.seg
        p = idx.n_points
        # Brownian bridge in phase: W(s) with Var W(s) = s, then B(s) = W(s) - s W(1); Var B(1/2) = 1/4.
        ds = np.diff(s, prepend=0.0)
        ds[idx.first] = 0.0
        w = idx.cumsum(np.sqrt(np.maximum(ds, 0.0))[:, None] * rng.standard_normal((p, 2)))
        bridge = w - s[:, None] * w[idx.last][seg]
        scale = (2.0 * drift * dist)[seg]
        x = s * dist[seg] + scale * bridge[:, 0] + noise[seg] * rng.standard_normal(p)
        y = scale * bridge[:, 1] + noise[seg] * rng.standard_normal(p)
        return x, y
