"""Loggers: clocks, stamps, grids, preprocessing, fitting and re-recording against known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deval.errors import ConfigError
from deval.errors import DataError
from deval.loggers import (DRAWN_KINDS, LOGGERS, ClipIntervals, CoalescedClock, ContinuousMotion, EmpiricalClock,
                           EventClock, Logger, LoggerFitWarning, PollClock, PositionGrid, Resample, SparseClock,
                           StampGrid, Truncate, draw_loggers, parse_logger, relog_each)
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
    out = Logger(PollClock(50.0), StampGrid(0.0), PositionGrid(0.0)).relog(tr, 0)
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
    out = Logger(PollClock(333.0, 0.2), StampGrid(0.001)).relog(_straight(), 1)
    out.validate()
    ms = out.t * 1000.0
    inner = np.ones(out.n_points, bool)
    inner[out.first_index] = inner[out.last_index] = False
    assert np.allclose(ms[inner], np.round(ms[inner]), atol=1e-6)
    assert np.array_equal(out.x[inner], np.round(out.x[inner]))
    assert np.array_equal(out.y[inner], np.round(out.y[inner]))


def test_coarse_timer_drops_samples_that_share_a_stamp():
    out = Logger(PollClock(500.0), StampGrid(0.015625)).relog(_straight(), 0)
    out.validate()
    steps = np.diff(out.t)[np.diff(out.segment_ids) == 0]
    # one sample per 15.6 ms tick (the end may fall inside the last tick)
    assert np.allclose(steps[:-1][steps[:-1] > 0.0157], 0.015625 * np.round(steps[:-1][steps[:-1] > 0.0157] / 0.015625))
    assert np.median(steps) == pytest.approx(0.015625)


def test_events_record_only_when_the_pixel_changes():
    # 100 px in 1 s seen at 1000 Hz: one event per pixel, so about 100 points instead of 1000
    tr = _straight(n=5, dist=100.0)
    out = Logger(EventClock(1000.0), StampGrid(0.0)).relog(tr, 0)
    out.validate()
    assert np.all(np.abs(out.lengths - 101) <= 2)
    inner_moves = np.hypot(np.diff(out.x), np.diff(out.y))[np.diff(out.segment_ids) == 0]
    assert (inner_moves > 0).all()


def test_coalesced_frames_hold_the_latest_report():
    out = Logger(CoalescedClock(60.0, 125.0, 0.0), StampGrid(0.0), PositionGrid(0.0)).relog(_straight(n=3), 0)
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
    if not LOGGERS[name].steps:  # the end is recorded at the first sample at or after it
        late = out.durations - real.durations
        assert late.min() >= -0.016 and np.median(late) <= 2 * LOGGERS[name].clock.median_interval
    assert out.meta["user"].tolist() == real.meta["user"].tolist()


def test_relog_each_is_seeded_keeps_order_and_names_the_logger():
    from deval.data import load_sample

    real = load_sample()[:300]
    loggers = draw_loggers(5, np.random.default_rng(0))
    a, b = relog_each(real, loggers, 3), relog_each(real, loggers, 3)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.t, b.t)
    assert set(a.meta["logger"]) <= {lg.name for lg in loggers}
    assert np.array_equal(a.x[a.first_index], real.x[real.first_index])
    assert {lg.kind for lg in draw_loggers(60, np.random.default_rng(1))} == set(DRAWN_KINDS)


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="clock"):
        Logger("sometimes")
    with pytest.raises(ConfigError, match="rate_hz"):
        PollClock(rate_hz=0.0)
    with pytest.raises(ConfigError, match="low < high"):
        ClipIntervals(0.009, 0.007)
    with pytest.raises(ConfigError, match="every clock"):
        draw_loggers(2, np.random.default_rng(0), exclude_clock=DRAWN_KINDS)


def test_a_poll_records_still_samples_and_an_event_logger_does_not():
    # a motion that stands still for its middle half
    tr = _straight(n=4, dist=100.0)
    x = tr.x.copy()
    rel = tr.t - tr.t[tr.first_index][tr.segment_ids]
    x = np.where((rel > 0.25) & (rel < 0.75), tr.x[tr.first_index][tr.segment_ids] + 25.0, x)
    x = np.where(rel >= 0.75, tr.x[tr.first_index][tr.segment_ids] + 25.0 + (rel - 0.75) * 300.0, x)
    still = tr.with_points(x, tr.y, tr.t)
    poll = Logger(PollClock(100.0)).relog(still, 0)
    events = Logger(EventClock(100.0)).relog(still, 0)
    step = lambda r: np.hypot(np.diff(r.x), np.diff(r.y))[np.diff(r.segment_ids) == 0]
    assert np.mean(step(poll) == 0) > 0.3
    assert np.mean(step(events) == 0) == 0


def test_sparse_clock_has_long_irregular_intervals_with_gaps():
    out = Logger(SparseClock(0.08, 0.3, 0.1, 0.05), StampGrid(0.001), PositionGrid(0.0)).relog(
        _straight(n=50, duration=3.0), 0)
    out.validate()
    steps = np.diff(out.t)[np.diff(out.segment_ids) == 0]
    assert 0.07 <= np.median(steps) <= 0.11
    assert steps.max() > 3 * 0.08          # gaps
    assert np.std(steps) / np.mean(steps) > 0.3


def test_preprocessing_steps():
    tr = _straight(n=3)
    clipped = Logger(PollClock(125.0, 0.4), StampGrid(0.0), steps=(ClipIntervals(0.007, 0.009),)).relog(tr, 0)
    steps = np.diff(clipped.t)[np.diff(clipped.segment_ids) == 0]
    assert steps.min() >= 0.007 - 1e-12 and steps.max() <= 0.009 + 1e-12
    assert np.mean(np.isclose(steps, 0.009)) > 0.05
    res = Resample(50).apply(tr)
    assert (res.lengths == 50).all() and np.allclose(res.durations, tr.durations)
    assert np.allclose(np.diff(res.x)[np.diff(res.segment_ids) == 0], 600.0 / 49)
    cut = Truncate(10).apply(tr)
    assert (cut.lengths == 10).all() and np.array_equal(cut.x[:10], tr.x[:10])


def test_continuous_motion_is_exact_on_smooth_motion_and_keeps_its_samples():
    # a quadratic path sampled at 60 Hz: the recovered motion between samples is near the truth
    # (straight lines between samples are off by up to a*h^2/8)
    t = np.linspace(0.0, 0.5, 31)
    x, y = 2000.0 * t ** 2, 100.0 * t
    tr = Trajectories.from_arrays(x, y, t, lengths=np.array([31]))
    motion = ContinuousMotion.from_recording(tr)
    q = np.linspace(0.0, 0.5, 1001)
    mx, my = motion(np.zeros_like(q, dtype=np.int64), q)
    assert np.abs(mx - 2000.0 * q ** 2).max() < 0.05          # linear interpolation: 4000 * h^2 / 8 = 0.14 px
    assert np.allclose(my, 100.0 * q)
    sx, _ = motion(np.zeros(31, dtype=np.int64), t)
    assert np.allclose(sx, x)


def _kinds_reference():
    from deval.data import load_sample

    return load_sample()[:400]


@pytest.mark.parametrize("name, words", [
    ("poll-125hz-ms", ["fixed-rate poll", "125 Hz", "records stills", "1 ms stamps", "whole px"]),
    ("poll-125hz-clipped-f32", ["fixed-rate poll", "dt clipped to 7-9 ms", "float32 round-off", "whole px"]),
    ("events-1000hz-ms", ["high-rate events", "records on change"]),
    ("frames-60hz-mouse-125hz", ["display-frame events", "records on change", "1 ms stamps"]),
    ("frames-240hz-hidpi", ["HiDPI 2x", "0.1 ms stamps"]),
    ("remote-desktop-120ms", ["sparse remote-desktop"]),
    ("windows-timer-100hz", ["15.6 ms timer stamps", "fixed-rate poll"]),
    ("poll-120hz-subpixel", ["sub-pixel positions"]),
])
def test_fit_recognises_the_kind_of_a_known_logger(name, words):
    rec = LOGGERS[name].relog(_kinds_reference(), 0)
    text = Logger.fit(rec).describe()
    for w in words:
        assert w in text, (w, text)


def test_fit_reads_float_round_off_as_whole_pixels_and_resampling_as_a_step():
    rec = LOGGERS["poll-125hz-ms"].relog(_kinds_reference(), 0)
    noisy = rec.with_points(rec.x + 2e-5, rec.y - 1.5e-5, rec.t)
    assert Logger.fit(noisy).positions.step == 1.0
    fixed = Resample(64).apply(rec)
    fitted = Logger.fit(fixed)
    assert fitted.steps == (Resample(64),)
    out = fitted.relog(_kinds_reference()[:20], 0)
    assert (out.lengths == 64).all()


def test_fit_refuses_too_few_movements_and_warns_on_an_unknown_kind():
    ref = _kinds_reference()
    with pytest.raises(DataError, match=r"ref.npz: 49 movements are too few to fit a logger"):
        Logger.fit(ref[:49], source="ref.npz")
    # intervals spread over two orders of magnitude, no periodicity, no stills
    rng = np.random.default_rng(0)
    lengths = np.full(100, 30)
    dt = np.exp(rng.uniform(np.log(0.002), np.log(0.2), 100 * 30))
    dt[np.arange(0, 3000, 30)] = 0.0
    t = np.cumsum(dt) - np.repeat(np.cumsum(dt)[::30], 30)
    x = np.cumsum(rng.integers(1, 5, 3000)).astype(float)
    odd = Trajectories.from_arrays(x, x * 0.5, t, lengths=lengths)
    with pytest.warns(LoggerFitWarning, match="could not be recognised"):
        fitted = Logger.fit(odd)
    assert isinstance(fitted.clock, EmpiricalClock) and "empirical" in fitted.describe()


def test_logger_json_round_trip_and_old_records():
    ref = _kinds_reference()
    for lg in [Logger.fit(ref), LOGGERS["poll-125hz-clipped-f32"], parse_logger("sparse:80ms,grid=0.5")]:
        back = Logger.from_dict(json.loads(json.dumps(lg.to_dict())))
        assert back.describe() == lg.describe()
        a, b = lg.relog(ref[:30], 4), back.relog(ref[:30], 4)
        assert np.array_equal(a.t, b.t) and np.array_equal(a.x, b.x)
    old = {"kind": "reference-logger", "intervals_us": [16000, 17000, 16000], "offsets": [0, 2, 3],
           "pixel_grid": True, "pause_factor": 2.5}
    lg = Logger.from_dict(old)
    assert lg.positions.step == 1.0 and lg.stamps.resolution == 0.001 and not lg.clock.records_stills
    with pytest.raises(DataError, match="malformed logger record"):
        Logger.from_dict({"kind": "logger", "clock": {"kind": "warp-drive"}})


def test_logger_specs():
    lg = parse_logger("poll:125hz,clip=7-9ms,f32,stamps=1ms")
    assert isinstance(lg.clock, PollClock) and lg.clock.rate_hz == pytest.approx(125.0)
    assert lg.steps == (ClipIntervals(0.007, 0.009),) and lg.positions.float32
    assert isinstance(parse_logger("sparse:80ms").clock, SparseClock)
    assert parse_logger("coalesced:60hz,device=1000hz").clock.event_hz == pytest.approx(1000.0)
    assert parse_logger("events-125hz-ms") is LOGGERS["events-125hz-ms"]
    for bad, msg in [("warp:3hz", "unknown logger"), ("poll:fast", "not like 125hz"), ("poll:125hz,colour=red",
                     "unknown option"), ("poll:125hz,clip=9", "clip must be like")]:
        with pytest.raises(ConfigError, match=msg):
            parse_logger(bad)


def test_relogging_through_the_fitted_logger_of_the_same_logger_keeps_the_recording_alike():
    """The hand held fixed: movements recorded by a known logger, re-recorded by the logger fitted on them,
    keep their timing and step statistics (the bench measures this with the meter)."""
    ref = _kinds_reference()
    rec = LOGGERS["frames-60hz-mouse-125hz"].relog(ref, 0)
    again = Logger.fit(rec).relog(rec, 1)
    again.validate()
    dt = lambda r: np.diff(r.t)[np.diff(r.segment_ids) == 0]
    assert np.median(dt(again)) == pytest.approx(np.median(dt(rec)), rel=0.05)
    assert np.mean(again.lengths) == pytest.approx(np.mean(rec.lengths), rel=0.1)
    assert np.allclose(again.durations, rec.durations, atol=0.05)


def test_snap_keeps_the_hands_own_samples_at_a_similar_rate():
    rng = np.random.default_rng(0)
    tr = _straight(n=5, rate=100.0)
    noisy = tr.with_points(np.round(tr.x + rng.normal(0, 2.0, tr.n_points)), np.round(tr.y), tr.t)
    same_rate = Logger(PollClock(100.0, 0.05), StampGrid(0.0), PositionGrid(1.0), snap=0.5).relog(noisy, 0)
    keys = set(zip(noisy.x.tolist(), noisy.segment_ids.tolist()))
    kept = np.mean([(x, s) in keys for x, s in zip(same_rate.x.tolist(), same_rate.segment_ids.tolist())])
    assert kept >= 0.98  # the jittered clock drifts past half an interval now and then: those are interpolated
    # four times the rate: the samples between recorded ones are interpolated, not copies
    faster = Logger(PollClock(400.0), StampGrid(0.0), PositionGrid(0.0), snap=0.5).relog(noisy, 0)
    copies = np.mean([(x, s) in keys for x, s in zip(faster.x.tolist(), faster.segment_ids.tolist())])
    assert 0.15 < copies < 0.5


def test_relog_command(tmp_path):
    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.data import load_sample
    from deval.io import load_trajectories

    ref = load_sample()[:300]
    ref.save(tmp_path / "ref.npz")
    r = CliRunner().invoke(cli, ["relog", str(tmp_path / "ref.npz"), "--logger", "sparse:80ms", "--out",
                                 str(tmp_path / "vnc.npz")])
    assert r.exit_code == 0, r.output
    assert "sparse remote-desktop sampling" in r.output
    vnc = load_trajectories(tmp_path / "vnc.npz")
    assert len(vnc) == 300 and np.median(np.diff(vnc.t)[np.diff(vnc.segment_ids) == 0]) > 0.06
    r = CliRunner().invoke(cli, ["relog", str(tmp_path / "ref.npz"), "--like", str(tmp_path / "vnc.npz"), "--out",
                                 str(tmp_path / "again.npz")])
    assert r.exit_code == 0 and "Logger of" in r.output and "sparse remote-desktop" in r.output
    r = CliRunner().invoke(cli, ["relog", str(tmp_path / "ref.npz"), "--like", str(tmp_path / "vnc.npz"), "--out",
                                 str(tmp_path / "again.npz")])
    assert r.exit_code != 0 and "--force" in r.output
    ref[:20].save(tmp_path / "tiny.npz")
    r = CliRunner().invoke(cli, ["relog", str(tmp_path / "ref.npz"), "--like", str(tmp_path / "tiny.npz"), "--out",
                                 str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and "tiny.npz: 20 movements are too few to fit a logger" in r.output
    r = CliRunner().invoke(cli, ["relog", str(tmp_path / "ref.npz"), "--out", str(tmp_path / "x.npz")])
    assert r.exit_code == 2 and "exactly one of --like" in r.output
