"""Tests of deval.features: known answers, degenerate inputs, and a per-movement reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.signal

from deval.errors import ConfigError, DataError
from deval.features import (
    FEATURE_DOCS,
    FEATURE_GROUPS,
    extract_features,
    feature_names,
    kinematic_features,
    spectral_features,
    speed_psd,
    uniform_speed,
)
from deval.features.kinematic import KINEMATIC_DOCS, END_FRACTION, PEAK_FRACTION
from deval.features.spectral import SPECTRAL_DOCS
from deval.trajectories import Trajectories

RATE = 60.0


def one(points: np.ndarray) -> Trajectories:
    """A batch holding one movement given as (T, 3) x, y, t."""
    return Trajectories.from_list([np.asarray(points, dtype=np.float64)])


def row(traj: Trajectories, **kwargs) -> pd.Series:
    return extract_features(traj, **kwargs).iloc[0]


def line(speed: float, angle: float, n: int = 31, dt: float = 1 / RATE, start=(100.0, 50.0)) -> np.ndarray:
    t = np.arange(n) * dt
    s = speed * t
    return np.column_stack([start[0] + s * math.cos(angle), start[1] + s * math.sin(angle), t])


def min_jerk(distance: float, duration: float, n: int, angle: float = 0.3) -> np.ndarray:
    t = np.linspace(0.0, duration, n)
    tau = t / duration
    s = distance * (10 * tau**3 - 15 * tau**4 + 6 * tau**5)
    return np.column_stack([s * math.cos(angle), s * math.sin(angle), t])


# ----------------------------------------------------------------- documentation


def test_every_column_is_documented_with_a_unit():
    names = list(extract_features(one(line(300.0, 0.2))).columns)
    assert names == list(FEATURE_DOCS) == feature_names()
    for name, doc in FEATURE_DOCS.items():
        assert doc.rstrip().endswith("]") and "[" in doc, name
    grouped = [name for group in FEATURE_GROUPS.values() for name in group]
    assert sorted(grouped) == sorted(FEATURE_DOCS)  # each feature in exactly one group


def test_groups_select_columns_and_reject_unknown_names():
    traj = one(line(300.0, 0.2))
    assert list(extract_features(traj, groups="timing").columns) == FEATURE_GROUPS["timing"]
    assert list(extract_features(traj, groups=["spectral", "duration"]).columns) == (
        ["duration"] + FEATURE_GROUPS["spectral"]
    )
    assert list(extract_features(traj, spectral=False).columns) == list(KINEMATIC_DOCS)
    assert feature_names("kinematic") == list(KINEMATIC_DOCS)
    with pytest.raises(ConfigError, match="unknown feature group"):
        feature_names(["timing", "nonsense"])
    with pytest.raises(ConfigError, match="spectral=False"):
        extract_features(traj, groups="spectral", spectral=False)
    with pytest.raises(ConfigError, match="rate_hz"):
        extract_features(traj, rate_hz=0.0)
    with pytest.raises(ConfigError, match="nperseg"):
        speed_psd(traj, nperseg=2)


def test_bad_input_raises_data_error():
    with pytest.raises(DataError, match="Trajectories"):
        extract_features(np.zeros((3, 10, 3)))
    pts = line(300.0, 0.0)
    pts[4, 1] = np.nan
    with pytest.raises(DataError, match="non-finite y"):
        extract_features(Trajectories.from_list([line(200.0, 0.0), pts]))


def test_empty_batch_gives_empty_frame():
    out = extract_features(Trajectories.empty())
    assert out.shape == (0, len(FEATURE_DOCS))


# ------------------------------------------------------------ kinematic answers


def test_straight_line_at_constant_speed():
    speed, angle = 420.0, 0.7
    r = row(one(line(speed, angle, n=31)))
    assert r["duration"] == pytest.approx(0.5)
    assert r["n_points"] == 31
    assert r["path_length"] == pytest.approx(speed * 0.5)
    assert r["net_distance"] == pytest.approx(speed * 0.5)
    assert r["straightness"] == pytest.approx(1.0)
    assert r["speed_mean"] == pytest.approx(speed)
    assert r["speed_max"] == pytest.approx(speed)
    assert r["speed_std"] == pytest.approx(0.0, abs=1e-9 * speed)
    assert r["speed_peak_ratio"] == pytest.approx(1.0)
    for name in ("accel_mean_abs", "accel_max", "decel_max"):
        assert r[name] == pytest.approx(0.0, abs=1e-6 * speed * RATE), name
    for name in ("jerk_mean_abs", "jerk_max_abs"):
        assert r[name] == pytest.approx(0.0, abs=1e-6 * speed * RATE**2), name
    for name in ("lateral_rms", "lateral_max", "heading_change_total", "heading_change_mean_abs",
                 "curvature_mean", "overshoot", "pause_time_frac"):
        assert r[name] == pytest.approx(0.0, abs=1e-9), name
    assert r["n_speed_peaks"] == 1
    assert r["pause_count"] == 0
    assert r["end_slowdown"] == pytest.approx(1.0)
    assert r["dt_mean"] == pytest.approx(1 / RATE)
    assert r["dt_cv"] == pytest.approx(0.0, abs=1e-9)


def test_minimum_jerk_bell_profile():
    distance, duration = 500.0, 0.8
    r = row(one(min_jerk(distance, duration, n=161)))  # dt = 5 ms
    assert r["n_speed_peaks"] == 1
    assert r["time_to_peak_speed"] == pytest.approx(0.5, abs=0.01)
    assert r["speed_mean"] == pytest.approx(distance / duration)
    assert r["speed_max"] == pytest.approx(1.875 * distance / duration, rel=1e-3)  # peak of min-jerk
    assert r["speed_peak_ratio"] == pytest.approx(1.875, rel=1e-3)
    assert r["straightness"] == pytest.approx(1.0)
    # last 20 % of the time: (1 - s(0.8)) of the distance, s(0.8) = 0.94208
    assert r["end_slowdown"] == pytest.approx((1 - 0.94208) / END_FRACTION, rel=1e-9)
    # peak acceleration of min-jerk: 10 / sqrt(3) * D / T^2 (at tau = 0.5 -+ sqrt(3)/6)
    assert r["accel_max"] == pytest.approx(10 / math.sqrt(3) * distance / duration**2, rel=5e-3)
    assert r["decel_max"] == pytest.approx(r["accel_max"], rel=5e-3)
    # mean |acceleration| = (rise + fall of the speed) / time between the first and last step centres
    dt = duration / 160
    assert r["accel_mean_abs"] == pytest.approx(2 * 1.875 * distance / duration / (duration - dt), rel=1e-3)
    # |jerk| is largest at the ends: 60 - 360 tau + 360 tau^2 (x D / T^3), the first finite
    # difference sits at the middle of the first four samples, tau = 1.5 dt / T
    tau = 1.5 / 160
    expected = (60 - 360 * tau + 360 * tau**2) * distance / duration**3
    assert r["jerk_max_abs"] == pytest.approx(expected, rel=1e-3)


def test_two_submovements_give_two_speed_peaks():
    a = min_jerk(300.0, 0.5, n=31, angle=0.0)
    b = min_jerk(200.0, 0.5, n=31, angle=0.0)
    b[:, 0] += a[-1, 0]
    b[:, 2] += a[-1, 2]
    pts = np.vstack([a, b[1:]])
    r = row(one(pts))
    assert r["n_speed_peaks"] == 2


def test_small_wiggles_below_peak_fraction_are_not_submovements():
    t = np.arange(121) / RATE
    ripple = 0.5 * PEAK_FRACTION * 400 * (t > 1.8) * np.sin(2 * np.pi * 6 * t) ** 2  # late, small
    speed = 400 * np.sin(np.pi * t / t[-1]) ** 2 + ripple
    x = np.concatenate([[0.0], np.cumsum(speed[1:] * np.diff(t))])
    r = row(one(np.column_stack([x, np.zeros_like(x), t])))
    assert r["n_speed_peaks"] == 1


def test_circle_arc_curvature_and_heading():
    radius, n = 200.0, 121
    phi = np.linspace(0.0, 2 * np.pi / 3, n)  # 120 degrees in 1-degree steps
    pts = np.column_stack([radius * np.cos(phi), radius * np.sin(phi), np.arange(n) / RATE])
    r = row(one(pts))
    step = phi[1] - phi[0]
    assert r["curvature_mean"] == pytest.approx(1 / radius, rel=1e-4)
    assert r["heading_change_total"] == pytest.approx((n - 2) * step, rel=1e-9)
    assert r["heading_change_mean_abs"] == pytest.approx(step, rel=1e-9)
    assert r["lateral_max"] == pytest.approx(radius * (1 - math.cos(np.pi / 3)), rel=1e-9)  # sagitta
    chord = 2 * radius * math.sin(step / 2)
    assert r["straightness"] == pytest.approx(radius * math.sqrt(3) / ((n - 1) * chord), rel=1e-9)


def test_sinusoidal_lateral_wiggle():
    amp, n = 12.0, 121
    x = np.linspace(0.0, 600.0, n)
    y = amp * np.sin(2 * np.pi * 3 * x / 600.0)  # three whole periods
    r = row(one(np.column_stack([x, y, np.arange(n) / RATE])))
    assert r["lateral_rms"] == pytest.approx(amp / math.sqrt(2), rel=1e-9)
    assert r["lateral_max"] == pytest.approx(amp, rel=1e-9)
    assert r["lateral_rms_rel"] == pytest.approx(amp / math.sqrt(2) / 600.0, rel=1e-9)
    assert r["overshoot"] == pytest.approx(0.0, abs=1e-9)


def test_lateral_is_rotation_and_translation_invariant():
    rng = np.random.default_rng(0)
    pts = np.column_stack(
        [np.cumsum(rng.normal(5, 3, 40)), np.cumsum(rng.normal(0, 3, 40)), np.arange(40) / RATE]
    )
    angle = 1.1
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = pts.copy()
    moved[:, :2] = pts[:, :2] @ rot.T + [300.0, -40.0]
    a = kinematic_features(one(pts)).iloc[0]
    b = kinematic_features(one(moved)).iloc[0]
    pd.testing.assert_series_equal(a, b, rtol=1e-7, check_names=False)


def test_overshoot_along_the_movement_direction():
    x = np.concatenate([np.linspace(0.0, 110.0, 23), np.linspace(110.0, 100.0, 3)[1:]])
    pts = np.column_stack([x, np.zeros_like(x), np.arange(len(x)) / RATE])
    r = row(one(pts))
    assert r["overshoot"] == pytest.approx(10.0)
    assert r["overshoot_rel"] == pytest.approx(0.1)
    assert r["straightness"] == pytest.approx(100.0 / 120.0)
    assert r["heading_change_total"] == pytest.approx(np.pi)  # one reversal


def test_known_dt_statistics_and_pauses():
    dts = np.tile([0.010, 0.030], 10)  # 20 steps alternating 10 ms and 30 ms
    t = np.concatenate([[0.0], np.cumsum(dts)])
    x = 300.0 * t
    x[8:] -= 300.0 * (t[8:] - t[7]).clip(max=t[11] - t[7])  # hold still from point 7 to point 11 (80 ms)
    r = row(one(np.column_stack([x, np.zeros_like(x), t])))
    assert r["dt_mean"] == pytest.approx(0.02)
    assert r["dt_std"] == pytest.approx(0.01)
    assert r["dt_cv"] == pytest.approx(0.5)
    assert r["dt_max"] == pytest.approx(0.03)
    assert r["duration"] == pytest.approx(0.4)
    assert r["pause_count"] == 1
    assert r["pause_time_frac"] == pytest.approx(0.08 / 0.4)


# ----------------------------------------------------------- spectral answers


def tone(f0: float, v0: float = 600.0, amp: float = 150.0, duration: float = 2.0) -> np.ndarray:
    """Straight movement whose speed is v0 + amp * sin(2 pi f0 t), sampled at 60 Hz."""
    t = np.arange(int(round(duration * RATE)) + 1) / RATE
    s = v0 * t - amp / (2 * np.pi * f0) * (np.cos(2 * np.pi * f0 * t) - 1)
    return np.column_stack([s * 0.6, s * 0.8, t])


@pytest.mark.parametrize("f0, band, share", [(7.5, "spec_power_5_10hz", 0.9), (15.0, "spec_hf_share", 0.9),
                                            (3.75, "spec_power_2_5hz", 0.6)])
def test_pure_tone_speed_modulation(f0, band, share):
    r = row(one(tone(f0)))
    assert r["spec_peak_freq"] == pytest.approx(f0)
    assert r["spec_centroid"] == pytest.approx(f0, abs=1.0)
    # a bin-centred tone under a Hann window leaks 1/4 of its peak power into each
    # neighbouring bin (1.875 Hz apart): 7.5 and 15 Hz keep all three bins in their
    # band, 3.75 Hz keeps 1 / 1.5 = 2/3 in [2, 5) Hz
    assert r[band] > share
    shares = r[["spec_power_0_2hz", "spec_power_2_5hz", "spec_power_5_10hz", "spec_hf_share"]]
    assert shares.sum() == pytest.approx(1.0)


def test_constant_speed_has_no_spectrum():
    r = row(one(line(500.0, 1.0, n=90)))
    assert r["spec_power_0_2hz"] == 1.0
    assert r[["spec_power_2_5hz", "spec_power_5_10hz", "spec_hf_share", "spec_centroid", "spec_peak_freq",
              "spec_entropy", "spec_log_power"]].abs().max() == 0.0


def test_uniform_speed_resamples_in_time():
    # irregular timestamps along a constant-speed line: the uniform speed is the constant
    rng = np.random.default_rng(1)
    t = np.concatenate([[0.0], np.cumsum(rng.uniform(0.005, 0.04, 50))])
    pts = np.column_stack([250.0 * t, np.full_like(t, 7.0), t])
    values, offsets = uniform_speed(one(pts), 60.0)
    assert offsets[-1] == int(np.floor(t[-1] * 60.0 + 1e-9))
    np.testing.assert_allclose(values, 250.0, rtol=1e-9)


def test_speed_psd_is_scipy_welch_of_the_resampled_speed():
    rng = np.random.default_rng(2)
    movements = []
    for n in (90, 25, 3, 40):  # long (several segments), short (< nperseg), too short, long
        t = np.arange(n) / RATE
        xy = np.column_stack([np.cumsum(rng.uniform(0, 20, n)), np.cumsum(rng.normal(0, 3, n))])
        movements.append(np.column_stack([xy, t]))
    traj = Trajectories.from_list(movements)
    freqs, psd = speed_psd(traj, rate_hz=RATE, nperseg=32)
    values, offsets = uniform_speed(traj, RATE)
    assert freqs.shape == (17,) and psd.shape == (4, 17)
    np.testing.assert_allclose(freqs, np.fft.rfftfreq(32, 1 / RATE))
    for i in range(4):
        sig = values[offsets[i]:offsets[i + 1]]
        if len(sig) >= 32:
            _, ref = scipy.signal.welch(sig, fs=RATE, nperseg=32)
        elif len(sig) >= 4:
            _, ref = scipy.signal.welch(sig, fs=RATE, nperseg=len(sig), nfft=32)
        else:
            ref = np.zeros(17)
        np.testing.assert_allclose(psd[i], ref, rtol=1e-10, atol=0)


# ------------------------------------------------------------- degenerate input


def degenerate_batch() -> Trajectories:
    lists = [
        np.array([[5.0, 5.0, 0.0]]),  # one point
        np.array([[0.0, 0.0, 0.0], [30.0, 40.0, 0.02]]),  # two points
        np.array([[0.0, 0.0, 0.0], [30.0, 40.0, 0.0]]),  # two points, dt = 0
        np.array([[3.0, 4.0, 0.0]] * 6) + np.c_[0, 0, 1][0] * np.arange(6)[:, None] / 60,  # repeated points
        np.array([[3.0, 4.0, 0.0]] * 4),  # repeated points, all at t = 0
        np.array([[0, 0, 0], [10, 0, 0.01], [10, 0, 0.02], [20, 0, 0.02], [20, 5, 0.05], [0, 0, 0.06]],
                 float),  # repeated point and a jump with dt = 0
        np.array([[0, 0, 0], [10, 0, 0.02], [20, 0, 0.01], [30, 0, 0.05]], float),  # time runs backwards
        np.array([[0, 0, 0], [100, 0, 0.1], [0, 0, 0.2]], float),  # returns to its start
    ]
    traj = Trajectories.from_list(lists)
    # and an empty movement in the middle
    lengths = np.insert(traj.lengths, 3, 0)
    return Trajectories.from_arrays(traj.x, traj.y, traj.t, lengths=lengths)


def test_degenerate_movements_give_finite_neutral_values():
    traj = degenerate_batch()
    feats = extract_features(traj)
    assert feats.shape == (len(traj), len(FEATURE_DOCS))
    assert np.isfinite(feats.to_numpy(dtype=float)).all()
    single, empty = feats.iloc[0], feats.iloc[3]
    for r in (single, empty):
        assert r["duration"] == 0 and r["path_length"] == 0 and r["speed_mean"] == 0
        assert r["straightness"] == 1 and r["end_slowdown"] == 1 and r["time_to_peak_speed"] == 0.5
        assert r["n_speed_peaks"] == 0 and r["spec_power_0_2hz"] == 1
    assert empty["n_points"] == 0
    two = feats.iloc[1]
    assert two["speed_mean"] == pytest.approx(50.0 / 0.02) and two["straightness"] == pytest.approx(1.0)
    zero_dt = feats.iloc[2]
    assert zero_dt["path_length"] == 50.0 and zero_dt["speed_max"] == 0.0 and zero_dt["duration"] == 0.0
    still = feats.iloc[4]
    assert still["path_length"] == 0 and still["n_speed_peaks"] == 0 and still["pause_count"] == 1
    loop = feats.iloc[8]
    assert loop["net_distance"] == 0 and loop["lateral_max"] == pytest.approx(100.0)
    assert loop["lateral_rms_rel"] == 0 and loop["overshoot"] == 0


# --------------------------------------------------- vectorisation vs reference


def reference_kinematic(x: np.ndarray, y: np.ndarray, t: np.ndarray, pause_speed=20.0, pause_min_s=0.05,
                        peak_fraction=PEAK_FRACTION) -> dict[str, float]:
    """Slow, per-movement implementation of the documented definitions."""
    T = len(x)
    dx, dy = np.diff(x), np.diff(y)
    dt = np.maximum(np.diff(t), 0.0)
    ds = np.sqrt(dx * dx + dy * dy)
    n_steps = max(T - 1, 0)
    duration = float(dt.sum())
    out: dict[str, float] = {"duration": duration, "n_points": T}
    out["dt_mean"] = duration / n_steps if n_steps else 0.0
    out["dt_std"] = math.sqrt(np.mean((dt - out["dt_mean"]) ** 2)) if n_steps else 0.0
    out["dt_cv"] = out["dt_std"] / out["dt_mean"] if out["dt_mean"] > 0 else 0.0
    out["dt_max"] = float(dt.max()) if n_steps else 0.0
    path = float(ds.sum())
    ex, ey = (x[-1] - x[0], y[-1] - y[0]) if T else (0.0, 0.0)
    net = math.hypot(ex, ey)
    out.update(path_length=path, net_distance=net, straightness=min(net / path, 1.0) if path > 0 else 1.0)

    timed = dt > 0
    v = np.zeros(n_steps)
    v[timed] = ds[timed] / dt[timed]
    mean = float(ds[timed].sum()) / duration if duration > 0 else 0.0
    out["speed_mean"] = mean
    out["speed_max"] = float(v.max()) if n_steps else 0.0
    out["speed_std"] = math.sqrt(float(np.sum(dt * (v - mean) ** 2)) / duration) if duration > 0 else 0.0
    out["speed_peak_ratio"] = out["speed_max"] / mean if mean > 0 else 1.0

    acc, acc_span = [], []
    for k in range(n_steps - 1):
        if timed[k] and timed[k + 1]:
            span = (dt[k] + dt[k + 1]) / 2
            acc.append((v[k + 1] - v[k]) / span)
            acc_span.append(span)
        else:
            acc.append(None)
            acc_span.append(None)
    jerk, jerk_span = [], []
    for k in range(len(acc) - 1):
        if acc[k] is not None and acc[k + 1] is not None:
            span = (acc_span[k] + acc_span[k + 1]) / 2
            jerk.append((acc[k + 1] - acc[k]) / span)
            jerk_span.append(span)
    a = [(value, span) for value, span in zip(acc, acc_span) if value is not None]
    total_span = sum(span for _, span in a)
    weighted = sum(abs(value) * span for value, span in a)
    out["accel_mean_abs"] = weighted / total_span if total_span > 0 else 0.0
    out["accel_max"] = max([0.0] + [value for value, _ in a])
    out["decel_max"] = max([0.0] + [-value for value, _ in a])
    total_span = sum(jerk_span)
    weighted = sum(abs(j) * s for j, s in zip(jerk, jerk_span))
    out["jerk_mean_abs"] = weighted / total_span if total_span > 0 else 0.0
    out["jerk_max_abs"] = max([0.0] + [abs(j) for j in jerk])

    # smoothed speed over the timed steps
    idx = np.flatnonzero(timed)
    vv = v[idx]
    K = len(vv)
    smooth = np.zeros(K)
    for k in range(K):
        before = vv[k - 1] if k > 0 else 0.0
        after = vv[k + 1] if k < K - 1 else 0.0
        weight = 4.0 - (k == 0) - (k == K - 1)
        smooth[k] = (2.0 * vv[k] + before + after) / weight
    peak = float(smooth.max()) if K else 0.0
    tol = 1e-9 * peak
    peaks = 0
    for k in range(K):
        rises = k == 0 or smooth[k] - smooth[k - 1] > tol
        falls = k == K - 1 or not (smooth[k + 1] - smooth[k] > tol)
        if rises and falls and smooth[k] > 0 and smooth[k] >= peak_fraction * peak:
            peaks += 1
    out["n_speed_peaks"] = peaks
    if K and peak > 0 and duration > 0:
        j = idx[int(np.argmax(smooth))]
        out["time_to_peak_speed"] = min(max((t[j] - t[0] + 0.5 * dt[j]) / duration, 0.0), 1.0)
    else:
        out["time_to_peak_speed"] = 0.5

    moving = np.flatnonzero(ds > 0)
    turns, arcs = [], []
    for k0, k1 in zip(moving[:-1], moving[1:]):
        cross = dx[k0] * dy[k1] - dy[k0] * dx[k1]
        dot = dx[k0] * dx[k1] + dy[k0] * dy[k1]
        turns.append(abs(math.atan2(cross, dot)))
        arcs.append((ds[k0] + ds[k1]) / 2)
    out["heading_change_total"] = float(sum(turns))
    out["heading_change_mean_abs"] = float(np.mean(turns)) if turns else 0.0
    out["curvature_mean"] = sum(turns) / sum(arcs) if arcs and sum(arcs) > 0 else 0.0

    relx, rely = x - x[0] if T else x, y - y[0] if T else y
    if net > 0:
        ux, uy = ex / net, ey / net
        along = relx * ux + rely * uy
        lat = np.abs(ux * rely - uy * relx)
    else:
        along = np.zeros(T)
        lat = np.hypot(relx, rely)
    w = np.zeros(T)
    if T > 1:
        w[:-1] += dt / 2
        w[1:] += dt / 2
    if duration > 0:
        ms = float(np.sum(w * lat**2)) / duration
    else:
        ms = float(np.mean(lat**2)) if T else 0.0
    out["lateral_rms"] = math.sqrt(ms)
    out["lateral_max"] = float(lat.max()) if T else 0.0
    out["lateral_rms_rel"] = out["lateral_rms"] / net if net > 0 else 0.0
    out["lateral_max_rel"] = out["lateral_max"] / net if net > 0 else 0.0
    out["overshoot"] = max(float(along.max()) - net, 0.0) if (T and net > 0) else 0.0
    out["overshoot_rel"] = out["overshoot"] / net if net > 0 else 0.0

    cut = (1 - END_FRACTION) * duration
    end_length = 0.0
    for k in range(n_steps):
        inside = min(max(t[k] - t[0] + dt[k] - cut, 0.0), dt[k])
        end_length += v[k] * inside
    end_speed = end_length / (END_FRACTION * duration) if duration > 0 else 0.0
    out["end_slowdown"] = end_speed / mean if mean > 0 else 1.0

    pauses, pause_time, run = 0, 0.0, None
    for k in range(n_steps + 1):
        slow = k < n_steps and ds[k] <= pause_speed * dt[k]
        if slow:
            run = (run or 0.0) + dt[k]
        elif run is not None:
            if run >= pause_min_s - 1e-9:
                pauses += 1
                pause_time += run
            run = None
    out["pause_count"] = pauses
    out["pause_time_frac"] = min(pause_time / duration, 1.0) if duration > 0 else 0.0
    return out


def random_batch(n: int, seed: int, zero_dt: bool = True) -> Trajectories:
    """Random movements with bells, jitter, irregular (and zero) time steps and repeated points."""
    rng = np.random.default_rng(seed)
    movements = []
    p_zero = 0.05 if zero_dt else 0.0
    for _ in range(n):
        T = int(rng.integers(1, 60))
        dt = rng.choice([0.0, 0.004, 0.016, 0.017, 0.05], size=T - 1,
                        p=[p_zero, 0.1, 0.4, 0.45 - p_zero, 0.05])
        t = np.concatenate([[0.0], np.cumsum(dt)]) + rng.uniform(0, 3)
        bell = np.sin(np.linspace(0.1, 3.0, T - 1))[:, None]
        steps = rng.normal(rng.uniform(-15, 15), 4, size=(T - 1, 2)) * bell
        steps[rng.random(T - 1) < 0.1] = 0.0  # repeated points
        steps = np.round(steps)
        xy = np.vstack([[rng.uniform(0, 1920), rng.uniform(0, 1080)], steps]).cumsum(axis=0)
        movements.append(np.column_stack([xy, t]))
    return Trajectories.from_list(movements)


@pytest.mark.parametrize("zero_dt", [True, False])  # both ways of laying out the speed signal
def test_vectorised_kinematic_features_match_a_per_movement_reference(zero_dt):
    traj = random_batch(300, seed=3, zero_dt=zero_dt)
    got = kinematic_features(traj, n_threads=2, chunk_points=500)
    ref = pd.DataFrame([reference_kinematic(*m.T) for m in traj])[list(KINEMATIC_DOCS)]
    for name in KINEMATIC_DOCS:
        np.testing.assert_allclose(got[name].to_numpy(float), ref[name].to_numpy(float), rtol=1e-9, atol=1e-9,
                                   err_msg=name)


def test_reference_agrees_on_degenerate_movements():
    traj = degenerate_batch()
    got = kinematic_features(traj)
    for i in range(len(traj)):
        ref = reference_kinematic(traj.x[traj.offsets[i]:traj.offsets[i + 1]],
                                  traj.y[traj.offsets[i]:traj.offsets[i + 1]],
                                  traj.t[traj.offsets[i]:traj.offsets[i + 1]])
        for name in KINEMATIC_DOCS:
            assert got[name].iloc[i] == pytest.approx(ref[name], rel=1e-9, abs=1e-9), (i, name)


def test_batch_and_single_movement_rows_are_identical():
    traj = random_batch(40, seed=4)
    batch = extract_features(traj)
    for i in range(len(traj)):
        alone = extract_features(traj[i]).iloc[0]
        np.testing.assert_array_equal(alone[list(KINEMATIC_DOCS)].to_numpy(float),
                                      batch[list(KINEMATIC_DOCS)].iloc[i].to_numpy(float))
        # spectral: the batch searches a concatenated time axis; equal to rounding
        np.testing.assert_allclose(alone[list(SPECTRAL_DOCS)].to_numpy(float),
                                   batch[list(SPECTRAL_DOCS)].iloc[i].to_numpy(float), rtol=1e-9, atol=1e-12)


def test_threads_and_chunks_do_not_change_results():
    traj = random_batch(200, seed=5)
    base = kinematic_features(traj, n_threads=1, chunk_points=10**9)
    for threads, chunk in ((1, 1), (2, 300), (3, 1000)):
        pd.testing.assert_frame_equal(kinematic_features(traj, n_threads=threads, chunk_points=chunk), base,
                                      check_exact=True)
    with pytest.raises(ConfigError, match="n_threads"):
        kinematic_features(traj, n_threads=0)


def test_spectral_features_from_psd_rows():
    traj = random_batch(50, seed=6)
    feats = spectral_features(traj)
    freqs, psd = speed_psd(traj)
    for i in np.flatnonzero(psd.sum(axis=1) > 0)[:10]:
        p = psd[i] / psd[i].sum()
        assert feats["spec_centroid"].iloc[i] == pytest.approx(float(p @ freqs))
        assert feats["spec_power_2_5hz"].iloc[i] == pytest.approx(p[(freqs >= 2) & (freqs < 5)].sum())
        assert feats["spec_peak_freq"].iloc[i] == freqs[np.argmax(psd[i])]


# ---------------------------------------------------------------- real data


def test_sapimouse_features_are_finite_and_plausible(sapimouse):
    traj = sapimouse
    feats = extract_features(traj)
    assert len(feats) == len(traj)
    assert np.isfinite(feats.to_numpy(dtype=float)).all()
    med = feats.median()
    assert med["duration"] == pytest.approx(0.66, abs=0.02)  # data README: 0.66 s
    assert med["n_points"] == 35
    assert med["dt_mean"] == pytest.approx(0.0195, abs=0.003)  # ~ 17-20 ms
    assert 400 < med["net_distance"] < 530  # README: 467 px
    assert 0.8 < med["straightness"] < 1.0
    assert 400 < med["speed_mean"] < 2000
    assert 1 <= med["n_speed_peaks"] <= 4
    assert 0.1 < med["time_to_peak_speed"] < 0.6  # humans accelerate early and home in slowly
    assert med["end_slowdown"] < 1.0
    assert 0.5 < med["spec_power_0_2hz"] + med["spec_power_2_5hz"] < 1.0
    assert med["spec_hf_share"] < 0.2
    shares = feats[["spec_power_0_2hz", "spec_power_2_5hz", "spec_power_5_10hz", "spec_hf_share"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0, rtol=1e-9)
