"""``deval compare`` on sets with a press channel: the ``actions`` metric group and its report section."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.compare import CompareSettings, action_comparison, compare_sets, press_profile
from deval.generators.gestures import GesturesBot
from deval.trajectories import Trajectories

FAST = CompareSettings(seed=0, metrics=("actions", "distances"), baselines=False)


def test_press_profile_on_a_hand_made_set():
    # 10 Hz, two sequences: a press of 3 samples released inside, and a press held to the end
    pts = np.zeros((10, 2))
    pts[:, 0] = np.arange(10) * 50.0  # moving right 50 px per step
    a = np.zeros(10, bool)
    a[2:5] = True
    b = np.zeros(10, bool)
    b[7:] = True
    tr = Trajectories.from_list([pts, pts], press=[a, b], dt=0.1)
    prof = press_profile(tr)
    assert prof["duty"] == pytest.approx(6 / 20)
    assert prof["presses_per_seq"] == 1.0
    np.testing.assert_allclose(prof["durations"], [0.3, 0.3])  # to the release; to the end plus one step
    # both presses move 100 px right, above the click limit of 0.02 * 1080 = 21.6 px
    assert prof["mix"]["horizontal"] == 1.0


def test_same_generator_reads_close_and_clicks_read_far():
    real = GesturesBot(action_type="mixed").sample(400, seed=0)
    same = GesturesBot(action_type="mixed").sample(400, seed=1)
    clicks = GesturesBot(action_type="click", complexity="long").sample(400, seed=2)
    res = compare_sets(real, {"same": same, "clicks": clicks}, FAST)
    close, far = (r.metrics for r in res.rows)
    assert close["gesture_mix_max_diff_pts"] < 8.0 and close["press_duration_ks"] < 0.1
    assert close["presses_per_seq"] == pytest.approx(close["presses_per_seq_real"], abs=0.15)
    assert far["gesture_click_pct"] == 100.0 and far["presses_per_seq"] == 1.0
    real_click_pct = res.rows[0].details["actions"]["real"]["gesture_mix_pct"]["click"]
    assert far["gesture_mix_max_diff_pts"] == pytest.approx(100.0 - real_click_pct)
    assert far["press_duration_ks"] > 0.3
    assert far["press_duty_real"] == close["press_duty_real"] == pytest.approx(real.press.mean())
    assert res.rows[1].details["actions"]["fake"]["n_presses"] == 400


def test_no_press_channel_no_actions_columns():
    real = GesturesBot(action_type="swipe").sample(100, seed=0)
    plain = Trajectories(real.x, real.y, real.t, real.offsets, None, real.meta)
    res = compare_sets(real, {"plain": plain}, FAST)
    assert "press_duty" not in res.rows[0].metrics and "actions" not in res.rows[0].details


def test_action_comparison_without_presses_on_one_side():
    real = GesturesBot(action_type="click").sample(50, seed=0)
    idle = Trajectories(real.x, real.y, real.t, real.offsets, np.zeros(real.n_points, bool), real.meta)
    out, details = action_comparison(real, idle)
    assert out["press_duty"] == 0.0 and np.isnan(out["press_duration_ks"])
    assert out["gesture_none_pct"] == 100.0 and out["gesture_mix_max_diff_pts"] == 100.0
    assert details["fake"]["press_duration_median_s"] is None


def test_cli_report_has_the_actions_section(tmp_path):
    GesturesBot(action_type="mixed").sample(150, seed=0).save(tmp_path / "real.npz")
    GesturesBot(action_type="swipe").sample(150, seed=1).save(tmp_path / "swipes.npz")
    out = tmp_path / "rep"
    r = CliRunner().invoke(cli, ["compare", str(tmp_path / "real.npz"), str(tmp_path / "swipes.npz"), "--out",
                                 str(out), "--metrics", "c2st,actions", "--no-baselines", "-q"])
    assert r.exit_code == 0, r.output
    m = pd.read_csv(out / "metrics.csv")
    assert {"press_duty", "presses_per_seq", "press_duration_ks", "press_duration_w1_s",
            "gesture_mix_max_diff_pts", "gesture_diagonal_pct"} <= set(m.columns)
    assert m["presses_per_seq"][0] == 1.0
    html = (out / "report.html").read_text()
    assert "Actions (press channel)" in html and "gesture mix max diff pts" in html
    payload = json.loads((out / "metrics.json").read_text())
    assert payload["fakes"][0]["details"]["actions"]["real"]["gesture_mix_pct"]["click"] >= 0
