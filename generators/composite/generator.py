"""``composite``: bots built from independently drawn parts (a design space, not a few points of it).

Each movement draws one part of each family (:mod:`~deval.generators.composite.parts`):
a **path** (line, Bezier, Catmull-Rom, arc, wind or spring physics), a
**speed** profile (constant, six easing families in/out/in-out, minimum jerk,
a lognormal stroke), a **noise** (none, Gaussian, tremor, drift, overshoot,
corrective sub-movements, a pause before the click) and a **timing** (the
logger that records it: fixed, jittered, event-driven, coalesced, millisecond
or coarse-timer clocks), plus a duration (Fitts' law or drawn independently of
the distance). The names land in the ``path``, ``speed``, ``noise``,
``timing`` and ``duration`` metadata columns, so that ``deval evaluate
--holdout leave-one-family-out`` can hold out every movement of a family.

The motion is built in the canonical frame: at phase ``tau = t / duration``
the noise part says where the primary movement is (``primary_phase``), the
speed part how far along the route that is, the noise part how that changes
(overshoot, corrections) and what to add (jitter, tremor, drift); the route is
read at that fraction of its length. The logger then records the motion in
screen pixels.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from deval.errors import ConfigError
from deval.generators.base import Generator
from deval.generators.composite import noises, paths, speeds, timings  # noqa: F401  (register the built-in parts)
from deval.generators.composite.parts import FAMILIES, MotionPoints, part, part_names
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

__all__ = ["CompositeBot"]

#: movements recorded by one drawn logger
LOGGER_BATCH = 16


def _family_spec(family: str) -> ParamSpec:
    return ParamSpec(f"{family}s", ("all",), f"{family} parts to draw from, comma-separated (all: every "
                     f"registered one; see deval list-parts)", "names")


class _Route:
    """Routes as polylines with their arc-length table: positions at route fractions, extrapolated past the ends."""

    def __init__(self, poly: np.ndarray):
        self.poly = poly
        n, k, _ = poly.shape
        seg_len = np.linalg.norm(np.diff(poly, axis=1), axis=2)
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(seg_len, axis=1)], axis=1)
        self.length = np.maximum(cum[:, -1], 1e-9)
        self.frac = cum / self.length[:, None]
        self.frac[:, -1] = 1.0
        start_dir = poly[:, 1] - poly[:, 0]
        end_dir = poly[:, -1] - poly[:, -2]
        self.start_dir = start_dir / np.maximum(np.linalg.norm(start_dir, axis=1, keepdims=True), 1e-12)
        self.end_dir = end_dir / np.maximum(np.linalg.norm(end_dir, axis=1, keepdims=True), 1e-12)

    def at(self, seg: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, k, _ = self.poly.shape
        uc = np.clip(u, 0.0, 1.0)
        j = np.searchsorted((self.frac + 2 * np.arange(n)[:, None]).ravel(), uc + 2 * seg, side="right") - 1
        j = np.clip(j - seg * k, 0, k - 2)
        f0, f1 = self.frac[seg, j], self.frac[seg, j + 1]
        w = np.where(f1 > f0, (uc - f0) / np.where(f1 > f0, f1 - f0, 1.0), 0.0)
        p = self.poly[seg, j] + w[:, None] * (self.poly[seg, j + 1] - self.poly[seg, j])
        below, above = np.minimum(u, 0.0), np.maximum(u - 1.0, 0.0)
        p = p + (below * self.length[seg])[:, None] * self.start_dir[seg] \
            + (above * self.length[seg])[:, None] * self.end_dir[seg]
        return p[:, 0], p[:, 1]


class _Groups:
    """Which movements drew which part of a family, with each part's per-movement settings."""

    def __init__(self, family: str, names: tuple[str, ...], choice: np.ndarray):
        self.family, self.names, self.choice = family, names, choice
        self.parts = [part(family, nm) for nm in names]
        self.local = np.zeros(len(choice), dtype=np.int64)
        self.rows = []
        for k in range(len(names)):
            rows = np.flatnonzero(choice == k)
            self.local[rows] = np.arange(len(rows))
            self.rows.append(rows)
        self.settings: list[dict] = [{} for _ in names]

    def label(self) -> np.ndarray:
        return np.asarray(self.names, dtype=object)[self.choice]


class CompositeBot(Generator):
    """Bots combined from a path, a speed profile, a noise and a timing part (see the module docs)."""

    name = "composite"
    description = ("bot design space: path x speed profile x noise/corrections x logger, drawn per movement; "
                   "parts in the path/speed/noise/timing columns")
    param_specs: ClassVar[tuple[ParamSpec, ...]] = tuple(_family_spec(f) for f in FAMILIES) + (
        ParamSpec("fitts_share", 0.5, "share of movements timed by Fitts' law (the rest: durations drawn "
                  "independently of the distance, 0.15-2 s)", "float", 0.0, 1.0),
        ParamSpec("use_duration", False, "follow durations given with the endpoints, e.g. by --like", "bool"),
    )

    def __init__(self, **params):
        super().__init__(**params)
        self.families = {f: self._allowed(f) for f in FAMILIES}

    def _allowed(self, family: str) -> tuple[str, ...]:
        asked = self.params[f"{family}s"]
        known = part_names(family)
        if asked == ("all",):
            return known
        unknown = [a for a in asked if a not in known]
        if unknown:
            raise ConfigError(f"composite: unknown {family} part(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return tuple(dict.fromkeys(asked))

    def _durations(self, cond: Endpoints, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n, dist = len(cond), cond.distance
        fitts = rng.random(n) < self.params["fitts_share"]
        a, b, w = rng.uniform(0.05, 0.3, n), rng.uniform(0.05, 0.25, n), rng.uniform(10.0, 40.0, n)
        free = np.exp(rng.uniform(np.log(0.15), np.log(2.0), n))
        duration = np.where(fitts, a + b * np.log2(1.0 + dist / w), free)
        model = np.where(fitts, "fitts", "free").astype(object)
        if self.params["use_duration"] and cond.duration is not None:
            duration, model = np.asarray(cond.duration, float), np.full(n, "given", dtype=object)
        return np.maximum(duration, 0.02), model

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        n = len(cond)
        dist = np.maximum(cond.distance, 1e-6)
        groups = {f: _Groups(f, names, rng.integers(len(names), size=n)) for f, names in self.families.items()}
        duration, model = self._durations(cond, rng)
        poly = np.zeros((n, 64, 2))
        path_g = groups["path"]
        for k, p in enumerate(path_g.parts):
            rows = path_g.rows[k]
            if len(rows):
                out = p.polyline(dist[rows], rng)
                poly = poly if out.shape[1] == poly.shape[1] else np.zeros((n, out.shape[1], 2))
                poly[rows] = out
        route = _Route(poly)
        speed_g, noise_g = groups["speed"], groups["noise"]
        for k, p in enumerate(speed_g.parts):
            speed_g.settings[k] = p.draw(len(speed_g.rows[k]), rng)
        for k, p in enumerate(noise_g.parts):
            rows = noise_g.rows[k]
            noise_g.settings[k] = p.draw(dist[rows], duration[rows], rng)
        cos, sin = np.cos(cond.angle), np.sin(cond.angle)
        noise_rng = np.random.default_rng(rng.integers(2**63))

        def position(seg: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            tau = t / duration[seg]
            phase, u = tau.copy(), np.empty(len(t))
            noise_of, speed_of = noise_g.choice[seg], speed_g.choice[seg]
            for k, p in enumerate(noise_g.parts):
                m = noise_of == k
                if m.any():
                    phase[m] = p.primary_phase(tau[m], noise_g.local[seg[m]], noise_g.settings[k])
            for k, p in enumerate(speed_g.parts):
                m = speed_of == k
                if m.any():
                    u[m] = p.progress(phase[m], speed_g.local[seg[m]], speed_g.settings[k])
            dx, dy = np.zeros(len(t)), np.zeros(len(t))
            for k, p in enumerate(noise_g.parts):
                m = noise_of == k
                if m.any():
                    local = noise_g.local[seg[m]]
                    # settings, dist and duration are indexed by the movement's number within the part
                    at = MotionPoints(tau[m], t[m], local, dist[noise_g.rows[k]], duration[noise_g.rows[k]])
                    u[m], dx[m], dy[m] = p.apply(at, u[m], noise_g.settings[k], noise_rng)
            cx, cy = route.at(seg, u)
            cx, cy = cx + dx, cy + dy
            return (cond.start[seg, 0] + cx * cos[seg] - cy * sin[seg],
                    cond.start[seg, 1] + cx * sin[seg] + cy * cos[seg])

        return self._record(groups["timing"], position, duration, cond, rng).with_meta(
            **{f: g.label() for f, g in groups.items()}, duration_model=model)

    @staticmethod
    def _record(timing: _Groups, position, duration, cond: Endpoints, rng) -> Trajectories:
        """Record each batch of movements through a logger drawn from its timing part; input order kept."""
        pieces, order = [], []
        for k, p in enumerate(timing.parts):
            rows = timing.rows[k]
            for b in range(0, len(rows), LOGGER_BATCH):
                idx = rows[b:b + LOGGER_BATCH]
                logger = p.logger(rng)
                rec = logger.record(lambda seg, t, idx=idx: position(idx[seg], t), duration[idx], rng,
                                    start=cond.start[idx], end=cond.end[idx])
                pieces.append(rec.with_meta(logger_rate_hz=np.full(len(idx), 1.0 / logger.clock.median_interval)))
                order.append(idx)
        out = Trajectories.concat(pieces)
        return out[np.argsort(np.concatenate(order), kind="stable")]
