"""An example third-party deval generator: a zig-zag path.

Registered through the entry point ``zigzag = "deval_example_plugin:ZigZagBot"``
in this package's ``pyproject.toml``.
"""

from __future__ import annotations

import numpy as np

from deval.generators import Generator, ParamSpec
from deval.trajectories import Endpoints, Trajectories

__all__ = ["ZigZagBot"]


class ZigZagBot(Generator):
    """Moves to the target along a zig-zag (a triangle wave around the straight line), at constant speed."""

    name = "zigzag"
    description = "zig-zag (triangle wave) around the straight line at constant speed (example plugin)"
    param_specs = (
        ParamSpec("teeth", (2, 6), "zig-zag periods per movement", "int-range", 1, 50),
        ParamSpec("amplitude", (5.0, 30.0), "sideways amplitude, px", "float-range", 0.0, 500.0),
        ParamSpec("speed", (500.0, 1500.0), "speed along the line, px/s", "float-range", 10.0, 1e5),
        ParamSpec("rate_hz", 60.0, "sampling rate, Hz", "float", 1.0, 1000.0),
    )

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        p = self.params
        n = len(cond)
        dist = cond.distance
        teeth = rng.integers(p["teeth"][0], p["teeth"][1] + 1, n)
        amp = rng.uniform(*p["amplitude"], n)
        duration = np.maximum(dist / rng.uniform(*p["speed"], n), 0.05)
        lengths = np.maximum(np.ceil(duration * p["rate_hz"]).astype(np.int64) + 1, 2)
        seg = np.repeat(np.arange(n), lengths)
        pos = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        s = pos / (lengths[seg] - 1)  # phase in [0, 1]
        wave = 2.0 * np.abs(((s * teeth[seg]) % 1.0) - 0.5) - 1.0  # triangle wave, 0 at s = 0 and s = 1
        along, side = s * dist[seg], wave * amp[seg]
        ux = np.cos(cond.angle)[seg]
        uy = np.sin(cond.angle)[seg]
        x = cond.start[seg, 0] + along * ux - side * uy
        y = cond.start[seg, 1] + along * uy + side * ux
        last = np.cumsum(lengths) - 1
        x[last], y[last] = cond.end[:, 0], cond.end[:, 1]  # exactly on target
        t = pos * duration[seg] / (lengths[seg] - 1)
        return Trajectories.from_arrays(x, y, t, lengths=lengths)


# ------------------------------------------------------------------ more plugin kinds, same pattern
from deval.compare import MetricOutput  # noqa: E402
from deval.generators.composite import PathPart  # noqa: E402


class StaircasePath(PathPart):
    """A composite path part: the route climbs to the target in 2-5 steps (entry point ``deval.composite.paths``)."""

    name = "staircase"
    description = "axis-aligned staircase to the target (example plugin)"

    def polyline(self, dist, rng):
        n, k = len(dist), self.points
        steps = rng.integers(2, 6, n)
        s = np.linspace(0.0, 1.0, k)[None, :]
        x = np.floor(s * steps[:, None]) / steps[:, None]
        x[:, -1] = 1.0
        y = 0.1 * np.sin(np.pi * s) * (np.arange(k)[None, :] % 2)  # a small wiggle, 0 at both ends
        return np.stack([x * dist[:, None], y * dist[:, None]], axis=-1)


def median_points_ratio(real, fake, settings, scaler) -> MetricOutput:
    """A compare metric (entry point ``deval.metrics``): median points per fake movement over real's."""
    ratio = float(np.median(fake.traj.lengths) / max(np.median(real.traj.lengths), 1.0))
    return MetricOutput({"median_points_ratio": ratio})
