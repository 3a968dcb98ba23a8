"""Loggers: clocks, stamps and pixel grids against known answers."""

from __future__ import annotations

import numpy as np
import pytest

from deval.errors import ConfigError
from deval.relogging import CLOCKS, LOGGERS, Logger, draw_loggers, relog_each
from deval.trajectories import Trajectories


def _straight(n=20, duration=1.0, dist=600.0, rate=1000.0):
    """n movements along x at constant speed, recorded at `rate` with sub-pixel positions."""
    k = int(duration * rate) + 1
    t = np.tile(np.linspace(0.0, duration, k), n)
    x = np.tile(np.linspace(0.0, dist, k), n) + np.repeat(np.arange(n) * 3.0, k)
    y = np.repeat(np.arange(n) * 10.0 + 0.25, k)
    return Trajectories.from_arrays(x, y, t, lengths=np.full(n, k))


def test_ticks_sample_at_the_rate_and_keep_the_exact_ends():
    tr = _straight()
    out = Logger("ticks", rate_hz=50.0, pixel=0.0).relog(tr, 0)
    out.validate()
    steps = np.diff(out.t)[np.diff(out.segment_ids) == 0]
    assert np.allclose(steps, 0.02)
    assert np.allclose(out.lengths, 51)  # 0, 0.02, ..., 1.0
    assert np.array_equal(out.x[out.first_index], tr.x[tr.first_index])
    assert np.array_equal(out.x[out.last_index], tr.x[tr.last_index])
    # constant speed: interpolated positions are exact
    rel = out.t - out.t[out.first_index][out.segment_ids]
    assert np.allclose(out.x - out.x[out.first_index][out.segment_ids], rel * 600.0)


def test_millisecond_stamps_and_whole_pixels():
    out = Logger("ticks", rate_hz=333.0, jitter=0.2, time_resolution=0.001).relog(_straight(), 1)
    out.validate()
    ms = out.t * 1000.0
    inner = np.ones(out.n_points, bool)
    inner[out.first_index] = inner[out.last_index] = False
    assert np.allclose(ms[inner], np.round(ms[inner]), atol=1e-6)
    assert np.array_equal(out.x[inner], np.round(out.x[inner]))
    assert np.array_equal(out.y[inner], np.round(out.y[inner]))


def test_coarse_timer_drops_samples_that_share_a_stamp():
    out = Logger("ticks", rate_hz=500.0, time_resolution=0.015625).relog(_straight(), 0)
    out.validate()
    steps = np.diff(out.t)[np.diff(out.segment_ids) == 0]
    # one sample per 15.6 ms tick (the end may fall inside the last tick)
    assert np.allclose(steps[:-1][steps[:-1] > 0.0157], 0.015625 * np.round(steps[:-1][steps[:-1] > 0.0157] / 0.015625))
    assert np.median(steps) == pytest.approx(0.015625)


def test_events_record_only_when_the_pixel_changes():
    # 100 px in 1 s seen at 1000 Hz: one event per pixel, so about 100 points instead of 1000
    tr = _straight(n=5, dist=100.0)
    out = Logger("events", event_hz=1000.0).relog(tr, 0)
    out.validate()
    assert np.all(np.abs(out.lengths - 101) <= 2)
    inner_moves = np.hypot(np.diff(out.x), np.diff(out.y))[np.diff(out.segment_ids) == 0]
    assert (inner_moves > 0).all()


def test_coalesced_frames_hold_the_latest_report():
    out = Logger("coalesced", rate_hz=60.0, event_hz=125.0, pixel=0.0).relog(_straight(n=3), 0)
    out.validate()
    steps = np.diff(out.t)[np.diff(out.segment_ids) == 0]
    assert np.median(steps) == pytest.approx(1 / 60, rel=1e-6)
    # positions lag the frame time by less than one device period (8 ms at 600 px/s = 4.8 px)
    rel = out.t - out.t[out.first_index][out.segment_ids]
    lag = rel * 600.0 - (out.x - out.x[out.first_index][out.segment_ids])
    inner = np.ones(out.n_points, bool)
    inner[out.last_index] = False
    assert (lag[inner] >= -1e-9).all() and (lag[inner] <= 600.0 / 125 + 1e-9).all()


@pytest.mark.parametrize("name", list(LOGGERS))
def test_named_loggers_give_valid_movements_with_exact_ends(name):
    from deval.data import load_sample

    real = load_sample()[:200]
    out = LOGGERS[name].relog(real, 0)
    out.validate()
    assert len(out) == len(real) and (out.lengths >= 2).all()
    assert np.array_equal(out.x[out.last_index], real.x[real.last_index])
    assert np.allclose(out.durations, real.durations, atol=0.02 + 1 / LOGGERS[name].rate_hz)
    assert out.meta["user"].tolist() == real.meta["user"].tolist()


def test_relog_each_is_seeded_keeps_order_and_names_the_logger():
    from deval.data import load_sample

    real = load_sample()[:300]
    loggers = draw_loggers(5, np.random.default_rng(0))
    a, b = relog_each(real, loggers, 3), relog_each(real, loggers, 3)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.t, b.t)
    assert set(a.meta["logger"]) <= {lg.name for lg in loggers}
    assert np.array_equal(a.x[a.first_index], real.x[real.first_index])
    assert {lg.clock for lg in draw_loggers(60, np.random.default_rng(1))} == set(CLOCKS)


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="clock"):
        Logger("sometimes")
    with pytest.raises(ConfigError, match="rate_hz"):
        Logger(rate_hz=0.0)
    with pytest.raises(ConfigError, match="every clock"):
        draw_loggers(2, np.random.default_rng(0), exclude_clock=CLOCKS)
