"""``deval generate-negatives`` and ``deval list-generators``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.generators.sigma_lognormal import SigmaLognormalBot
from deval.io import load_trajectories

BUILTIN_NAMES = ("noise", "spline", "pid", "minimum-jerk", "sigma-lognormal", "replay")


@pytest.fixture(scope="module")
def real_file(tmp_path_factory) -> Path:
    """A small human-labelled file to take endpoints from (synthetic, so no real data is needed)."""
    traj = SigmaLognormalBot().sample(120, seed=7).with_meta(style="human", label=0)
    path = tmp_path_factory.mktemp("real") / "real.npz"
    traj.save(path)
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_mixed_sources_like_a_real_file(real_file, tmp_path):
    out = tmp_path / "neg.npz"
    res = run("generate-negatives", "--source", "spline", "--source", "pid", "--source", "noise",
              "--like", str(real_file), "--n", "40", "--seed", "3", "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    neg = load_trajectories(out)
    assert len(neg) == 120
    assert dict(zip(*np.unique(neg.style, return_counts=True))) == {"noise": 40, "pid": 40, "spline": 40}
    assert (neg.label == 1).all()
    real = load_trajectories(real_file)
    real_pairs = {tuple(r) for r in np.hstack([real.start, real.end])}
    assert all(tuple(r) in real_pairs for r in np.hstack([neg.start, neg.end]))  # endpoints come from --like
    for style in ("spline", "pid", "noise"):
        assert f"{style} " in res.output  # summary table
    assert "wrote 120 movements" in res.output
    settings = json.loads(neg.attrs["params"])
    assert settings["sources"] == ["spline", "pid", "noise"] and settings["like"] == str(real_file)


def test_without_like_generators_draw_their_own_endpoints(tmp_path):
    out = tmp_path / "neg.npz"
    res = run("generate-negatives", "-s", "sigma-lognormal", "--n", "30", "-o", str(out), "-q")
    assert res.exit_code == 0, res.output
    assert len(load_trajectories(out)) == 30


def test_same_seed_same_file_and_different_seed_differs(tmp_path, real_file):
    paths = []
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        p = tmp_path / f"{name}.npz"
        assert run("generate-negatives", "-s", "spline", "-s", "minimum-jerk", "--like", str(real_file), "--n", "25",
                   "--seed", seed, "-o", str(p), "-q").exit_code == 0
        paths.append(load_trajectories(p))
    a, b, c = paths
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)
    assert a.n_points != c.n_points or not np.array_equal(a.x, c.x)


def test_params_route_to_sources(tmp_path):
    out = tmp_path / "neg.npz"
    res = run("generate-negatives", "-s", "spline", "-s", "noise", "--n", "5", "-o", str(out), "-q",
              "-p", "spline.n_control=2", "-p", "point_noise=[0.1, 0.2]", "-p", "noise.speed=900")
    assert res.exit_code == 0, res.output
    params = json.loads(load_trajectories(out).attrs["params"])["params"]
    assert params["spline"]["n_control"] == [2, 2]
    assert params["spline"]["point_noise"] == [0.1, 0.2] and params["noise"]["point_noise"] == [0.1, 0.2]
    assert params["noise"]["speed"] == [900.0, 900.0] and params["spline"]["fitts_a"] == [0.1, 0.3]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["-p", "no_such=1"], "no source has a parameter 'no_such'"),
        (["-p", "pid.n_control=2"], "'pid' is not one of the --source values"),
        (["-p", "spline.curvature=9"], "parameter 'curvature' must be within [0, 2], got 9"),
        (["-p", "spline.curve=wobbly"], "parameter 'curve' must be one of"),
        (["-p", "nonsense"], "is not key=value"),
    ],
)
def test_bad_params_give_one_line_errors(tmp_path, extra, message):
    res = run("generate-negatives", "-s", "spline", "--n", "5", "-o", str(tmp_path / "x.npz"), *extra)
    assert res.exit_code != 0
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "x.npz").exists()


def test_unknown_source_lists_known_generators(tmp_path):
    res = run("generate-negatives", "-s", "splin", "--n", "5", "-o", str(tmp_path / "x.npz"))
    assert res.exit_code == 1
    assert "unknown generator 'splin'" in res.output and "sigma-lognormal" in res.output


def test_existing_output_needs_force(tmp_path):
    out = tmp_path / "neg.npz"
    assert run("generate-negatives", "-s", "noise", "--n", "5", "-o", str(out), "-q").exit_code == 0
    res = run("generate-negatives", "-s", "noise", "--n", "5", "-o", str(out), "-q")
    assert res.exit_code == 1 and "already exists (use --force to overwrite)" in res.output
    res = run("generate-negatives", "-s", "noise", "--n", "7", "-o", str(out), "-q", "--force")
    assert res.exit_code == 0 and len(load_trajectories(out)) == 7


def test_output_suffix_must_be_writable(tmp_path):
    res = run("generate-negatives", "-s", "noise", "--n", "5", "-o", str(tmp_path / "x.parquet"))
    assert res.exit_code == 2 and ".npz" in res.output


def test_replay_fits_on_like_or_loads_a_checkpoint(real_file, tmp_path):
    res = run("generate-negatives", "-s", "replay", "--n", "5", "-o", str(tmp_path / "x.npz"))
    assert res.exit_code == 2 and "--checkpoint replay=DIR" in res.output
    res = run("generate-negatives", "-s", "replay", "--like", str(real_file), "--n", "20", "-o",
              str(tmp_path / "a.npz"), "-q")
    assert res.exit_code == 0, res.output
    assert "replay: fitting on" in res.output
    from deval.generators.replay import ReplayBot

    ReplayBot(data=str(real_file)).save(tmp_path / "ckpt")
    res = run("generate-negatives", "-s", "replay", "-s", "noise", "--checkpoint", f"replay={tmp_path / 'ckpt'}",
              "--n", "20", "-o", str(tmp_path / "b.npz"), "-q")
    assert res.exit_code == 0, res.output
    assert (load_trajectories(tmp_path / "b.npz").style == "replay").sum() == 20
    res = run("generate-negatives", "-s", "noise", "--checkpoint", str(tmp_path / "ckpt"), "--n", "5",
              "-o", str(tmp_path / "c.npz"))
    assert res.exit_code == 2 and "trainable sources: none" in res.output


def test_list_generators_shows_descriptions_and_parameters():
    res = run("list-generators")
    assert res.exit_code == 0, res.output
    for name in BUILTIN_NAMES:
        assert f"\n{name}" in "\n" + res.output
    assert "replay (trainable): " in res.output
    assert "curvature = [0.05, 0.35]   [[low, high] within [0, 2]]" in res.output
    info = json.loads(run("list-generators", "--json").output)
    assert {g["name"] for g in info} >= set(BUILTIN_NAMES)
    spline = next(g for g in info if g["name"] == "spline")
    assert any(p["name"] == "n_control" and p["default"] == [1, 3] for p in spline["params"])


def test_sampling_shortcuts_route_like_params(tmp_path):
    """--steps/--sampler/--cfg-scale are --param shortcuts; a source that has none of them is a usage error."""
    from click.testing import CliRunner

    from deval.app.cli.main import cli

    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "--steps", "20", "--n", "5",
                                 "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 2 and "--steps" in r.output and "spline" in r.output
    assert not (tmp_path / "x.npz").exists()


def test_per_condition_repeats_each_condition(tmp_path):
    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.io import load_trajectories

    out = tmp_path / "pc.npz"
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "--n", "10", "--per-condition", "4",
                                 "-q", "-o", str(out)])
    assert r.exit_code == 0, r.output
    tr = load_trajectories(out)
    cond = tr.meta["condition"].to_numpy()
    assert cond.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]
    for k in range(3):
        m = cond == k
        assert np.allclose(tr.start[m], tr.start[m][0]) and np.allclose(tr.end[m], tr.end[m][0])
    assert len({tuple(np.round(tr[i].x, 3)) for i in range(4)}) == 4  # same condition, different movements


def test_cli_and_library_give_the_same_negatives(real_file, tmp_path):
    """One seeding scheme: the CLI, the demo and deval.negatives.generate_negatives agree byte for byte."""
    from deval.negatives import generate_negatives

    out = tmp_path / "cli.npz"
    res = run("generate-negatives", "-s", "spline", "-s", "noise", "--like", str(real_file), "--n", "30",
              "--seed", "4", "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    cli_neg = load_trajectories(out)
    lib_neg = generate_negatives(["spline", "noise"], n=30, like=load_trajectories(real_file), seed=4)
    for a in ("x", "y", "t", "offsets"):
        np.testing.assert_array_equal(getattr(cli_neg, a), getattr(lib_neg, a))


def test_timing_like_relogs_every_source_with_the_reference_clock(tmp_path):
    """Whole-ms, whole-pixel reference: with --timing like, a continuous-time bot gets its clock and grid."""
    from deval.data import load_sample

    ref = load_sample().subsample(300, seed=0)
    ref.save(tmp_path / "ref.npz")
    for timing in ("own", "like"):
        res = run("generate-negatives", "-s", "minimum-jerk", "--like", str(tmp_path / "ref.npz"), "--n", "100",
                  "--timing", timing, "--seed", "1", "--out", str(tmp_path / f"{timing}.npz"), "-q")
        assert res.exit_code == 0, res.output
    own, like = load_trajectories(tmp_path / "own.npz"), load_trajectories(tmp_path / "like.npz")
    ref_dt = set(np.round(np.diff(ref.t)[np.diff(ref.segment_ids) == 0] * 1000).astype(int))
    dt = np.diff(like.t)[np.diff(like.segment_ids) == 0] * 1000
    assert np.allclose(dt, np.round(dt)) and set(np.round(dt).astype(int)) <= ref_dt | set(range(0, 1000))
    assert np.array_equal(like.x[1:-1], np.round(like.x[1:-1])) or np.mean(like.x == np.round(like.x)) > 0.95
    np.testing.assert_allclose(like.end, own.end)  # targets kept exactly
    assert set(like.meta["logged_by"]) == {"like"} and set(own.meta["logged_by"]) == {"own"}
    res = run("generate-negatives", "-s", "spline", "--timing", "like", "--n", "5", "--out", str(tmp_path / "x.npz"))
    assert res.exit_code != 0 and "--like" in res.output and "Traceback" not in res.output


def test_durations_follow_a_reference_recorded_at_another_pace(tmp_path):
    """--like a file of slower people (times x1.6): negatives last as long as the movements they follow."""
    from deval.data import load_sample
    from deval.io import save_trajectories

    real = load_sample()[:600]
    slow = real.with_points(real.x, real.y, real.t * 1.6)
    save_trajectories(slow, tmp_path / "slow.npz")
    for durations, close in (("auto", True), ("own", False)):
        out = tmp_path / f"neg_{durations}.npz"
        res = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "-s", "composite", "--like",
                                       str(tmp_path / "slow.npz"), "--n", "300", "--durations", durations,
                                       "--out", str(out)])
        assert res.exit_code == 0, res.output
        neg = load_trajectories(out)
        for style in ("spline", "composite"):
            ratio = np.median(neg[np.asarray(neg.style) == style].durations) / np.median(slow.durations)
            assert (abs(ratio - 1) <= 0.05) == close, (durations, style, ratio)
    res = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "--durations", "like", "--out",
                                   str(tmp_path / "x.npz")])
    assert res.exit_code != 0 and "like" in res.output
