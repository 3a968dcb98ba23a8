"""An example third-party deval plugin: a zig-zag generator, and one of each other pluggable kind.

Registered through the entry points of this package's ``pyproject.toml``: the generator
``zigzag = "deval_example_plugin:ZigZagBot"`` (group ``deval.generators``), a composite path part
(``deval.composite.paths``), a compare metric (``deval.metrics``), a diffusion sampler
(``deval.samplers``) and a file format (``deval.formats``).
"""

from __future__ import annotations

import numpy as np
import torch

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


from deval.generators.diffusion.sampler_base import SamplerBase, SchedulerOutput  # noqa: E402


class EulerAncestralSampler(SamplerBase):
    """A diffusion sampler (entry point ``deval.samplers``): Euler ancestral steps in the variance-exploding view.

    With ``sigma = sqrt((1 - abar) / abar)`` and ``z = x / sqrt(abar)``, each step moves ``z`` to
    ``x0 + sigma_down * eps`` and adds ``sigma_up`` of fresh noise, where ``sigma_up**2 + sigma_down**2`` is the
    next sigma squared (k-diffusion's split). It follows the diffusers protocol: ``set_timesteps``, then ``step``.
    """

    name = "euler-ancestral"

    def step(self, model_output, timestep, sample, generator=None) -> SchedulerOutput:
        t = int(timestep)
        prev = self.previous_timestep(t)
        x0, eps = self._x0_eps(model_output, t, sample)
        abar_t, abar_prev = self._abar(t), self._abar(prev)
        sigma, sigma_next = ((1 - abar_t) / abar_t) ** 0.5, ((1 - abar_prev) / abar_prev) ** 0.5
        sigma_up = min(sigma_next, (sigma_next ** 2 * (sigma ** 2 - sigma_next ** 2) / sigma ** 2) ** 0.5)
        sigma_down = (sigma_next ** 2 - sigma_up ** 2) ** 0.5
        z = x0 + sigma_down * eps
        if sigma_up > 0:
            z = z + sigma_up * torch.randn(sample.shape, generator=generator, device=sample.device,
                                           dtype=sample.dtype)
        return SchedulerOutput(z * abar_prev ** 0.5, x0)


from deval.atomic import write_text  # noqa: E402
from deval.errors import DataError  # noqa: E402
from deval.io.formats import FileFormat  # noqa: E402


def load_xyt_lines(path) -> Trajectories:
    """One movement per line: ``x,y,t;x,y,t;...`` (pixels, seconds)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            if line.strip():
                try:
                    rows.append(np.array([p.split(",") for p in line.strip().split(";")], dtype=np.float64))
                except ValueError:
                    raise DataError(path, f"line {i}: expected x,y,t;x,y,t;...") from None
                if rows[-1].ndim != 2 or rows[-1].shape[1] != 3:
                    raise DataError(path, f"line {i}: expected x,y,t;x,y,t;...")
    if not rows:
        raise DataError(path, "no movements")
    pts = np.concatenate(rows)
    return Trajectories.from_arrays(pts[:, 0], pts[:, 1], pts[:, 2], lengths=[len(r) for r in rows])


def save_xyt_lines(traj: Trajectories, path, force: bool = False) -> None:
    """Write one movement per line (atomic; refuses to overwrite without ``force``)."""
    x, y, t = traj.x.tolist(), traj.y.tolist(), traj.t.tolist()
    lines = [";".join(f"{x[i]!r},{y[i]!r},{t[i]!r}" for i in range(a, b))
             for a, b in zip(traj.offsets[:-1].tolist(), traj.offsets[1:].tolist())]
    write_text(path, "\n".join(lines) + "\n", force=force)


#: a file format (entry point ``deval.formats``): read and written for ``.xyt``
XYT_LINES = FileFormat("xyt-lines", load_xyt_lines, save_xyt_lines, (".xyt",), "one movement per line: x,y,t;...")
