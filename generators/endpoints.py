"""Plausible start/end points for generators that are given none.

Real pointer movements (SapiMouse-dev: 15,046 movements) have net
displacements that are roughly log-normal: median ~465 px, standard
deviation of the natural log ~0.83. :func:`draw_endpoints` draws starts
uniformly on a screen, directions uniformly, and distances from that
log-normal, and keeps every end point on the screen.
"""

from __future__ import annotations

import math

import numpy as np

from deval.errors import ConfigError
from deval.trajectories import Endpoints

__all__ = ["draw_endpoints", "SCREEN", "MEDIAN_DISTANCE", "LOG_DISTANCE_SIGMA"]

#: Default screen size (width, height) in pixels.
SCREEN = (1920, 1080)
#: Median net displacement of real movements, pixels.
MEDIAN_DISTANCE = 450.0
#: Standard deviation of log(distance) of real movements.
LOG_DISTANCE_SIGMA = 0.83


def draw_endpoints(
    n: int,
    rng: np.random.Generator,
    screen: tuple[int, int] = SCREEN,
    median_distance: float = MEDIAN_DISTANCE,
    sigma: float = LOG_DISTANCE_SIGMA,
    min_distance: float = 20.0,
    margin: float = 10.0,
) -> Endpoints:
    """Draw ``n`` start/end pairs on a screen.

    Parameters
    ----------
    n : int
        Number of movements.
    rng : numpy Generator
    screen : (width, height)
        Screen size in pixels; points stay ``margin`` pixels inside it.
    median_distance, sigma : float
        Log-normal distance distribution (pixels, log-space sigma).
    min_distance : float
        Shortest distance drawn, pixels.

    Returns
    -------
    Endpoints
        ``start`` and ``end`` (n, 2) in integer pixels; no durations.
    """
    w, h = screen
    if w <= 2 * margin or h <= 2 * margin:
        raise ConfigError(f"screen {screen} is too small")
    lo = np.array([margin, margin])
    hi = np.array([w - margin, h - margin])
    max_dist = math.hypot(*(hi - lo))
    start = np.rint(rng.uniform(lo, hi, size=(n, 2)))
    dist = np.clip(median_distance * np.exp(sigma * rng.standard_normal(n)), min_distance, 0.9 * max_dist)
    angle = rng.uniform(-math.pi, math.pi, n)
    end = np.empty((n, 2))
    todo = np.arange(n)
    for _ in range(20):  # rejection: redraw the direction of ends that leave the screen
        end[todo] = start[todo] + dist[todo, None] * np.column_stack([np.cos(angle[todo]), np.sin(angle[todo])])
        off = ((end[todo] < lo) | (end[todo] > hi)).any(axis=1)
        todo = todo[off]
        if todo.size == 0:
            break
        angle[todo] = rng.uniform(-math.pi, math.pi, todo.size)
    if todo.size:  # rare leftovers: head for the screen centre, stopping at the edge
        centre = (lo + hi) / 2.0
        angle[todo] = np.arctan2(centre[1] - start[todo, 1], centre[0] - start[todo, 0])
        end[todo] = start[todo] + dist[todo, None] * np.column_stack([np.cos(angle[todo]), np.sin(angle[todo])])
    end = np.clip(end, lo, hi)
    end = np.rint(end)
    same = (end == start).all(axis=1)
    end[same, 0] = np.where(start[same, 0] + min_distance <= hi[0], start[same, 0] + min_distance,
                            start[same, 0] - min_distance)
    return Endpoints(start, end)
