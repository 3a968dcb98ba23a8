"""Path parts: the route of each movement, in the canonical frame (start (0, 0), target (distance, 0))."""

from __future__ import annotations

from math import comb

import numpy as np

from deval.generators.composite.parts import PathPart, register_part

__all__ = ["Line", "Bezier", "CatmullRom", "Arc", "Wind", "Spring", "resample_polyline"]


def _phases(k: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, k)


def _waypoints(dist: np.ndarray, m: int, rng: np.random.Generator, spread: np.ndarray) -> np.ndarray:
    """(N, m, 2) interior points: along the chord in [-0.1, 1.1] x dist, sideways N(0, spread) x dist."""
    n = len(dist)
    along = np.sort(rng.uniform(-0.1, 1.1, (n, m)), axis=1)
    side = rng.standard_normal((n, m)) * spread[:, None]
    return np.stack([along, side], axis=-1) * dist[:, None, None]


def _through_waypoints(dist: np.ndarray, m: int, rng: np.random.Generator, spread: np.ndarray) -> np.ndarray:
    """(N, m + 2, 2): the start, ``m`` random waypoints (:func:`_waypoints`) and the target."""
    n = len(dist)
    return np.concatenate([np.zeros((n, 1, 2)), _waypoints(dist, m, rng, spread),
                           np.stack([dist, np.zeros(n)], -1)[:, None, :]], axis=1)


def resample_polyline(poly: np.ndarray, k: int) -> np.ndarray:
    """(N, M, 2) polylines re-sampled to ``k`` points evenly spaced along their length."""
    n, m, _ = poly.shape
    seg = np.linalg.norm(np.diff(poly, axis=1), axis=2)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(seg, axis=1)], axis=1)
    total = np.maximum(cum[:, -1:], 1e-12)
    frac = cum / total
    target = np.broadcast_to(_phases(k), (n, k))
    # one global increasing axis: row i lives in [2i, 2i + 1]
    rows = np.arange(n)[:, None]
    j = np.searchsorted((frac + 2 * rows).ravel(), (target + 2 * rows).ravel(), side="right") - 1
    j = np.clip(j.reshape(n, k) - rows * m, 0, m - 2)
    f0 = np.take_along_axis(frac, j, 1)
    f1 = np.take_along_axis(frac, j + 1, 1)
    w = np.where(f1 > f0, (target - f0) / np.where(f1 > f0, f1 - f0, 1.0), 0.0)[..., None]
    p0 = np.take_along_axis(poly, j[..., None].repeat(2, -1), 1)
    p1 = np.take_along_axis(poly, (j + 1)[..., None].repeat(2, -1), 1)
    return p0 + w * (p1 - p0)


@register_part
class Line(PathPart):
    name = "line"
    description = "straight line to the target"

    def polyline(self, dist, rng):
        s = _phases(self.points)
        return np.stack([s[None, :] * dist[:, None], np.zeros((len(dist), self.points))], axis=-1)


@register_part
class Bezier(PathPart):
    name = "bezier"
    description = "Bezier curve with 1-4 random control points"

    def polyline(self, dist, rng):
        n, s = len(dist), _phases(self.points)
        m = rng.integers(1, 5, n)
        spread = rng.uniform(0.05, 0.35, n)
        out = np.empty((n, self.points, 2))
        for k in range(1, 5):  # one vectorised branch per degree
            rows = np.flatnonzero(m == k)
            if not len(rows):
                continue
            ctrl = _through_waypoints(dist[rows], k, rng, spread[rows])
            deg = k + 1
            basis = np.stack([comb(deg, i) * s ** i * (1 - s) ** (deg - i) for i in range(deg + 1)], axis=1)
            out[rows] = np.einsum("ki,nid->nkd", basis, ctrl)
        return out


@register_part
class CatmullRom(PathPart):
    name = "catmull-rom"
    description = "Catmull-Rom spline through 1-3 random waypoints"

    def polyline(self, dist, rng):
        n = len(dist)
        m = rng.integers(1, 4, n)
        spread = rng.uniform(0.05, 0.3, n)
        out = np.empty((n, self.points, 2))
        for k in range(1, 4):
            rows = np.flatnonzero(m == k)
            if not len(rows):
                continue
            pts = _through_waypoints(dist[rows], k, rng, spread[rows])
            # phantom ends by reflection, then k + 1 uniform segments
            ext = np.concatenate([2 * pts[:, :1] - pts[:, 1:2], pts, 2 * pts[:, -1:] - pts[:, -2:-1]], axis=1)
            u = _phases(self.points) * (k + 1)
            i = np.minimum(np.floor(u).astype(int), k)
            f = (u - i)[None, :, None]
            p0, p1, p2, p3 = (ext[:, i + j] for j in range(4))
            out[rows] = 0.5 * (2 * p1 + (-p0 + p2) * f + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f ** 2
                               + (-p0 + 3 * p1 - 3 * p2 + p3) * f ** 3)
        return resample_polyline(out, self.points)


@register_part
class Arc(PathPart):
    name = "arc"
    description = "circular arc, sagitta up to half the distance, either side"

    def polyline(self, dist, rng):
        n = len(dist)
        h = rng.uniform(0.02, 0.5, n) * rng.choice([-1.0, 1.0], n)
        s = np.abs(h) * dist  # sagitta, px
        r = (dist ** 2 / 4 + s ** 2) / (2 * np.maximum(s, 1e-9))
        alpha = np.arcsin(np.clip(dist / (2 * r), 0.0, 1.0))
        phi = (2 * _phases(self.points)[None, :] - 1) * alpha[:, None]
        x = dist[:, None] / 2 + r[:, None] * np.sin(phi)
        y = (s - r)[:, None] + r[:, None] * np.cos(phi)
        return np.stack([x, np.sign(h)[:, None] * y], axis=-1)


def _simulate(dist, rng, step) -> np.ndarray:
    """Run a 2-D point simulation for every movement at once; returns (N, K, 2) resampled to even spacing."""
    n, steps = len(dist), 400
    pos = np.zeros((n, 2))
    vel = np.zeros((n, 2))
    state = {}
    track = np.empty((n, steps + 1, 2))
    track[:, 0] = pos
    target = np.stack([dist, np.zeros(n)], -1)
    for k in range(steps):  # a loop over time steps, vectorised over movements
        pos, vel = step(pos, vel, target, dist, rng, state)
        track[:, k + 1] = pos
    track[:, -1] = target
    return track


@register_part
class Wind(PathPart):
    name = "wind"
    description = "WindMouse-style physics: gravity to the target plus random wind"

    def polyline(self, dist, rng):
        n = len(dist)
        gravity = rng.uniform(5.0, 12.0, n)[:, None] * dist[:, None] / 300.0
        wind_amp = rng.uniform(1.0, 6.0, n)[:, None] * dist[:, None] / 300.0

        def step(pos, vel, target, dist, rng, state):
            wind = state.get("wind", np.zeros_like(pos))
            to = target - pos
            d = np.linalg.norm(to, axis=1, keepdims=True)
            near = d < 0.05 * dist[:, None]
            wind = np.where(near, wind / 3.0, wind / np.sqrt(3.0) + wind_amp * rng.uniform(-1, 1, pos.shape) / np.sqrt(5))
            state["wind"] = wind
            vel = vel + wind + gravity * to / np.maximum(d, 1e-9)
            vmax = np.maximum(dist[:, None] / 25.0, 1.0)
            speed = np.linalg.norm(vel, axis=1, keepdims=True)
            vel = np.where(speed > vmax, vel / np.maximum(speed, 1e-9) * vmax, vel)
            arrived = d < np.maximum(vmax, 1.0)
            return np.where(arrived, target, pos + vel), np.where(arrived, 0.0, vel)

        return resample_polyline(_simulate(dist, rng, step), self.points)


@register_part
class Spring(PathPart):
    name = "spring"
    description = "damped spring (PD controller) pulled to the target, started with a sideways kick"

    def polyline(self, dist, rng):
        n = len(dist)
        omega = rng.uniform(0.03, 0.08, n)[:, None]
        zeta = rng.uniform(0.35, 1.1, n)[:, None]
        kick = rng.uniform(-0.04, 0.04, n) * dist

        def step(pos, vel, target, dist, rng, state):
            if "kicked" not in state:
                vel = vel + np.stack([np.zeros(n), kick], -1)
                state["kicked"] = True
            acc = omega ** 2 * (target - pos) - 2 * zeta * omega * vel
            vel = vel + acc
            return pos + vel, vel

        return resample_polyline(_simulate(dist, rng, step), self.points)


_ROUTES: dict = {}


def recorded_routes(k: int) -> np.ndarray:
    """Routes of the shipped SapiMouse sample in the canonical frame, scaled to unit distance: (M, k, 2).

    Movements shorter than 50 px are left out; each route is re-sampled to
    ``k`` points evenly spaced along its length. Cached per ``k``.
    """
    if k not in _ROUTES:
        from deval.canonical import canonicalize
        from deval.data import load_sample

        real = load_sample()
        canon, _ = canonicalize(real)
        dist = np.hypot(canon.x[canon.last_index], canon.y[canon.last_index])
        keep = np.flatnonzero(dist >= 50.0)
        pad, _ = canon[keep].to_padded(channels=("x", "y"))
        lengths = canon.lengths[keep]
        # hold each movement's last point over the padding, then even spacing along the route
        idx = np.minimum(np.arange(pad.shape[1])[None, :], lengths[:, None] - 1)
        held = np.take_along_axis(pad, idx[..., None].repeat(2, -1), 1)
        routes = resample_polyline(held, k) / dist[keep, None, None]
        _ROUTES[k] = routes
    return _ROUTES[k]


@register_part
class RecordedWarp(PathPart):
    name = "recorded"
    description = "a recorded human route (shipped SapiMouse sample), warped: stretched, sheared and bent"

    def polyline(self, dist, rng):
        routes = recorded_routes(self.points)
        n = len(dist)
        r = routes[rng.integers(len(routes), size=n)].copy()
        s = np.linspace(0.0, 1.0, self.points)[None, :]
        # warp in the unit frame: sideways scale, a shear along the route, a smooth bend; ends stay put
        r[..., 1] *= rng.uniform(0.5, 1.5, n)[:, None]
        r[..., 1] += rng.uniform(-0.1, 0.1, n)[:, None] * np.sin(np.pi * s) * rng.integers(1, 3, n)[:, None]
        r[..., 0] += rng.uniform(-0.05, 0.05, n)[:, None] * np.sin(np.pi * s)
        r[:, 0] = 0.0
        r[:, -1] = (1.0, 0.0)
        return r * dist[:, None, None]
