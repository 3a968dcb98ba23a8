"""Sharded runs on a Dask LocalCluster give exactly the one-process output (skips without Dask)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.distributed import parse_scheduler
from deval.errors import ConfigError


def test_scheduler_values_are_checked():
    assert parse_scheduler(None) is None and parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.1:8786") == ("address", "tcp://10.0.0.1:8786")
    for bad in ("local:0", "local", "cluster", "http://x"):
        with pytest.raises(ConfigError):
            parse_scheduler(bad)
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "--n", "5", "--scheduler", "lots",
                                 "-o", "x.npz"])
    assert r.exit_code != 0 and "--scheduler must be local:N" in r.output


def test_missing_dask_is_a_one_line_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError("no dask here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    from deval.distributed import shard_runner

    with pytest.raises(ConfigError, match=r"pip install 'deval\[distributed\]'"):
        with shard_runner("local:2"):
            pass


def test_two_workers_give_the_one_process_bytes(tmp_path):
    pytest.importorskip("dask.distributed", reason="Dask is an optional extra: pip install 'deval[distributed]'")
    from deval.data import load_sample

    load_sample().save(tmp_path / "real.npz")
    runner = CliRunner()
    for tag, extra in (("one", []), ("two", ["--scheduler", "local:2"])):
        # 2 sources x 12,000 movements: 4 seeded shards of at most 10,000
        r = runner.invoke(cli, ["generate-negatives", "-s", "spline", "-s", "composite", "--like",
                                str(tmp_path / "real.npz"), "--n", "12000", "--seed", "4", "-q",
                                "-o", str(tmp_path / f"neg_{tag}.npz"), *extra])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "neg_one.npz").read_bytes() == (tmp_path / "neg_two.npz").read_bytes()
    r = runner.invoke(cli, ["train-detector", "--real", str(tmp_path / "real.npz"), "--negatives",
                            str(tmp_path / "neg_one.npz"), "--head", "logistic", "--out", str(tmp_path / "det"), "-q"])
    assert r.exit_code == 0, r.output
    for tag, extra in (("one", []), ("two", ["--scheduler", "local:2"])):
        r = runner.invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / "neg_one.npz"), "--chunk", "7000",
                                "-o", str(tmp_path / f"s_{tag}.csv"), "-q", *extra])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "s_one.csv").read_bytes() == (tmp_path / "s_two.csv").read_bytes()
    for tag, extra in (("one", []), ("two", ["--scheduler", "local:2"])):
        r = runner.invoke(cli, ["features", str(tmp_path / "neg_one.npz"), "--chunk", "5000", "--groups", "kinematic",
                                "-o", str(tmp_path / f"f_{tag}.csv"), "-q", *extra])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "f_one.csv").read_bytes() == (tmp_path / "f_two.csv").read_bytes()


def test_a_folder_output_is_written_part_by_part_and_read_as_one_file(tmp_path):
    """--out DIR/: one .npz part per seeded shard, the same movements and metadata as one file, refusals."""
    import numpy as np

    from deval.io import load_trajectories

    runner = CliRunner()
    args = ["generate-negatives", "-s", "spline", "-s", "composite", "--n", "12000", "--seed", "4", "-q"]
    r = runner.invoke(cli, [*args, "-o", str(tmp_path / "one.npz")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, [*args, "-o", str(tmp_path / "parts") + "/"])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert names == ["part-00000.npz", "part-00001.npz", "part-00002.npz", "part-00003.npz", "parts.json"]
    a, b = load_trajectories(tmp_path / "one.npz"), load_trajectories(tmp_path / "parts")
    assert np.array_equal(a.x, b.x) and np.array_equal(a.t, b.t) and a.meta.equals(b.meta) and a.attrs == b.attrs
    # features and scores stream the folder part by part: the same table as for the one file
    import pandas as pd

    from deval.features import extract_features
    from deval.io.streaming import count_movements, iter_trajectories

    assert count_movements(tmp_path / "parts") == 24000 and count_movements(tmp_path / "one.npz") is None
    chunks = list(iter_trajectories(tmp_path / "parts", chunk=7000))
    assert [len(c) for c in chunks] == [7000, 3000, 2000, 7000, 3000, 2000]  # parts of 10k and 2k, re-cut
    for name in ("one.npz", "parts"):
        r = runner.invoke(cli, ["features", str(tmp_path / name), "--groups", "timing,geometry", "--chunk", "7000",
                                "-o", str(tmp_path / f"{name}.csv"), "-q"])
        assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "parts.csv")
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "one.npz.csv").read_bytes()
    expected = extract_features(a, groups=["timing", "geometry"])
    assert list(table["index"]) == list(range(len(a))) and list(table["style"]) == list(a.meta["style"])
    np.testing.assert_allclose(table[expected.columns].to_numpy(), expected.to_numpy(), rtol=1e-9)
    # compare's subsample of a folder: the rows load_trajectories(...).subsample draws, taken part by part
    from deval.io.streaming import load_subsample

    sub, ref = load_subsample(tmp_path / "parts", n=500, seed=3), a.subsample(500, seed=3)
    assert np.array_equal(sub.x, ref.x) and np.array_equal(sub.offsets, ref.offsets) and sub.meta.equals(ref.meta)
    r = runner.invoke(cli, ["features", str(tmp_path / "parts"), "--groups", "nope", "-o", str(tmp_path / "x.csv")])
    assert r.exit_code != 0 and "unknown feature group" in r.output and not (tmp_path / "x.csv").exists()
    r = runner.invoke(cli, [*args, "-o", str(tmp_path / "parts")])
    assert r.exit_code != 0 and "--force" in r.output
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    r = runner.invoke(cli, [*args, "-o", str(tmp_path / "other") + "/"])
    assert r.exit_code != 0 and "not a parts output" in r.output
    r = runner.invoke(cli, ["generate-negatives", "-s", "spline", "--n", "10", "-q", "--force",
                            "-o", str(tmp_path / "parts")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["part-00000.npz", "parts.json"]
    assert len(load_trajectories(tmp_path / "parts")) == 10
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_score_streams_a_parts_folder_like_one_file(tmp_path):
    from deval.data import load_sample

    runner = CliRunner()
    load_sample()[:300].save(tmp_path / "real.npz")
    args = ["generate-negatives", "-s", "spline", "-s", "pid", "--n", "300", "--seed", "1", "-q"]
    assert runner.invoke(cli, [*args, "-o", str(tmp_path / "neg.npz")]).exit_code == 0
    assert runner.invoke(cli, [*args, "-o", str(tmp_path / "neg") + "/"]).exit_code == 0
    r = runner.invoke(cli, ["train-detector", "--real", str(tmp_path / "real.npz"), "--negatives",
                            str(tmp_path / "neg.npz"), "--head", "logistic", "--out", str(tmp_path / "det"), "-q"])
    assert r.exit_code == 0, r.output
    for name in ("neg.npz", "neg"):
        r = runner.invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / name), "--chunk", "128",
                                "-o", str(tmp_path / f"{name}.csv"), "-q"])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "neg.csv").read_bytes() == (tmp_path / "neg.npz.csv").read_bytes()
