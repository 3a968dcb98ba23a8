"""The ``gestures`` generator: fixed-length click / swipe / drag sequences with a press channel."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.errors import ConfigError
from deval.generators import available, get
from deval.generators.gestures import DURATIONS, GesturesBot
from deval.io import load_trajectories
from deval.io.actions import to_action_array
from deval.metrics import classify_gestures, press_periods

SCREEN = (1920, 1080)


def sample(n=600, seed=0, **params):
    return GesturesBot(**params).sample(n, seed=seed)


def periods(tr):
    """Press periods of equal-length sequences, with the pressed displacement in pixels."""
    values, mask = to_action_array(tr)
    pp = press_periods(values[..., 2], mask)
    disp = values[pp.seq, pp.stop - 1, :2] - values[pp.seq, pp.start, :2]
    return pp, disp


def classified(tr):
    values, mask = to_action_array(tr, SCREEN)
    return classify_gestures(values, mask, aspect=SCREEN[0] / SCREEN[1])


def test_registered_and_described():
    assert "gestures" in available()
    assert get("gestures") is GesturesBot
    text = GesturesBot.describe()
    assert "action_type = mixed" in text and "complexity = medium" in text


def test_same_seed_same_bytes_and_fixed_length_grid():
    a, b = sample(200, seed=5), sample(200, seed=5)
    for k in ("x", "y", "t", "press"):
        assert getattr(a, k).tobytes() == getattr(b, k).tobytes()
    assert a.meta.equals(b.meta)
    assert not np.array_equal(a.x, sample(200, seed=6).x)
    assert set(a.lengths) == {64}
    np.testing.assert_array_equal(a.t, np.tile(np.arange(64) / 60.0, 200))
    assert a.press.dtype == bool and set(a.style) == {"gestures"} and set(a.label) == {1}
    a.validate()
    assert a.x.min() >= 0 and a.x.max() <= 1919 and a.y.min() >= 0 and a.y.max() <= 1079


def test_custom_grid_and_screen():
    tr = sample(100, seq_len=32, rate_hz=120.0, screen_width=800, screen_height=600, action_type="swipe")
    assert set(tr.lengths) == {32}
    np.testing.assert_allclose(tr.t[:32], np.arange(32) / 120.0)
    assert tr.x.max() <= 799 and tr.y.max() <= 599


@pytest.mark.parametrize("action_type", ["click", "swipe-horizontal", "swipe-vertical", "swipe-diagonal", "swipe"])
def test_single_actions_press_once_with_the_right_type(action_type):
    tr = sample(action_type=action_type)
    pp, disp = periods(tr)
    assert pp.per_sequence().tolist() == [1] * len(tr)
    assert (tr.meta["n_presses"] == 1).all()
    first, last = tr.first_index, tr.last_index
    assert not tr.press[first].any() and not tr.press[last].any()  # every press starts and ends inside
    dist = np.hypot(*disp.T)
    gesture = tr.meta["gesture"].to_numpy()
    if action_type == "click":
        assert dist.max() < 6.0  # tremor only
        assert set(gesture) == {"click"}
    else:
        assert dist.min() > 0.1 * 1080  # swipes are long
        angle = np.degrees(np.arctan2(np.abs(disp[:, 1]), np.abs(disp[:, 0])))
        axis = np.select([gesture == "horizontal", gesture == "vertical"], [0.0, 90.0], 45.0)
        assert np.abs(angle - axis).max() < 12.0 + 2.0  # angle_spread plus the bow and tremor
        if action_type == "swipe":
            counts = {g: np.mean(gesture == g) for g in ("horizontal", "vertical", "diagonal")}
            assert all(abs(v - 1 / 3) < 0.06 for v in counts.values()), counts
        else:
            assert set(gesture) == {action_type.split("-")[1]}
    np.testing.assert_array_equal(classified(tr), gesture)


def test_mixed_sequences_label_the_dominant_press():
    tr = sample(3000, seed=1, action_type="mixed")
    pp, disp = periods(tr)
    n_presses = tr.meta["n_presses"].to_numpy()
    np.testing.assert_array_equal(pp.per_sequence(), n_presses)
    assert set(n_presses) == {2, 3}
    actions = tr.meta["actions"].to_numpy()
    assert all(len(a.split("+")) == k for a, k in zip(actions, n_presses))
    assert {"click", "swipe", "drag"} == {p for a in actions for p in a.split("+")}
    # the label is computed from the plan; the classifier on the points must agree
    agree = np.mean(classified(tr) == tr.meta["gesture"].to_numpy())
    assert agree >= 0.998, agree
    # dominance: the longest pressed displacement beats every other of its sequence by at least ~1 / 0.8
    dist = np.hypot(*disp.T)
    order = np.lexsort((-dist, pp.seq))
    top = np.full(len(tr), -1.0)
    second = np.full(len(tr), -1.0)
    for k in order:  # small test loop over presses
        i = pp.seq[k]
        if top[i] < 0:
            top[i] = dist[k]
        elif second[i] < 0:
            second[i] = dist[k]
    moving = second > 30.0  # sequences with two moving presses
    assert moving.sum() > 500
    assert (top[moving] / second[moving]).min() > 1.15
    # every type shows up; clicks only when every action is a click
    mix = tr.meta["gesture"].value_counts(normalize=True)
    assert set(mix.index) == {"click", "horizontal", "vertical", "diagonal"}
    only_clicks = np.array([set(a.split("+")) == {"click"} for a in actions])
    np.testing.assert_array_equal(tr.meta["gesture"].to_numpy() == "click", only_clicks)


@pytest.mark.parametrize("kind,action_type", [("click", "click"), ("swipe", "swipe")])
def test_complexity_sets_press_durations(kind, action_type):
    step = 1 / 60
    medians = []
    for level in ("short", "medium", "long"):
        pp, _ = periods(sample(400, action_type=action_type, complexity=level, seq_len=96))
        seconds = pp.lengths * step
        lo, hi = DURATIONS[level][kind]
        assert seconds.min() >= lo - step - 1e-9 and seconds.max() <= hi + step + 1e-9, (level, seconds.min(),
                                                                                        seconds.max())
        medians.append(np.median(seconds))
    assert medians[0] < medians[1] < medians[2]


def test_long_actions_are_shrunk_to_fit_short_sequences():
    tr = sample(500, action_type="mixed", complexity="long", seq_len=32, n_actions=3)
    pp, _ = periods(tr)
    assert set(tr.lengths) == {32}
    assert (pp.per_sequence() == 3).all()  # every action still fits, each press released inside
    assert not tr.press[tr.last_index].any()


def test_kinematics_hover_unpressed_and_clicks_still():
    tr = sample(300, action_type="click", complexity="long")
    x, y = tr.x.reshape(300, 64), tr.y.reshape(300, 64)
    press = tr.press.reshape(300, 64)
    step = np.hypot(np.diff(x, axis=1), np.diff(y, axis=1))
    held = press[:, 1:] & press[:, :-1]
    assert step[held].mean() < 2.0  # tremor while the button is down
    assert step[~press[:, 1:] & ~press[:, :-1]].max() > 50.0  # hovers move to the click
    # hovers follow a minimum-jerk profile: slow at both ends, fast in the middle
    ratios = []
    for i in range(300):
        v = step[i, : press[i].argmax()]  # the lead idle and the hover to the click
        moving = np.flatnonzero(v > 3.0)
        if len(moving) >= 6:
            hover = v[moving[0]: moving[-1] + 1]
            ratios.append(hover.max() / max(hover[0], hover[-1]))
    assert len(ratios) > 100 and np.median(ratios) > 3.0


def test_bad_parameters_are_refused():
    with pytest.raises(ConfigError, match="action_type"):
        GesturesBot(action_type="scroll")
    with pytest.raises(ConfigError, match="too short"):
        GesturesBot(action_type="mixed", seq_len=16, n_actions=(2, 3))
    with pytest.raises(ConfigError, match="angle_spread"):
        GesturesBot(angle_spread=30)
    with pytest.raises(ConfigError, match="complexity"):
        GesturesBot(complexity="huge")


def test_endpoints_are_ignored():
    from deval.trajectories import Endpoints

    cond = Endpoints(np.zeros((50, 2)), np.full((50, 2), 100.0))
    a = GesturesBot().sample(50, cond=cond, seed=3)
    b = GesturesBot().sample(50, seed=3)
    np.testing.assert_array_equal(a.x, b.x)


def test_cli_builds_a_gesture_dataset(tmp_path):
    out = tmp_path / "gest.npz"
    r = CliRunner().invoke(cli, ["generate-negatives", "--source", "gestures", "--param", "action_type=mixed",
                                 "--param", "complexity=short", "--n", "120", "--seed", "2", "-q", "--out", str(out)])
    assert r.exit_code == 0, r.output
    tr = load_trajectories(out)
    assert len(tr) == 120 and tr.press is not None and set(tr.lengths) == {64}
    assert set(tr.meta["complexity"]) == {"short"}
    np.testing.assert_array_equal(classified(tr), tr.meta["gesture"].to_numpy())
