"""What every generator must do, as a check anyone can run: :func:`check_generator`.

The counterpart of scikit-learn's ``check_estimator`` for deval generators.
Each check raises :class:`AssertionError` naming itself and what went wrong::

    from deval.generators.contract import check_generator
    check_generator(lambda: MyBot(speed=(500.0, 900.0)))

It takes a factory (a fresh, identical generator per call), so that "same
seed, same output" is checked across instances, not only across calls.
Pointing generators must put every movement's first and last points exactly
on the endpoints they are given; ``actions`` generators (fixed-length
sequences with a press channel) are checked for shape and seeding only.
"""

from __future__ import annotations

import json
import math
from typing import Callable

import numpy as np

from deval.errors import ConfigError
from deval.generators.base import Generator
from deval.trajectories import Endpoints, Trajectories

__all__ = ["CHECKS", "check_generator", "random_endpoints"]


def random_endpoints(n: int, seed: int = 0, integer: bool = False) -> Endpoints:
    """Endpoints on a 1920x1080 screen with log-normal distances (fractional pixels unless ``integer``),
    durations of 0.3-1.5 s and 12-80 points."""
    rng = np.random.default_rng(seed)
    start = rng.uniform([50, 50], [1870, 1030], size=(n, 2))
    ang = rng.uniform(-math.pi, math.pi, n)
    dist = np.clip(450 * np.exp(0.8 * rng.standard_normal(n)), 5, 1500)
    end = start + dist[:, None] * np.column_stack([np.cos(ang), np.sin(ang)])
    if integer:
        start, end = np.rint(start), np.rint(end)
    return Endpoints(start, end, rng.uniform(0.3, 1.5, n), rng.integers(12, 80, n))


def _inner_steps(traj: Trajectories) -> np.ndarray:
    inner = np.ones(max(traj.n_points - 1, 0), dtype=bool)
    inner[traj.offsets[1:-1] - 1] = False
    return inner


def _check(condition: bool, name: str, message: str) -> None:
    if not condition:
        raise AssertionError(f"{name}: {message}")


def check_hits_endpoints(make, n):
    gen = make()
    if gen.kind != "pointing":
        return
    cond = random_endpoints(n, seed=1)
    traj = gen.sample(n, cond=cond, seed=0)
    _check(len(traj) == n, "hits_endpoints", f"{len(traj)} movements for n={n}")
    _check(np.allclose(traj.start, cond.start, rtol=0, atol=1e-9), "hits_endpoints", "first points miss the starts")
    _check(np.allclose(traj.end, cond.end, rtol=0, atol=1e-6), "hits_endpoints", "last points miss the targets")


def check_time_and_values(make, n):
    traj = make().sample(n, seed=2)
    traj.validate()
    _check(bool(np.all(traj.t[traj.first_index] == 0.0)), "time", "a movement does not start at t = 0")
    _check(bool(np.all(np.diff(traj.t)[_inner_steps(traj)] > 0)), "time", "time does not strictly increase")
    _check(bool(np.all(traj.lengths >= 2)), "time", "a movement has fewer than 2 points")
    for name in ("x", "y", "t"):
        _check(bool(np.isfinite(getattr(traj, name)).all()), "finite", f"{name} holds NaN or inf")


def check_seeding(make, n):
    cond = random_endpoints(n, seed=5) if make().kind == "pointing" else None
    a = make().sample(n, cond=cond, seed=123)
    b = make().sample(n, cond=cond, seed=123)
    for name in ("x", "y", "t", "offsets"):
        _check(np.array_equal(getattr(a, name), getattr(b, name)), "seeding", f"same seed, different {name}")
    c = make().sample(n, cond=cond, seed=124)
    _check(a.n_points != c.n_points or not np.array_equal(a.x, c.x) or not np.array_equal(a.t, c.t),
           "seeding", "different seeds give the same movements")


def check_labels(make, n):
    gen = make()
    traj = gen.sample(10, seed=0)
    _check(bool((traj.label == 1).all()), "labels", "movements are not labelled 1 (bot)")
    _check(bool((traj.style == gen.name).all()), "labels", f"style is not the generator's name {gen.name!r}")
    _check(len(traj.meta) == len(traj), "labels", "metadata rows do not match the movements")


def check_sizes(make, n):
    gen = make()
    _check(len(gen.sample(0, seed=0)) == 0, "sizes", "n=0 does not give an empty set")
    _check(len(gen.sample(1, seed=0)) == 1, "sizes", "n=1 does not give one movement")
    for bad in (-1, 2.5, True):
        try:
            gen.sample(bad)
        except ConfigError:
            continue
        raise AssertionError(f"sizes: n={bad!r} was accepted")
    if gen.kind == "pointing":
        try:
            gen.sample(4, cond=random_endpoints(3), seed=0)
        except ConfigError:
            return
        raise AssertionError("sizes: 3 endpoints for n=4 were accepted")


def check_description(make, n):
    cls = type(make())
    text = cls.describe()
    _check(text.split(":")[0].split(" ")[0] == cls.name, "description", "describe() does not start with the name")
    for spec in cls.param_specs:
        _check(spec.name in text, "description", f"describe() does not list {spec.name!r}")
    json.dumps(cls.info())
    try:
        cls(no_such_param_for_the_contract=1)
    except ConfigError:
        return
    raise AssertionError("description: an unknown parameter was accepted")


#: name -> check(make, n); run in this order by :func:`check_generator`.
CHECKS: dict[str, Callable[[Callable[[], Generator], int], None]] = {
    "hits_endpoints": check_hits_endpoints, "time_and_values": check_time_and_values, "seeding": check_seeding,
    "labels": check_labels, "sizes": check_sizes, "description": check_description,
}


def check_generator(make: Callable[[], Generator], n: int = 64) -> list[str]:
    """Run every check of :data:`CHECKS` on generators built by ``make``; returns the names of the checks run.

    Raises
    ------
    AssertionError
        The first failed check, named.
    """
    for check in CHECKS.values():
        check(make, n)
    return list(CHECKS)
