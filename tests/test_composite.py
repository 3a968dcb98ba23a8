"""The composite generator: parts drawn per movement, recorded in metadata, each doing what it says."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from deval.errors import ConfigError
from deval.generators import get
from deval.generators.composite import FAMILIES, PathPart, part, part_names, register_part
from deval.generators.composite.parts import PARTS, MotionPoints
from deval.trajectories import Endpoints


def _cond(n, dist=400.0, seed=0):
    rng = np.random.default_rng(seed)
    start = rng.uniform(200, 800, (n, 2))
    angle = rng.uniform(-np.pi, np.pi, n)
    end = start + dist * np.column_stack([np.cos(angle), np.sin(angle)])
    return Endpoints(start, end)


def test_every_family_has_the_parts_the_design_space_promises():
    assert {"line", "bezier", "catmull-rom", "arc", "wind", "spring", "recorded"} <= set(part_names("path"))
    assert {"constant", "quad", "cubic", "sine", "expo", "back", "elastic", "minimum-jerk",
            "lognormal"} <= set(part_names("speed"))
    assert {"ticks", "jittered-ticks", "events", "coalesced", "ms-ticks", "coarse-timer"} <= set(part_names("timing"))
    assert {"none", "gaussian", "tremor", "drift", "overshoot", "submovements", "pause"} <= set(part_names("noise"))


def test_movements_record_their_parts_and_hit_their_endpoints():
    cond = _cond(600)
    tr = get("composite")().sample(600, cond=cond, seed=0)
    tr.validate()
    for fam in FAMILIES:
        assert set(tr.meta[fam]) == set(part_names(fam)), fam
    assert set(tr.meta["duration_model"]) == {"fitts", "free"}
    assert np.allclose(tr.x[tr.first_index], cond.start[:, 0]) and np.allclose(tr.y[tr.last_index], cond.end[:, 1])
    assert np.isfinite(tr.x).all() and (tr.lengths >= 2).all()


def test_same_seed_same_bytes_and_parts_can_be_restricted():
    g = get("composite")(paths="line", speeds="constant", noises="none", timings="ticks")
    a, b = g.sample(50, cond=_cond(50), seed=4), g.sample(50, cond=_cond(50), seed=4)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.t, b.t)
    assert set(a.meta["path"]) == {"line"} and set(a.meta["noise"]) == {"none"}
    # a straight line at constant speed on a metronome: every point on the chord, evenly spaced in time
    seg = a.segment_ids
    c = _cond(50)
    d = np.column_stack([a.x, a.y]) - c.start[seg]
    u = (c.end - c.start)[seg] / np.linalg.norm(c.end - c.start, axis=1)[seg, None]
    lateral = np.abs(d[:, 0] * u[:, 1] - d[:, 1] * u[:, 0])
    assert lateral.max() <= 0.75  # whole-pixel rounding only
    with pytest.raises(ConfigError, match="unknown path part"):
        get("composite")(paths="line,teleport")


def test_paths_start_at_zero_end_at_the_target_and_differ():
    d = np.array([50.0, 300.0, 1500.0])
    shapes = {}
    for name in part_names("path"):
        poly = part("path", name).polyline(d, np.random.default_rng(0))
        assert poly.shape[0] == 3 and poly.shape[2] == 2
        assert np.allclose(poly[:, 0], 0.0) and np.allclose(poly[:, -1, 0], d) and np.allclose(poly[:, -1, 1], 0.0)
        shapes[name] = np.abs(poly[..., 1]).max(axis=1) / d
    assert shapes["line"].max() == 0.0
    assert all(shapes[n].max() > 0.005 for n in ("bezier", "arc", "catmull-rom", "wind"))


@pytest.mark.parametrize("name", ["constant", "quad", "cubic", "sine", "expo", "back", "elastic", "minimum-jerk",
                                  "lognormal"])
def test_speed_profiles_go_from_zero_to_one(name):
    p = part("speed", name)
    rng = np.random.default_rng(0)
    settings = p.draw(30, rng)
    seg = np.repeat(np.arange(30), 101)
    tau = np.tile(np.linspace(0, 1, 101), 30)
    u = p.progress(tau, seg, settings)
    assert np.allclose(u[tau == 0], 0.0, atol=1e-6) and np.allclose(u[tau == 1], 1.0, atol=1e-6)
    if name == "minimum-jerk":  # the analytic profile: half way at half time, speed peak there
        assert u[50] == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["none", "gaussian", "tremor", "drift", "overshoot", "submovements", "pause"])
def test_noise_vanishes_at_both_ends(name):
    p = part("noise", name)
    rng = np.random.default_rng(0)
    dist, dur = np.full(20, 400.0), np.full(20, 0.8)
    settings = p.draw(dist, dur, rng)
    seg = np.repeat(np.arange(20), 2)
    tau = np.tile([0.0, 1.0], 20)
    phase = p.primary_phase(tau, seg, settings)
    u, dx, dy = p.apply(MotionPoints(tau, tau * 0.8, seg, dist, dur), phase, settings, rng)
    assert np.allclose(u[tau == 0], 0.0) and np.allclose(u[tau == 1], 1.0)
    assert np.allclose(dx, 0.0) and np.allclose(dy, 0.0)


def test_overshoot_passes_the_target_and_pause_rests_on_it():
    cond = _cond(40)
    over = get("composite")(paths="line", speeds="minimum-jerk", noises="overshoot", timings="ms-ticks").sample(
        40, cond=cond, seed=1)
    seg = over.segment_ids
    along = ((over.x - cond.start[seg, 0]) * np.cos(cond.angle)[seg]
             + (over.y - cond.start[seg, 1]) * np.sin(cond.angle)[seg])
    assert (np.bincount(seg, weights=along > cond.distance[seg] + 5) > 0).mean() > 0.9
    rest = get("composite")(paths="line", speeds="minimum-jerk", noises="pause", timings="ms-ticks").sample(
        40, cond=cond, seed=1)
    at_end = np.hypot(rest.x - cond.end[rest.segment_ids, 0], rest.y - cond.end[rest.segment_ids, 1]) < 1.0
    assert (np.bincount(rest.segment_ids, weights=at_end) >= 3).mean() > 0.9


def test_register_part_validates_and_plugins_can_add_a_path():
    class Zigzag(PathPart):
        name = "zigzag"
        description = "test path"

        def polyline(self, dist, rng):
            s = np.linspace(0, 1, 9)
            y = np.where(np.arange(9) % 2, 10.0, 0.0)
            y[-1] = 0.0
            return np.stack([s[None] * dist[:, None], np.broadcast_to(y, (len(dist), 9))], -1)

    try:
        register_part(Zigzag)
        tr = get("composite")(paths="zigzag").sample(10, cond=_cond(10), seed=0)
        assert set(tr.meta["path"]) == {"zigzag"}
        with pytest.raises(ConfigError, match="already registered"):
            register_part(type("Zigzag2", (Zigzag,), {}))
    finally:
        PARTS["path"].unregister("zigzag")
    with pytest.raises(ConfigError, match="kebab-case"):
        register_part(type("Bad", (PathPart,), {"name": "Bad Name", "polyline": lambda self, d, r: None}))
    with pytest.raises(ConfigError, match="already registered"):
        register_part(type("Line2", (PathPart,), {"name": "line", "polyline": lambda self, d, r: None}))
    with pytest.raises(ConfigError, match="subclass"):
        register_part(object)
