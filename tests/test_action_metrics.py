"""Action-sequence metrics: reconstruction metrics against known answers, gesture types, gesture mixes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from deval.errors import ConfigError, DataError
from deval.metrics import (
    GESTURE_TYPES,
    action_metrics,
    active_coordinate_mse,
    classify_gestures,
    coordinate_mse,
    gesture_accuracy,
    gesture_mix,
    gesture_mix_difference,
    press_accuracy,
    press_mse,
    press_periods,
    reconstruction_mae,
    reconstruction_mse,
    smoothness_ratio,
    snr_db,
    spatial_accuracy,
    temporal_iou,
    variance_ratio,
)


def smooth_batch(n=6, t=40, seed=0) -> np.ndarray:
    """(n, t, 3) smooth random paths in [0.1, 0.9] with one press window each."""
    rng = np.random.default_rng(seed)
    s = np.linspace(0, 1, t)
    out = np.zeros((n, t, 3))
    for i in range(n):
        a, b = rng.uniform(0.1, 0.9, 2), rng.uniform(0.1, 0.9, 2)
        e = s * s * (3 - 2 * s)
        out[i, :, :2] = a + e[:, None] * (b - a)
        lo = rng.integers(2, t // 2)
        out[i, lo: lo + rng.integers(3, t // 3), 2] = 1.0
    return out


def sequence(points, press, t=None) -> np.ndarray:
    """One (T, 3) sequence from (T, 2) points and a (T,) press list."""
    return np.column_stack([np.asarray(points, float), np.asarray(press, float)])


# ------------------------------------------------------------------ reconstruction: known answers
def test_identical_sequences_are_perfect():
    x = smooth_batch()
    m = action_metrics(x, x.copy())
    assert m.mse == 0 and m.mae == 0 and m.coord_mse == 0 and m.press_mse == 0 and m.active_coord_mse == 0
    assert m.press_accuracy == 1 and m.temporal_iou == 1 and m.spatial_accuracy == 1 and m.gesture_accuracy == 1
    assert m.snr_db == math.inf
    assert m.variance_ratio == (1.0, 1.0, 1.0) and m.smoothness_ratio == (1.0, 1.0, 1.0)
    assert m.n_sequences == 6 and m.n_steps == 6 * 40


def test_constant_offset_gives_known_errors_and_snr():
    target = smooth_batch()
    c = 0.03
    pred = target + np.array([c, c, 0.0])
    m = action_metrics(pred, target, spatial_threshold=0.05)
    assert m.mse == pytest.approx(2 * c * c / 3)
    assert m.mae == pytest.approx(2 * c / 3)
    assert m.coord_mse == pytest.approx(c * c)
    assert m.active_coord_mse == pytest.approx(c * c)
    assert m.press_mse == 0 and m.press_accuracy == 1 and m.temporal_iou == 1
    expected_snr = 10 * math.log10(np.sum(target ** 2) / (target.shape[0] * target.shape[1] * 2 * c * c))
    assert m.snr_db == pytest.approx(expected_snr)
    # an offset changes neither the spread in time nor the smoothness
    np.testing.assert_allclose(m.variance_ratio, 1.0)
    np.testing.assert_allclose(m.smoothness_ratio, 1.0)
    # the position error is c * sqrt(2) = 0.042 everywhere
    assert spatial_accuracy(pred, target, threshold=0.043) == 1.0
    assert spatial_accuracy(pred, target, threshold=0.041) == 0.0
    # with aspect 2 the x error doubles: hypot(0.06, 0.03) = 0.067
    assert spatial_accuracy(pred, target, threshold=0.066, aspect=2.0) == 0.0
    assert spatial_accuracy(pred, target, threshold=0.068, aspect=2.0) == 1.0


def test_snr_of_a_ten_percent_error_is_twenty_db():
    target = np.ones((3, 10, 3))
    assert snr_db(0.9 * target, target) == pytest.approx(20.0)
    assert snr_db(target, np.zeros_like(target)) == -math.inf


def test_scaling_gives_squared_variance_and_smoothness_ratios():
    target = smooth_batch()
    rng = np.random.default_rng(1)
    target[..., :2] += 0.01 * rng.standard_normal(target[..., :2].shape)  # non-zero second differences
    pred = target.copy()
    pred[..., 0] = 2.0 * target[..., 0] + 0.1  # x: a = 2
    pred[..., 1] = 0.5 * target[..., 1]  # y: a = 0.5
    vr, sr = variance_ratio(pred, target), smoothness_ratio(pred, target)
    assert vr == pytest.approx((4.0, 0.25, 1.0))
    assert sr == pytest.approx((4.0, 0.25, 1.0))


def test_smoothness_ratio_sees_residual_noise_and_over_smoothing():
    target = smooth_batch(t=64)
    rng = np.random.default_rng(2)
    noisy = target + np.concatenate([0.01 * rng.standard_normal(target[..., :2].shape),
                                     np.zeros(target[..., 2:].shape)], axis=-1)
    sr = smoothness_ratio(noisy, target)
    assert sr[0] > 10 and sr[1] > 10 and sr[2] == 1.0
    flat = target.copy()
    flat[..., :2] = flat[..., :2].mean(axis=1, keepdims=True)  # constant positions
    np.testing.assert_allclose(smoothness_ratio(flat, target)[:2], 0.0, atol=1e-12)
    np.testing.assert_allclose(variance_ratio(flat, target)[:2], 0.0, atol=1e-12)
    # a constant target with a moving prediction: inf
    still = target.copy()
    still[..., :2] = 0.5
    assert variance_ratio(target, still)[:2] == (math.inf, math.inf)
    assert smoothness_ratio(still, still) == (1.0, 1.0, 1.0)


def test_shifted_press_window_gives_known_iou_accuracy_and_mse():
    t = 40
    target = np.zeros((1, t, 3))
    pred = np.zeros((1, t, 3))
    target[0, 10:20, 2] = 1.0
    pred[0, 15:25, 2] = 1.0
    assert temporal_iou(pred, target) == pytest.approx(5 / 15)
    assert press_accuracy(pred, target) == pytest.approx((t - 10) / t)
    assert press_mse(pred, target) == pytest.approx(10 / t)
    # IoU is averaged over sequences with a press; one with none on both sides is left out
    both = np.concatenate([target, np.zeros((1, t, 3))])
    both_pred = np.concatenate([pred, np.zeros((1, t, 3))])
    assert temporal_iou(both_pred, both) == pytest.approx(1 / 3)
    assert math.isnan(temporal_iou(np.zeros((2, t, 3)), np.zeros((2, t, 3))))


def test_press_probabilities_count_by_threshold_and_as_given_in_mse():
    target = np.zeros((1, 10, 3))
    target[0, 3:7, 2] = 1.0
    pred = target.copy()
    pred[0, 3:7, 2] = 0.7
    pred[0, 0, 2] = 0.4
    assert press_accuracy(pred, target) == 1.0
    assert temporal_iou(pred, target) == 1.0
    assert press_mse(pred, target) == pytest.approx((4 * 0.09 + 0.16) / 10)


def test_active_coordinate_mse_counts_only_pressed_target_steps():
    target = np.zeros((1, 10, 3))
    target[0, 2:4, 2] = 1.0
    pred = target.copy()
    pred[0, 2:4, 0] = 0.2  # error only while pressed
    pred[0, 8, 1] = 0.5  # and once while not
    assert active_coordinate_mse(pred, target) == pytest.approx(0.04 / 2)
    assert coordinate_mse(pred, target) == pytest.approx((2 * 0.04 + 0.25) / 20)
    assert math.isnan(active_coordinate_mse(pred, np.zeros_like(target)))


def test_mask_ignores_padding_whatever_it_holds():
    target = smooth_batch(n=4, t=30)
    rng = np.random.default_rng(3)
    pred = target + 0.01 * rng.standard_normal(target.shape)
    lengths = np.array([30, 20, 25, 12])
    mask = np.arange(30)[None, :] < lengths[:, None]
    junk_p, junk_t = pred.copy(), target.copy()
    junk_p[~mask] = np.nan
    junk_t[~mask] = 1e6
    a = action_metrics(junk_p, junk_t, mask).to_dict()
    # the same numbers from the sequences cut to their lengths, one by one, weighted by steps
    per = [action_metrics(pred[i:i + 1, :n], target[i:i + 1, :n]) for i, n in enumerate(lengths)]
    assert a["n_steps"] == lengths.sum()
    assert a["mse"] == pytest.approx(np.average([p.mse for p in per], weights=lengths))
    assert a["press_accuracy"] == pytest.approx(np.average([p.press_accuracy for p in per], weights=lengths))
    assert a["spatial_accuracy"] == pytest.approx(np.average([p.spatial_accuracy for p in per], weights=lengths))
    json.dumps(a)  # JSON-ready (no NaN here)


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    target = smooth_batch()
    pred = target + 0.01
    a = action_metrics(torch.tensor(pred), torch.tensor(target), torch.ones(6, 40, dtype=torch.bool))
    b = action_metrics(pred, target)
    assert a == b


def test_scalars_flatten_per_channel_ratios():
    x = smooth_batch()
    s = action_metrics(x + 0.01, x).scalars()
    assert {"variance_ratio_x", "variance_ratio_y", "variance_ratio_press", "smoothness_ratio_press", "snr_db",
            "temporal_iou", "gesture_accuracy"} <= set(s)
    assert all(isinstance(v, float) for v in s.values())


def test_individual_functions_agree_with_the_result():
    target = smooth_batch(seed=4)
    pred = target + 0.02 * np.random.default_rng(4).standard_normal(target.shape)
    m = action_metrics(pred, target)
    assert m.mse == reconstruction_mse(pred, target)
    assert m.mae == reconstruction_mae(pred, target)
    assert m.coord_mse == coordinate_mse(pred, target)
    assert m.gesture_accuracy == gesture_accuracy(pred, target)


@pytest.mark.parametrize("pred_shape,target_shape,match", [
    ((2, 5, 3), (2, 6, 3), "shape"),
    ((2, 5, 2), (2, 5, 2), r"\(N, T, 3\)"),
    ((10, 3), (10, 3), r"\(N, T, 3\)"),
])
def test_bad_shapes_are_refused(pred_shape, target_shape, match):
    with pytest.raises(DataError, match=match):
        action_metrics(np.zeros(pred_shape), np.zeros(target_shape))


def test_nan_on_a_real_step_and_an_empty_mask_are_refused():
    x = np.zeros((2, 5, 3))
    y = x.copy()
    y[1, 3, 0] = np.nan
    with pytest.raises(DataError, match="target.*sequence 1 at step 3"):
        reconstruction_mse(x, y)
    with pytest.raises(DataError, match="mask"):
        reconstruction_mse(x, x, np.zeros((2, 5), bool))
    with pytest.raises(DataError, match="mask has shape"):
        reconstruction_mse(x, x, np.ones((2, 4), bool))


# ------------------------------------------------------------------ press periods and gesture types
def test_press_periods_find_runs_and_a_masked_step_ends_one():
    press = np.array([[1, 1, 0, 0, 1, 1, 1, 0],
                      [0, 0, 0, 0, 0, 0, 0, 1],
                      [0, 0, 0, 0, 0, 0, 0, 0]], float)
    pp = press_periods(press)
    assert pp.seq.tolist() == [0, 0, 1]
    assert pp.start.tolist() == [0, 4, 7] and pp.stop.tolist() == [2, 7, 8]
    assert pp.lengths.tolist() == [2, 3, 1]
    assert pp.per_sequence().tolist() == [2, 1, 0]
    mask = np.ones(press.shape, bool)
    mask[0, 5] = False
    pp = press_periods(press, mask)
    assert pp.start.tolist() == [0, 4, 6, 7] and pp.stop.tolist() == [2, 5, 7, 8]


def _swipe(dx, dy, t=20, start=(0.3, 0.3), press_at=(5, 15)) -> np.ndarray:
    s = np.zeros(t)
    a, b = press_at
    s[a:b] = np.linspace(0, 1, b - a)
    s[b:] = 1.0
    pts = np.asarray(start) + s[:, None] * np.array([dx, dy])
    pr = np.zeros(t)
    pr[a:b] = 1
    return sequence(pts, pr)


def test_classify_gestures_on_hand_made_sequences():
    click = sequence(np.full((20, 2), 0.5) + np.linspace(0, 0.005, 20)[:, None], [0] * 5 + [1] * 6 + [0] * 9)
    batch = np.stack([
        click,
        _swipe(0.3, 0.05),  # 9.5 degrees
        _swipe(-0.02, -0.3),  # 86 degrees, up
        _swipe(0.2, -0.2),  # 45 degrees
        sequence(np.full((20, 2), 0.5), [0] * 20),  # no press
        _swipe(-0.3, 0.12),  # 21.8 degrees: still horizontal
        _swipe(-0.3, 0.13),  # 23.4 degrees: diagonal
    ])
    assert classify_gestures(batch).tolist() == [
        "click", "horizontal", "vertical", "diagonal", "none", "horizontal", "diagonal"]


def test_classify_gestures_uses_the_screen_aspect():
    seq = _swipe(0.05, 0.2)[None]  # normalised units: 76 degrees
    assert classify_gestures(seq).tolist() == ["vertical"]
    # on a 16:9 screen the x step is 16/9 as long in pixels: atan(0.2 / 0.089) = 66 degrees
    assert classify_gestures(seq, aspect=16 / 9).tolist() == ["diagonal"]


def test_click_threshold_is_on_the_pressed_displacement():
    seq = _swipe(0.015, 0.0)[None]  # pressed from s=0 to s=1: displacement 0.015
    assert classify_gestures(seq).tolist() == ["click"]  # below the default 0.02
    assert classify_gestures(seq, click_threshold=0.01).tolist() == ["horizontal"]
    assert classify_gestures(seq, aspect=2.0).tolist() == ["horizontal"]  # 0.03 screen heights
    with pytest.raises(ConfigError):
        classify_gestures(seq, aspect=0)


def test_dominant_press_decides_a_mixed_sequence():
    t = 40
    pts = np.full((t, 2), 0.5)
    pr = np.zeros(t)
    pr[3:6] = 1  # a click at (0.5, 0.5)
    pts[10:] = [0.2, 0.2]
    s = np.linspace(0, 1, 10)
    pts[10:20] = np.array([0.2, 0.2]) + s[:, None] * [0.0, 0.3]  # vertical swipe of 0.3
    pr[10:20] = 1
    pts[20:] = pts[19]
    pts[25:35] = pts[19] + s[:, None] * [0.2, 0.0]  # horizontal swipe of 0.2
    pts[35:] = pts[34]
    pr[25:35] = 1
    seq = sequence(pts, pr)[None]
    assert classify_gestures(seq).tolist() == ["vertical"]
    longer = seq.copy()
    longer[0, 25:35, 0] = pts[19, 0] + s * 0.4  # now the horizontal swipe is the longest
    longer[0, 35:, 0] = longer[0, 34, 0]
    assert classify_gestures(longer).tolist() == ["horizontal"]
    # a tie goes to the earliest press
    tie = seq.copy()
    tie[0, 25:35, 0] = pts[19, 0] + s * 0.3
    assert classify_gestures(tie).tolist() == ["vertical"]
    # a mask that hides the vertical swipe
    mask = np.ones((1, t), bool)
    mask[0, 8:22] = False
    assert classify_gestures(seq, mask).tolist() == ["horizontal"]


def test_gesture_accuracy_counts_sequences():
    target = np.stack([_swipe(0.3, 0.0), _swipe(0.0, 0.3), _swipe(0.2, 0.2), _swipe(0.3, 0.01)])
    pred = target.copy()
    pred[1] = _swipe(0.3, 0.0)  # vertical -> horizontal
    assert gesture_accuracy(pred, target) == 0.75


def test_gesture_mix_and_its_difference_in_points():
    mix = gesture_mix(["click", "click", "horizontal", "vertical"])
    assert list(mix) == list(GESTURE_TYPES)
    assert mix == {"none": 0.0, "click": 0.5, "horizontal": 0.25, "vertical": 0.25, "diagonal": 0.0}
    other = gesture_mix(["click"] * 4 + ["horizontal"] * 6)
    assert gesture_mix_difference(mix, other) == pytest.approx(35.0)  # horizontal: 25 % -> 60 %
    assert gesture_mix_difference(["click", "none"], ["none", "click"]) == 0.0
    with pytest.raises(ConfigError, match="unknown gesture type"):
        gesture_mix(["swirl"])
    with pytest.raises(ConfigError):
        gesture_mix([])
