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
