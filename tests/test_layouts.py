"""Layouts research pipelines use, built from real movements: compare reads them as it reads the native file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from deval.compare import CompareSettings, compare_sets
from deval.data import load_sample
from deval.errors import DataError
from deval.io import load_trajectories
from deval.trajectories import Trajectories

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SETTINGS = CompareSettings(seed=0, metrics=("c2st",), baselines=False, aspects=False)


def eight_channel_layout(traj: Trajectories, folder, max_len: int = 64):
    """(B, T, 8) float32: x, y relative to the start, speed, acceleration, heading sin/cos, angular velocity, dt;
    min-max scaled to [-1, 1]; parameters in scaling.json, valid lengths in L_X.npy; zero padding."""
    n = len(traj)
    lengths = np.minimum(traj.lengths, max_len)
    feats = np.zeros((n, max_len, 8))
    for i in range(n):
        sl = slice(traj.offsets[i], traj.offsets[i] + lengths[i])
        x, y, t = traj.x[sl] - traj.x[sl][0], traj.y[sl] - traj.y[sl][0], traj.t[sl]
        dt = np.diff(t, prepend=0.0)
        v = np.hypot(np.gradient(x), np.gradient(y)) / np.maximum(dt, 1e-3)
        h = np.arctan2(np.gradient(y), np.gradient(x))
        feats[i, : lengths[i]] = np.stack([x, y, v, np.gradient(v), np.sin(h), np.cos(h),
                                           np.gradient(np.unwrap(h)), dt], axis=1)
    valid = np.arange(max_len)[None, :] < lengths[:, None]
    lo, hi = feats[valid].min(axis=0), feats[valid].max(axis=0)
    scaled = np.where(valid[..., None], 2 * (feats - lo) / (hi - lo) - 1, 0.0).astype(np.float32)
    np.save(folder / "X.npy", scaled)
    np.save(folder / "L_X.npy", lengths)
    (folder / "scaling.json").write_text(json.dumps({"min": lo.tolist(), "max": hi.tolist()}))
    (folder / "layout.yaml").write_text(yaml.safe_dump({
        "channels": ["x", "y", "speed", "acceleration", "heading_sin", "heading_cos", "angular_velocity", "dt"],
        "scaling": {"kind": "minmax", "range": [-1, 1], "params": "scaling.json"},
        "lengths": "L_{stem}.npy"}))
    return folder / "X.npy"


def test_layouts_read_within_0_02_of_the_native_figure(tmp_path):
    real = load_sample()
    users = np.unique(real.user)
    a = real[np.isin(real.user, users[::2])].subsample(600, seed=0)
    b = real[~np.isin(real.user, users[::2])]
    b = b.take(np.flatnonzero(b.lengths <= 64)).subsample(600, seed=1)  # the layout keeps 64 points
    native = compare_sets(a, {"b": b}, SETTINGS).rows[0].metrics["c2st_acc"]

    arr = eight_channel_layout(b, tmp_path)  # layout.yaml beside it: picked up by itself
    from_layout = load_trajectories(arr)
    np.testing.assert_allclose(from_layout.x - np.repeat(from_layout.x[from_layout.offsets[:-1]], from_layout.lengths),
                               b.x - np.repeat(b.x[b.offsets[:-1]], b.lengths), atol=1e-3)
    np.testing.assert_allclose(from_layout.t, b.t, atol=1e-6)
    per_file = tmp_path / "json"
    per_file.mkdir()
    for i in range(len(b)):
        sl = slice(b.offsets[i], b.offsets[i + 1])
        (per_file / f"m{i:04d}.json").write_text(json.dumps(
            {"x": b.x[sl].tolist(), "y": b.y[sl].tolist(), "t": (1.7e3 + b.t[sl] * 1000).tolist()}))
    sessions = {}
    for i in range(len(b)):
        sl = slice(b.offsets[i], b.offsets[i + 1])
        sessions.setdefault(f"s{b.user[i]}", []).append(
            {"x": b.x[sl].tolist(), "y": b.y[sl].tolist(), "t": (b.t[sl] * 1000).tolist()})
    (tmp_path / "sessions.json").write_text(json.dumps(sessions))
    readings = {
        "8-channel scaled arrays": from_layout,
        "one JSON file per movement, t in ms": load_trajectories(per_file, time_unit="ms"),
        "dict of sessions, t in ms": load_trajectories(tmp_path / "sessions.json", time_unit="ms"),
    }
    for name, tr in readings.items():
        assert len(tr) == len(b), name
        got = compare_sets(a, {"b": tr}, SETTINGS).rows[0].metrics["c2st_acc"]
        assert abs(got - native) <= 0.02, (name, got, native)


def test_layout_errors_name_the_file(tmp_path):
    np.save(tmp_path / "X.npy", np.zeros((3, 5, 3), np.float32))
    (tmp_path / "bad.yaml").write_text("channels: [x, y]\n")
    with pytest.raises(DataError, match="names 2 channels, the array has 3"):
        load_trajectories(tmp_path / "X.npy", layout=tmp_path / "bad.yaml")
    (tmp_path / "bad2.yaml").write_text("channels: [x, y, dt]\nscaling: {kind: minmax, params: p.pkl}\n")
    (tmp_path / "p.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(DataError, match="refused"):
        load_trajectories(tmp_path / "X.npy", layout=tmp_path / "bad2.yaml")
    (tmp_path / "bad3.yaml").write_text("chanels: [x, y, dt]\n")
    with pytest.raises(DataError, match="unknown layout key"):
        load_trajectories(tmp_path / "X.npy", layout=tmp_path / "bad3.yaml")


def test_cli_takes_a_layout_for_every_padded_input(tmp_path):
    from click.testing import CliRunner

    from deval.app.cli.main import cli

    real = load_sample()
    (tmp_path / "d").mkdir()
    eight_channel_layout(real[:150], tmp_path / "d")
    (tmp_path / "d" / "layout.yaml").rename(tmp_path / "my_layout.yaml")
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "d" / "X.npy"), "--out", str(tmp_path / "o.npz")])
    assert r.exit_code != 0 and "cannot guess the meaning of 8 channels" in r.output  # no layout: clear error
    (tmp_path / "my_layout.yaml").write_text((tmp_path / "my_layout.yaml").read_text().replace(
        "L_{stem}.npy", "d/L_{stem}.npy").replace("scaling.json", "d/scaling.json"))
    r = CliRunner().invoke(cli, ["--layout", str(tmp_path / "my_layout.yaml"), "convert", str(tmp_path / "d" / "X.npy"),
                                 "--out", str(tmp_path / "o.npz")])
    assert r.exit_code == 0, r.output
    assert len(load_trajectories(tmp_path / "o.npz")) == 150


def test_write_back_in_the_real_datas_layout_and_scaling(tmp_path):
    """real -> deval -> the pipeline's own layout: positions, time steps and lengths match the pipeline's arrays."""
    from click.testing import CliRunner

    from deval.app.cli.main import cli

    real = load_sample()
    b = real.take(np.flatnonzero(real.lengths <= 64)[:200])
    eight_channel_layout(b, tmp_path)
    X, L = np.load(tmp_path / "X.npy"), np.load(tmp_path / "L_X.npy")
    back = load_trajectories(tmp_path / "X.npy")  # read through the layout beside it
    back.save(tmp_path / "back.npz")
    r = CliRunner().invoke(cli, ["--layout", str(tmp_path / "layout.yaml"), "convert", str(tmp_path / "back.npz"),
                                 "--out", str(tmp_path / "Y.npy")])
    assert r.exit_code == 0, r.output
    Y, LY = np.load(tmp_path / "Y.npy"), np.load(tmp_path / "L_Y.npy")
    np.testing.assert_array_equal(LY, L)
    valid = np.arange(X.shape[1])[None, :] < L[:, None]
    for ch in (0, 1, 7):  # x, y relative to the start, dt: the channels that carry the movement
        np.testing.assert_allclose(Y[..., ch][valid], X[..., ch][valid], atol=1e-5)
    assert (Y[~valid] == 0).all()
    again = load_trajectories(tmp_path / "Y.npy", layout=tmp_path / "layout.yaml")
    np.testing.assert_allclose(again.t, back.t, atol=1e-6)
    np.testing.assert_allclose(again.x - np.repeat(again.x[again.offsets[:-1]], again.lengths),
                               back.x - np.repeat(back.x[back.offsets[:-1]], back.lengths), atol=1e-3)


def research_layout(traj: Trajectories, folder, part: str = "val", max_len: int = 64):
    """A second project's conventions: X_<part>.npy with lengths in L_<part>.npy, per-channel parameters in one
    dict keyed "<channel>_<stat>" (dx_min, dx_max...), and a dt channel stored as log(dt_ms + 1) / log(1001)
    before min-max scaling to [-1, 1]."""
    n = len(traj)
    lengths = np.minimum(traj.lengths, max_len)
    feats = np.zeros((n, max_len, 3))
    for i in range(n):
        sl = slice(traj.offsets[i], traj.offsets[i] + lengths[i])
        dx, dy = np.diff(traj.x[sl], prepend=traj.x[sl][0]), np.diff(traj.y[sl], prepend=traj.y[sl][0])
        dt_ms = np.diff(traj.t[sl], prepend=traj.t[sl][0]) * 1000.0
        feats[i, : lengths[i]] = np.stack([dx, dy, np.log(dt_ms + 1) / np.log(1001)], axis=1)
    valid = np.arange(max_len)[None, :] < lengths[:, None]
    lo, hi = feats[valid].min(axis=0), feats[valid].max(axis=0)
    np.save(folder / f"X_{part}.npy", np.where(valid[..., None], 2 * (feats - lo) / (hi - lo) - 1, 0).astype(np.float32))
    np.save(folder / f"L_{part}.npy", lengths)
    params = {f"{c}_{s}": float(v) for s, vec in (("min", lo), ("max", hi)) for c, v in zip(("dx", "dy", "dt"), vec)}
    (folder / "params.json").write_text(json.dumps(params))
    (folder / "layout.yaml").write_text(yaml.safe_dump({
        "data": "X_{part}.npy", "lengths": "L_{part}.npy", "channels": ["dx", "dy", "dt"],
        "scaling": {"kind": "minmax", "range": [-1, 1], "params": "params.json", "keys": "{channel}_{stat}"},
        "transforms": {"dt": {"kind": "log1p", "scale": 1000}}, "units": {"time": "ms"}}))
    return folder / f"X_{part}.npy"


def test_a_research_layout_loads_with_one_layout_file(tmp_path):
    """L_<part>.npy lengths, keyed dict parameters and a log-scaled dt: one layout file, no renaming."""
    real = load_sample()
    b = real.take(np.flatnonzero(real.lengths <= 64)[:300])
    arr = research_layout(b, tmp_path)
    got = load_trajectories(arr)
    assert len(got) == len(b) and np.array_equal(got.lengths, b.lengths)
    np.testing.assert_allclose(got.t, b.t - np.repeat(b.t[b.offsets[:-1]], b.lengths), atol=1e-5)
    rel = lambda tr: tr.x - np.repeat(tr.x[tr.offsets[:-1]], tr.lengths)  # noqa: E731
    np.testing.assert_allclose(rel(got), rel(b), atol=1e-3)
    # written back in the same layout next to another part, then read back without copying anything
    out = tmp_path / "exports"
    out.mkdir()
    from deval.io.layout import Layout

    lay = Layout.load(tmp_path / "layout.yaml")
    written = lay.write(got, out / "X_fake.npy")
    assert [p.name for p in written] == ["X_fake.npy", "L_fake.npy"]
    again = load_trajectories(out / "X_fake.npy", layout=tmp_path / "layout.yaml")
    np.testing.assert_allclose(again.t, got.t, atol=1e-5)


@pytest.mark.parametrize("scaling, message", [
    ({"kind": "minmax", "params": {"min": [0], "max": [1]}, "range": [1, -1]}, "scaling.range must rise.*reversed"),
    ({"kind": "minmax", "min": [0], "max": [1], "range": [0, 0]}, "scaling.range must rise.*empty"),
    ({"kind": "minmax", "min": [0], "max": [1], "range": [0]}, r"scaling.range must be \[low, high\]"),
    ({"kind": "minmax", "min": "zero", "max": [1]}, "scaling.min must be a finite number"),
    ({"kind": "minmax", "params": 3}, "scaling.params must be a file name or a mapping"),
    ({"kind": "minmax", "params": {"min": ["a"]}}, "scaling.params.min must be a finite number"),
    ({"kind": "minmax", "params": "p.json", "keys": "{channel}"}, r"scaling.keys must be a pattern"),
    ({"kind": "minmax", "params": "p.json", "colour": 1}, "unknown scaling key"),
    ({"kind": "zscore"}, "scaling.kind must be"),
    ("minmax", "scaling must be a mapping"),
])
def test_hostile_layouts_end_in_one_line_naming_the_layout_and_key(tmp_path, scaling, message):
    np.save(tmp_path / "X.npy", np.zeros((3, 5, 3), np.float32))
    (tmp_path / "lay.yaml").write_text(yaml.safe_dump({"channels": ["x", "y", "dt"], "scaling": scaling}))
    with pytest.raises(DataError, match=message) as err:
        load_trajectories(tmp_path / "X.npy", layout=tmp_path / "lay.yaml")
    assert str(err.value).startswith(str(tmp_path / "lay.yaml")) and "\n" not in str(err.value)


@pytest.mark.parametrize("extra, message", [
    ({"lengths": ["L.npy"]}, "lengths must be a file name pattern"),
    ({"lengths": "L_{part}.npy"}, r"no value for \{part\}"),
    ({"data": "X_{part}.npy", "lengths": "L_{part}.npy"}, "no such file|L_.*npy"),
    ({"rate_hz": -5}, "rate_hz must be > 0"),
    ({"pad_value": "none"}, "pad_value must be a finite number"),
    ({"transforms": {"dt": {"kind": "sqrt"}}}, r"transforms.dt must be \{kind: log1p"),
    ({"transforms": {"speed": {"kind": "log1p"}}}, "transforms.speed: no such channel"),
])
def test_hostile_companion_keys(tmp_path, extra, message):
    np.save(tmp_path / "X.npy", np.zeros((3, 5, 3), np.float32))
    (tmp_path / "lay.yaml").write_text(yaml.safe_dump({"channels": ["x", "y", "dt"], **extra}))
    with pytest.raises(DataError, match=message):
        load_trajectories(tmp_path / "X.npy", layout=tmp_path / "lay.yaml")
