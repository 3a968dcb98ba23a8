"""Trajectory loaders: round trips for every format, the real data, event-log cutting, bad files."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from deval.canonical import to_deltas
from deval.errors import DataError
from deval.io import detect_format, load_trajectories, save_trajectories
from deval.io.actions import save_actions
from deval.io.event_log import DRAG, MOVE, PRESS, RELEASE, SCROLL, CutSettings, cut_events, load_event_log, save_event_log
from deval.io.json_lists import save_json_lists
from deval.io.long_csv import save_long_csv
from deval.io.padded import save_padded
from deval.trajectories import Trajectories


# --------------------------------------------------------------------------- helpers
def make_traj(lengths=(5, 12, 3, 8, 2), seed=0, press=True) -> Trajectories:
    """Movements with irregular timestamps, random positions, press flags and metadata."""
    rng = np.random.default_rng(seed)
    movs, presses = [], []
    for n in lengths:
        t = np.concatenate([[0.0], np.cumsum(rng.uniform(0.005, 0.03, n - 1))])
        movs.append(np.column_stack([rng.normal(500, 100, n), rng.normal(300, 100, n), t]))
        presses.append(rng.random(n) < 0.3)
    n = len(lengths)
    meta = {
        "style": [["human", "spline", "gan"][i % 3] for i in range(n)],
        "user": np.arange(n) + 7,
        "session": [f"s{i % 2}" for i in range(n)],
        "label": [i % 2 for i in range(n)],
    }
    return Trajectories.from_list(movs, press=presses if press else None, meta=meta)


def assert_same_points(a: Trajectories, b: Trajectories, t: bool = True, exact: bool = True):
    check = np.testing.assert_array_equal if exact else np.testing.assert_allclose
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.lengths, b.lengths)
    check(a.x, b.x)
    check(a.y, b.y)
    if t:
        check(a.t, b.t)


# --------------------------------------------------------------------------- npz
def test_npz_round_trip(tmp_path):
    tr = make_traj().with_meta(click_end=np.array([True, False, True, False, True]), t_start=np.arange(5.0))
    tr = Trajectories(tr.x, tr.y, tr.t, tr.offsets, tr.press, tr.meta, {"source": "test"})
    path = tmp_path / "a.npz"
    save_trajectories(tr, path)
    back = load_trajectories(path)
    assert_same_points(tr, back)
    np.testing.assert_array_equal(back.press, tr.press)
    pd.testing.assert_frame_equal(back.meta, tr.meta)
    assert back.attrs["source"] == "test"


# --------------------------------------------------------------------------- padded
def test_padded_nan_padding_round_trip(tmp_path):
    tr = make_traj()
    path = tmp_path / "p.npy"
    save_padded(tr, path, channels=("x", "y", "t", "press"))
    assert detect_format(path) == "padded"
    back = load_trajectories(path)  # 4 channels -> x, y, t, press guessed
    assert_same_points(tr, back)
    np.testing.assert_array_equal(back.press, tr.press)


@pytest.mark.parametrize("how", ["lengths_option", "lengths_path", "lengths_sibling", "mask_sibling", "mask_option"])
def test_padded_lengths_and_masks(tmp_path, how):
    tr = make_traj()
    values, mask = tr.to_padded(channels=("x", "y", "t"), fill=0.0)
    path = tmp_path / "data.npy"
    np.save(path, values)
    opts = {}
    if how == "lengths_option":
        opts["lengths"] = tr.lengths
    elif how == "lengths_path":
        np.save(tmp_path / "lens.npy", tr.lengths)
        opts["lengths"] = str(tmp_path / "lens.npy")
    elif how == "lengths_sibling":
        np.save(tmp_path / "data_lengths.npy", tr.lengths)
    elif how == "mask_sibling":
        np.save(tmp_path / "data_mask.npy", mask)
    else:
        opts["mask"] = mask
    back = load_trajectories(path, **opts)
    assert_same_points(tr, back)


def test_padded_without_padding_info_reads_full_rows(tmp_path):
    tr = make_traj(lengths=(6, 6, 6))
    values, _ = tr.to_padded()
    np.save(tmp_path / "full.npy", values)
    assert_same_points(tr, load_trajectories(tmp_path / "full.npy"))


def test_padded_pad_value(tmp_path):
    # zero padding without lengths: trailing rows that are all 0 are padding (an inner 0 point is kept)
    values = np.zeros((2, 4, 2))
    values[0, :3] = [[1, 1], [0, 0], [5, 5]]
    values[1, :4] = [[2, 2], [3, 3], [4, 4], [9, 9]]
    np.save(tmp_path / "z.npy", values)
    back = load_trajectories(tmp_path / "z.npy", pad_value=0)
    np.testing.assert_array_equal(back.lengths, [3, 4])
    np.testing.assert_array_equal(back.x, [1, 0, 5, 2, 3, 4, 9])


def test_padded_xy_only_gets_rate_timestamps(tmp_path):
    tr = make_traj(press=False)
    values, mask = tr.to_padded(channels=("x", "y"), fill=np.nan)
    np.save(tmp_path / "xy.npy", values)
    back = load_trajectories(tmp_path / "xy.npy", rate_hz=100)
    assert_same_points(tr, back, t=False)
    expected_t = np.concatenate([np.arange(n) / 100 for n in tr.lengths])
    np.testing.assert_allclose(back.t, expected_t)
    default = load_trajectories(tmp_path / "xy.npy")  # 60 Hz by default
    np.testing.assert_allclose(np.diff(default.t[:5]), 1 / 60)


def test_padded_time_made_relative_and_ms(tmp_path):
    values = np.full((2, 3, 3), np.nan)
    values[0] = [[0, 0, 1000], [1, 1, 1016], [2, 2, 1040]]
    values[1, :2] = [[5, 5, 20], [6, 6, 36]]
    np.save(tmp_path / "ms.npy", values)
    back = load_trajectories(tmp_path / "ms.npy", time_unit="ms")
    np.testing.assert_allclose(back.t, [0, 0.016, 0.040, 0, 0.016])


@pytest.mark.parametrize("channels", ["dx,dy,dt", "dx,dy", "dx,dy,dt,press"])
def test_padded_deltas_cumsum_from_origin(tmp_path, channels):
    tr = make_traj()
    steps, mask = to_deltas(tr)
    names = channels.split(",")
    cols = {"dx": steps[..., 0], "dy": steps[..., 1], "dt": steps[..., 2], "press": np.ones(mask.shape)}
    values = np.stack([cols[c] for c in names], axis=2)
    np.save(tmp_path / "d.npy", values)
    np.save(tmp_path / "d_mask.npy", mask)
    back = load_trajectories(tmp_path / "d.npy", channels=channels, rate_hz=50)
    # the same movements moved to start at (0, 0); a movement of L steps has L + 1 points
    np.testing.assert_array_equal(back.lengths, tr.lengths)
    start = np.repeat(tr.start, tr.lengths, axis=0)
    np.testing.assert_allclose(back.x, tr.x - start[:, 0], atol=1e-9)
    np.testing.assert_allclose(back.y, tr.y - start[:, 1], atol=1e-9)
    if "dt" in names:
        np.testing.assert_allclose(back.t, tr.t, atol=1e-12)
    else:
        np.testing.assert_allclose(back.t, np.concatenate([np.arange(n) / 50 for n in tr.lengths]))
    if "press" in names:
        assert back.press is not None and back.press.all()


def test_padded_channel_errors(tmp_path):
    np.save(tmp_path / "five.npy", np.zeros((2, 3, 5)))
    with pytest.raises(DataError, match="cannot guess the meaning of 5 channels"):
        load_trajectories(tmp_path / "five.npy")
    tr = load_trajectories(tmp_path / "five.npy", channels="x,y,_,_,t", validate=False)
    assert len(tr) == 2
    for bad, msg in [("x,y", "name 2 channels"), ("x,y,t,dt,_", "mix positions"), ("x,q,t,_,_", "unknown channel"),
                     ("x,x,t,_,_", "repeated")]:
        with pytest.raises(DataError, match=msg):
            load_trajectories(tmp_path / "five.npy", channels=bad)


# --------------------------------------------------------------------------- actions
def test_actions_round_trip_with_seq_len(tmp_path):
    tr = make_traj(lengths=(16, 16, 16))
    path = tmp_path / "run_actions.npy"
    save_actions(tr, path)
    assert detect_format(path) == "actions"
    back = load_trajectories(path, seq_len=16)
    assert_same_points(tr, back, t=False)
    np.testing.assert_array_equal(back.press, tr.press)
    np.testing.assert_allclose(back.t, np.tile(np.arange(16) / 60, 3))


def test_actions_seq_len_from_sidecar_and_screen(tmp_path):
    rng = np.random.default_rng(1)
    flat = np.column_stack([rng.random(40), rng.random(40), rng.random(40) < 0.5])
    np.save(tmp_path / "user1_actions.npy", flat)
    (tmp_path / "user1_meta.json").write_text(json.dumps({"seq_len": 8, "rate_hz": 125}))
    back = load_trajectories(tmp_path / "user1_actions.npy", screen=(1920, 1080))
    assert len(back) == 5 and set(back.lengths) == {8}
    np.testing.assert_allclose(back.x, flat[:, 0] * 1920)
    np.testing.assert_allclose(back.y, flat[:, 1] * 1080)
    np.testing.assert_allclose(back.t[:8], np.arange(8) / 125)
    np.testing.assert_array_equal(back.press, flat[:, 2] > 0.5)
    again = load_trajectories(tmp_path / "user1_actions.npy", screen="1920x1080", seq_len=4)
    assert len(again) == 10


def test_actions_errors(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((10, 3)))
    with pytest.raises(DataError, match="seq_len is needed"):
        load_trajectories(tmp_path / "a.npy")
    with pytest.raises(DataError, match=r"10 rows is not a multiple of seq_len=4 \(2 left over\)"):
        load_trajectories(tmp_path / "a.npy", seq_len=4)
    np.save(tmp_path / "b.npy", np.zeros((10, 5)))
    with pytest.raises(DataError, match="must be \\[N\\*seq_len, 3\\]"):
        load_trajectories(tmp_path / "b.npy", seq_len=5)


# --------------------------------------------------------------------------- long CSV
def test_long_csv_round_trip(tmp_path):
    tr = make_traj()
    path = tmp_path / "long.csv"
    save_long_csv(tr, path)
    assert detect_format(path) == "csv"
    back = load_trajectories(path)
    assert_same_points(tr, back)
    np.testing.assert_array_equal(back.press, tr.press)
    for col in ("style", "user", "session", "label"):
        assert list(back.meta[col]) == list(tr.meta[col])
    # and through the native format and back to CSV: the same file
    save_trajectories(back, tmp_path / "long.npz")
    save_long_csv(load_trajectories(tmp_path / "long.npz"), tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == path.read_text()


def test_long_csv_grouping_relative_time_and_metadata(tmp_path):
    text = (
        "Traj_ID,t,x,y,style,speed\n"
        "b,10.0,0,0,bot,1\n"
        "a,5.0,1,1,human,2\n"
        "b,10.5,2,2,bot,3\n"
        "a,5.25,3,3,human,4\n"
        "b,11.0,4,4,bot,5\n"
    )
    (tmp_path / "m.csv").write_text(text)
    tr = load_trajectories(tmp_path / "m.csv")
    assert list(tr.meta["traj_id"]) == ["b", "a"]  # order of first appearance
    np.testing.assert_array_equal(tr.lengths, [3, 2])
    np.testing.assert_array_equal(tr.x, [0, 2, 4, 1, 3])
    np.testing.assert_allclose(tr.t, [0, 0.5, 1.0, 0, 0.25])
    assert list(tr.style) == ["bot", "human"]
    assert "speed" not in tr.meta.columns  # varies within a movement: not metadata


def test_long_csv_semicolons_and_label_names(tmp_path):
    (tmp_path / "s.csv").write_text("traj_id;t;x;y;label\n1;0;0;0;bot\n1;0.1;5;5;bot\n2;0;1;1;human\n2;0.1;2;2;human\n")
    tr = load_trajectories(tmp_path / "s.csv")
    assert list(tr.label) == [1, 0]


# --------------------------------------------------------------------------- JSON
def test_json_round_trip(tmp_path):
    tr = make_traj(press=False)
    save_json_lists(tr, tmp_path / "a.json")
    back = load_trajectories(tmp_path / "a.json")
    assert_same_points(tr, back)
    assert list(back.style) == list(tr.style) and list(back.user) == list(tr.user)


def test_json_layouts(tmp_path):
    plain = [[[0, 0], [3, 4], [6, 8]], [[1, 1], [2, 2]]]
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    tr = load_trajectories(tmp_path / "plain.json")
    np.testing.assert_array_equal(tr.lengths, [3, 2])
    np.testing.assert_allclose(tr.t, [0, 1 / 60, 2 / 60, 0, 1 / 60])

    timed = {"movements": [{"points": [[0, 0, 2.0], [1, 1, 2.5]], "style": "pid", "user": 4},
                           {"points": [[5, 5, 0.0], [6, 6, 0.1]], "style": "pid"}], "source": "mine"}
    (tmp_path / "timed.json").write_text(json.dumps(timed))
    tr = load_trajectories(tmp_path / "timed.json")
    np.testing.assert_allclose(tr.t, [0, 0.5, 0, 0.1])
    assert list(tr.style) == ["pid", "pid"] and list(tr.user) == [4, -1] and tr.attrs["source"] == "mine"

    cols = [{"x": [0, 1, 2], "y": [0, 1, 2], "t": [0, 8, 16], "label": 1}]
    (tmp_path / "cols.json").write_text(json.dumps(cols))
    tr = load_trajectories(tmp_path / "cols.json", time_unit="ms")
    np.testing.assert_allclose(tr.t, [0, 0.008, 0.016])
    assert list(tr.label) == [1]


# --------------------------------------------------------------------------- real data
def test_sapimouse_dev_loads(sapimouse_path):
    tr = load_trajectories(sapimouse_path)
    assert len(tr) == 15046 and tr.n_points == 558627
    assert set(np.unique(tr.user)) == set(range(1, 73))
    sessions = tr.meta["session"]
    assert sessions.str.fullmatch(r"user\d+(\.\d)?/session_\w+").all()  # e.g. user35.1/session_1min
    # each session name belongs to the movement's own user
    assert (sessions.str.extract(r"user(\d+)")[0].astype(int).to_numpy() == tr.user).all()
    assert tr.meta["click_end"].dtype == bool and not tr.meta["drag"].any()
    assert tr.attrs["source"] == "sapimouse"
    assert np.median(tr.lengths) == 35


# --------------------------------------------------------------------------- event logs
def _log_rows():
    """A hand-built SapiMouse-style log (ms) and the movements it must give.

    Returns ``rows`` (timestamp, button, state, x, y) and the expected kept
    movements as lists of (t_ms, x, y) with their click_end flags.
    """
    rows, expected = [], []

    def move(t, x, y, state="Move", button="NoButton"):
        rows.append((t, button, state, x, y))

    # 1: 12 moves then a press (the press is the last point); a repeated timestamp is dropped
    m1 = [(1000 + 16 * k, 10.0 * k, 0.0) for k in range(12)]
    for k, p in enumerate(m1):
        move(*p)
        if k == 1:
            move(p[0], 999, 999)  # same timestamp as the previous sample: dropped
    move(1192, 120, 0, "Pressed", "Left")
    move(1250, 120, 0, "Released", "Left")
    expected.append((m1 + [(1192, 120.0, 0.0)], True))
    # 2: 11 moves, one step of exactly 300 ms (kept), then a 400 ms pause ends it
    m2 = [(1300 + 16 * k, 200.0, 10.0 * k) for k in range(5)] + [(1364 + 300 + 16 * k, 200.0, 50 + 10.0 * k) for k in range(6)]
    for p in m2:
        move(*p)
    expected.append((m2, False))
    # 3: 10 moves after the pause, ended by a scroll event
    m3 = [(m2[-1][0] + 400 + 16 * k, 300 + 5.0 * k, 300.0) for k in range(10)]
    for p in m3:
        move(*p)
    expected.append((m3, False))
    move(m3[-1][0] + 10, 0, 0, "Down", "Scroll")
    # 4: only 5 moves before a press: too short, dropped
    t0 = m3[-1][0] + 50
    for k in range(5):
        move(t0 + 16 * k, 400 + 30.0 * k, 400.0)
    # a drag: press, 12 drag samples, release (dropped by default)
    press_t = t0 + 16 * 5
    move(press_t, 520, 400, "Pressed", "Left")
    drag = [(press_t, 520.0, 400.0)] + [(press_t + 16 * (k + 1), 520 + 10.0 * (k + 1), 400.0) for k in range(12)]
    for p in drag[1:]:
        move(*p, state="Drag", button="Left")
    rel_t = drag[-1][0] + 16
    move(rel_t, 640, 400, "Released", "Left")
    drag.append((rel_t, 640.0, 400.0))
    # 5: 15 moves with 14 px net displacement: too small, dropped (ends at a click)
    t0 = rel_t + 20
    for k in range(15):
        move(t0 + 16 * k, 640 + 1.0 * k, 400.0)
    move(t0 + 16 * 15, 654, 400, "Pressed", "Left")
    move(t0 + 16 * 15 + 60, 654, 400, "Released", "Left")
    # 6: exactly 10 points (9 moves + the press) and 20 px: kept
    t0 = t0 + 16 * 15 + 100
    m6 = [(t0 + 16 * k, 654 + 2.5 * k, 400.0) for k in range(9)]
    for p in m6:
        move(*p)
    move(t0 + 16 * 9, 674, 400, "Pressed", "Right")
    move(t0 + 16 * 9 + 50, 674, 400, "Released", "Right")
    expected.append((m6 + [(t0 + 16 * 9, 674.0, 400.0)], True))
    return rows, expected, drag


def _write_log(path, rows, header="client timestamp,button,state,x,y", scale=1.0, record=False):
    lines = [("record timestamp," if record else "") + header]
    for t, b, s, x, y in rows:
        ts = f"{t * scale:.6f}" if scale != 1.0 else f"{t}"
        lines.append((f"{ts}," if record else "") + f"{ts},{b},{s},{x:g},{y:g}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_event_log_cutting_known_answer(tmp_path):
    rows, expected, _ = _log_rows()
    path = tmp_path / "user5" / "session_1min.csv"
    _write_log(path, rows)
    assert detect_format(path) == "events"
    tr = load_trajectories(path)
    assert len(tr) == len(expected)
    first_t = rows[0][0]
    for i, (pts, click) in enumerate(expected):
        pts = np.array(pts)
        got = tr.movement(i)
        np.testing.assert_array_equal(got[:, :2], pts[:, 1:])
        np.testing.assert_allclose(got[:, 2], (pts[:, 0] - pts[0, 0]) / 1000, atol=1e-12)
        assert tr.meta["click_end"][i] == click
        assert tr.meta["t_start"][i] == pytest.approx((pts[0, 0] - first_t) / 1000)
    assert not tr.meta["drag"].any() and tr.press is None
    assert set(tr.user) == {5} and set(tr.meta["session"]) == {"user5/session_1min"}
    counts = json.loads(tr.attrs["params"])["segment_counts"]
    assert counts == {"segments": 7, "too_short": 1, "too_small": 1, "drag_dropped": 1, "kept": 4}


def test_event_log_keep_drags(tmp_path):
    rows, expected, drag = _log_rows()
    _write_log(tmp_path / "log.csv", rows)
    tr = load_trajectories(tmp_path / "log.csv", keep_drags=True)
    assert len(tr) == len(expected) + 1
    assert list(tr.meta["drag"]) == [False, False, False, True, False]
    d = np.array(drag)
    np.testing.assert_array_equal(tr.movement(3)[:, :2], d[:, 1:])  # press sample .. release sample
    np.testing.assert_array_equal(tr.press, np.repeat(tr.meta["drag"].to_numpy(), tr.lengths))


def test_event_log_seconds_balabit_layout_and_no_extension(tmp_path):
    rows, expected, _ = _log_rows()
    path = tmp_path / "session_0041905381"
    _write_log(path, rows, scale=1e-3, record=True)  # seconds, record + client timestamp columns
    assert detect_format(path) == "events"
    tr = load_trajectories(path)
    np.testing.assert_array_equal(tr.lengths, [len(p) for p, _ in expected])
    # cutting options reach the cutter (min_points of load_trajectories is its validation threshold)
    loose = load_event_log(path, time_unit="s", max_gap_s=0.5, min_points=2, min_disp_px=10)
    assert len(loose) == len(tr) + 1  # m2 and m3 merge (400 ms pause < 0.5 s); 4 and 5 are kept
    assert len(load_trajectories(path, time_unit="ms", max_gap_s=400)) == len(tr) - 1


def test_event_log_folder(tmp_path):
    rows, expected, _ = _log_rows()
    _write_log(tmp_path / "logs" / "user12" / "session_b.csv", rows)
    _write_log(tmp_path / "logs" / "user3.1" / "session_a.csv", rows)
    tr = load_trajectories(tmp_path / "logs", format="events")
    assert len(tr) == 2 * len(expected)
    assert list(dict.fromkeys(tr.user)) == [3, 12]  # natural order: user3 before user12
    assert list(dict.fromkeys(tr.meta["session"])) == ["user3.1/session_a", "user12/session_b"]
    assert json.loads(tr.attrs["params"])["segment_counts"]["kept"] == 2 * len(expected)


def test_cut_events_vectorised_edge_cases():
    # a log of scroll events only, and a drag without a press at the start of a log
    e = cut_events(np.arange(3.0), np.full(3, SCROLL), np.zeros(3), np.zeros(3))
    assert len(e.lengths) == 0
    kind = np.array([DRAG] * 11 + [RELEASE] + [MOVE] * 11 + [PRESS])
    t = np.arange(len(kind)) * 0.01
    x = np.arange(len(kind)) * 5.0
    res = cut_events(t, kind, x, np.zeros(len(kind)), CutSettings(keep_drags=True))
    np.testing.assert_array_equal(res.drag, [True, False])
    np.testing.assert_array_equal(res.lengths, [12, 12])
    np.testing.assert_array_equal(res.click_end, [False, True])


def test_event_log_round_trip(tmp_path):
    tr = make_traj(lengths=(5, 12, 3, 8, 2, 6), press=False)
    tr = tr.with_meta(click_end=np.array([True, False, True, False, False, False]),
                      drag=np.array([False, False, False, True, False, False]))
    save_event_log(tr, tmp_path / "log.csv", gap_s=1.0)
    assert detect_format(tmp_path / "log.csv") == "events"
    # (load_trajectories keeps min_points for its own validation, so the cutter is called directly)
    back = load_event_log(tmp_path / "log.csv", keep_drags=True, min_disp_px=0, min_points=2).validate()
    np.testing.assert_array_equal(back.offsets, tr.offsets)
    np.testing.assert_array_equal(back.x, tr.x)
    np.testing.assert_array_equal(back.y, tr.y)
    np.testing.assert_allclose(back.t, tr.t, atol=1e-9)
    for col in ("click_end", "drag"):
        np.testing.assert_array_equal(back.meta[col], tr.meta[col])
    np.testing.assert_array_equal(back.press, np.repeat(tr.meta["drag"].to_numpy(), tr.lengths))


def test_sapimouse_through_an_event_log(sapimouse, tmp_path):
    """Real movements written as a raw log and cut again with the default rules come back unchanged
    (they were cut with these rules, so each one is a fixed point; pauses of exactly 0.3 s included)."""
    ref = sapimouse[:3000]
    save_event_log(ref, tmp_path / "sapi.csv")
    back = load_trajectories(tmp_path / "sapi.csv")
    np.testing.assert_array_equal(back.offsets, ref.offsets)
    np.testing.assert_array_equal(back.x, ref.x)
    np.testing.assert_array_equal(back.y, ref.y)
    np.testing.assert_allclose(back.t, ref.t, atol=1e-9)
    np.testing.assert_array_equal(back.meta["click_end"], ref.meta["click_end"])


# --------------------------------------------------------------------------- detection and bad files
def test_detect_format(tmp_path):
    (tmp_path / "a.json").write_text("[]")
    assert detect_format(tmp_path / "a.json") == "json"
    (tmp_path / "b.txt").write_text("timestamp,button,state,x,y\n")
    assert detect_format(tmp_path / "b.txt") == "events"
    (tmp_path / "c.csv").write_text("foo,bar\n1,2\n")
    with pytest.raises(DataError, match="cannot tell the CSV layout"):
        detect_format(tmp_path / "c.csv")
    (tmp_path / "d.xyz").write_text("hello")
    with pytest.raises(DataError, match="unknown file extension"):
        detect_format(tmp_path / "d.xyz")


@pytest.mark.parametrize(
    "name, content, options, message",
    [
        ("text.csv", "traj_id,t,x,y\n1,0,0,0\n1,0.1,abc,1\n", {}, "non-numeric x value 'abc' on line 3"),
        ("nan.csv", "traj_id,t,x,y\n1,0,0,0\n1,0.1,NaN,1\n", {}, "non-finite x value 'NaN' on line 3"),
        ("inf.csv", "traj_id,t,x,y\n1,0,0,0\n1,0.1,inf,1\n", {}, "non-finite x value"),
        ("missing.csv", "traj_id,t,x,y\n1,0,0,0\n1,0.1,,1\n", {}, "missing x value '' on line 3"),
        ("noheader.csv", "1,0,0,0\n1,0.1,1,1\n", {"format": "csv"}, "no header row"),
        ("cols.csv", "traj_id,time,x,y\n1,0,0,0\n", {}, r"missing column\(s\) t "),
        ("back.csv", "traj_id,t,x,y\n1,0,0,0\n1,0.2,1,1\n1,0.1,2,2\n", {}, "not strictly increasing in movement 0"),
        ("short.csv", "traj_id,t,x,y\n1,0,0,0\n1,0.2,1,1\n2,0,0,0\n", {}, "movement 1 has 1 point"),
        ("label.csv", "traj_id,t,x,y,label\n1,0,0,0,maybe\n1,0.2,1,1,maybe\n", {}, "label must be"),
        ("state.csv", "timestamp,button,state,x,y\n0,NoButton,Hover,1,1\n", {}, "unknown event state"),
        ("order.csv", "timestamp,button,state,x,y\n10,NoButton,Move,1,1\n5,NoButton,Move,2,2\n", {},
         "timestamps go backwards on line 3"),
        ("few.csv", "timestamp,button,state,x,y\n0,NoButton,Move,1,1\n16,NoButton,Move,2,2\n", {},
         "no movements left after cutting"),
        ("bad.json", "[[[0, 0], [1, 1]]", {}, "invalid JSON at line 1"),
        ("mixed.json", "[[[0, 0], [1, 1, 2]]]", {}, "points have different sizes"),
        ("null.json", "[[[0, 0], [null, 1]]]", {}, "non-finite or null value in movement 0"),
        ("obj.json", '{"data": []}', {}, "must be one movement"),
        ("shape.json", "[[[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]]", {}, r"points must be \[x, y\]"),
    ],
)
def test_text_files_with_problems(tmp_path, name, content, options, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        load_trajectories(path, **options)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_binary_files_with_problems(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([np.zeros(3), np.zeros(2)], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickled object array"):
        load_trajectories(tmp_path / "obj.npy")
    with pytest.raises(DataError, match="pickled object array"):
        load_trajectories(tmp_path / "obj.npy", format="padded")
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object), y=np.zeros(1), t=np.zeros(1),
             offsets=np.array([0, 1]))
    with pytest.raises(DataError, match="pickled object arrays"):
        load_trajectories(tmp_path / "obj.npz")
    np.save(tmp_path / "v.npy", np.zeros(10))
    with pytest.raises(DataError, match=r"found shape \(10,\)"):
        load_trajectories(tmp_path / "v.npy")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_trajectories(tmp_path / "junk.npz")
    bad = np.full((2, 4, 2), 1.0)
    bad[0, 1] = np.nan  # a NaN row followed by a real row is not padding
    np.save(tmp_path / "hole.npy", bad)
    with pytest.raises(DataError, match="NaN padding must be trailing"):
        load_trajectories(tmp_path / "hole.npy")
    np.save(tmp_path / "l.npy", np.zeros((3, 4, 2)))
    np.save(tmp_path / "l_lengths.npy", np.array([1, 2]))
    with pytest.raises(DataError, match=r"lengths .* has shape \(2,\), expected \(3,\)"):
        load_trajectories(tmp_path / "l.npy")
    for empty in ("e.npy", "e.npz", "e.csv", "e.json"):
        (tmp_path / empty).write_bytes(b"")
        with pytest.raises(DataError, match="empty file"):
            load_trajectories(tmp_path / empty)
    with pytest.raises(DataError, match="no such file"):
        load_trajectories(tmp_path / "absent.npz")


def test_error_messages_are_one_line_and_name_the_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("traj_id,t,x,y\n" + "\n".join(f"1,{k},{k},oops" for k in range(3)))
    with pytest.raises(DataError) as info:
        load_trajectories(path)
    assert re.fullmatch(re.escape(str(path)) + r": [^\n]+", str(info.value))


def test_repeated_timestamps_are_dropped_by_default_or_refused(tmp_path, caplog):
    """1 ms loggers and browsers repeat timestamps: keep the first sample of each, say how many, record the share."""
    from click.testing import CliRunner

    from deval.app.cli.main import cli

    f = tmp_path / "rep.csv"
    f.write_text("traj_id,t,x,y\n1,0,0,0\n1,0.01,1,1\n1,0.01,2,2\n1,0.02,3,3\n2,0,5,5\n2,0.01,6,6\n2,0.02,7,7\n")
    with caplog.at_level("WARNING"):
        tr = load_trajectories(f)
    assert list(tr.lengths) == [3, 3] and list(tr.x[:3]) == [0, 1, 3]
    assert tr.meta["repeated_time_share"].tolist() == pytest.approx([1 / 3, 0.0])
    assert "dropped 1 samples" in caplog.text and str(f) in caplog.text
    with pytest.raises(DataError, match="not strictly increasing in movement 0"):
        load_trajectories(f, on_repeated_time="error")
    r = CliRunner().invoke(cli, ["--on-repeated-time", "error", "convert", str(f), "--out", str(tmp_path / "o.npz")])
    assert r.exit_code != 0 and "not strictly increasing" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["convert", str(f), "--out", str(tmp_path / "o.npz")])
    assert r.exit_code == 0, r.output


def test_json_layouts_that_loggers_write(tmp_path):
    """One movement per file (t in ms), a folder of such files, and a dict of sessions keyed by id."""
    mv = {"x": [0, 3, 9, 20], "y": [0, 1, 2, 2], "t": [1000, 1016, 1033, 1050]}
    (tmp_path / "one.json").write_text(json.dumps(mv))
    one = load_trajectories(tmp_path / "one.json", time_unit="ms")
    assert len(one) == 1 and np.allclose(one.t, [0, 0.016, 0.033, 0.05])
    folder = tmp_path / "recordings"
    folder.mkdir()
    for k in range(3):
        (folder / f"rec{k}.json").write_text(json.dumps({**mv, "x": [v + k for v in mv["x"]]}))
    many = load_trajectories(folder, time_unit="ms")
    assert len(many) == 3 and list(many.meta["session"]) == ["rec0", "rec1", "rec2"]
    sessions = {"s1": [mv, mv], "s2": mv}
    (tmp_path / "sessions.json").write_text(json.dumps(sessions))
    ses = load_trajectories(tmp_path / "sessions.json", time_unit="ms")
    assert len(ses) == 3 and list(ses.meta["session"]) == ["s1", "s1", "s2"]
    deep = "[" * 100000 + "]" * 100000
    (tmp_path / "deep.json").write_text(deep)
    with pytest.raises(DataError, match="deep.json"):
        load_trajectories(tmp_path / "deep.json")
    (tmp_path / "odd.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(DataError, match="one movement"):
        load_trajectories(tmp_path / "odd.json")


def test_unit_traps_warn_or_fail_with_the_numbers(tmp_path, caplog):
    """Normalised coordinates, milliseconds read as seconds and absurd values: warnings with numbers, errors."""
    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.data import load_sample

    real = load_sample()[:50]
    scaled = real.with_points(real.x / 1920, real.y / 1080)
    scaled.save(tmp_path / "scaled.npz")
    ms = real.with_points(real.x, real.y, real.t * 1000)
    ms.save(tmp_path / "ms.npz")
    with caplog.at_level("WARNING"):
        load_trajectories(tmp_path / "scaled.npz")
        load_trajectories(tmp_path / "ms.npz")
    assert "look normalised" in caplog.text and "milliseconds" in caplog.text and "scaled.npz" in caplog.text
    r = CliRunner().invoke(cli, ["--strict", "convert", str(tmp_path / "ms.npz"), "--out", str(tmp_path / "o.npz")])
    assert r.exit_code != 0 and "milliseconds" in r.output and "Traceback" not in r.output
    real.with_points(real.x * 1e12, real.y).save(tmp_path / "huge.npz")
    real.with_points(real.x, real.y, real.t * 1e9).save(tmp_path / "ns.npz")
    for name, words in (("huge.npz", "beyond any screen"), ("ns.npz", "not in seconds")):
        with pytest.raises(DataError, match=words):
            load_trajectories(tmp_path / name)
        r = CliRunner().invoke(cli, ["compare", str(tmp_path / name), str(tmp_path / "ms.npz"), "--out",
                                     str(tmp_path / "rep")])
        assert r.exit_code != 0 and words in r.output and "Traceback" not in r.output
    caplog.clear()
    with caplog.at_level("WARNING"):
        load_trajectories(tmp_path / "../" / tmp_path.name / "scaled.npz")
        load_sample()
    assert caplog.text.count("look normalised") == 1  # real pixels and seconds: no warning


@pytest.mark.parametrize("suffix", [".csv", ".json", ".npy"])
def test_round_trip_out_to_research_layouts_and_back(tmp_path, suffix):
    """real -> deval -> a layout research code reads -> deval: the same arrays (to float tolerance)."""
    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.data import load_sample

    real = load_sample()[:80]
    real.save(tmp_path / "real.npz")
    out = tmp_path / f"out{suffix}"
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "real.npz"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    back = load_trajectories(out)
    np.testing.assert_array_equal(back.offsets, real.offsets)
    for a in ("x", "y", "t"):
        np.testing.assert_allclose(getattr(back, a), getattr(real, a), rtol=0, atol=1e-9)
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "--n", "20", "--out", str(tmp_path / f"n{suffix}")])
    assert r.exit_code == 0, r.output
    assert len(load_trajectories(tmp_path / f"n{suffix}")) == 20
