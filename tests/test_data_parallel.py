"""Data-parallel training under ``torchrun``: 2 gloo processes on the CPU against one process on the same batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from deval.errors import ConfigError
from deval.generators.learned.checkpoint import load_tensor_dict
from deval.generators.learned.data_parallel import DataParallel


def test_the_ranks_rows_cover_a_global_batch_once():
    for world in (1, 2, 4):
        rows = [DataParallel(rank, world).rows(16) for rank in range(world)]
        covered = [i for r in rows for i in range(16)[r]]
        assert covered == list(range(16))
    with pytest.raises(ConfigError, match="batch_size 10 must be a multiple of the 4 processes"):
        DataParallel(0, 4).rows(10)


def test_the_torchrun_environment_is_read_and_checked(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    assert not DataParallel.from_env().active and DataParallel.from_env().is_main
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    dp = DataParallel.from_env()
    assert (dp.rank, dp.world_size, dp.active, dp.is_main) == (1, 2, True, False)
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(ConfigError, match="RANK=2, WORLD_SIZE=2"):
        DataParallel.from_env()


def _train(tmp_path, out, procs, *extra):
    args = ["train-generator", "diffusion", "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / out),
            "--preset", "smoke", "train.overfit_single_batch=false", "train.batch_size=8", "train.val_every=1",
            "train.val_samples=20", "augment.jitter=0.05", "augment.p=1", "-q", *extra]
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={procs}"] if procs > 1 else []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    r = subprocess.run([sys.executable, *launcher, "-m", "deval.app.cli.main", *args], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def _losses(run):
    return [json.loads(line)["train_loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_two_gloo_processes_train_as_one_process_on_the_global_batch_and_resume(tmp_path):
    from deval.data import load_sample

    load_sample()[:300].save(tmp_path / "d.npz")
    # two processes, interrupted after 2 steps and resumed to 3 (the resume is a torchrun run too)
    _train(tmp_path, "two", 2, "--steps", "2")
    out = _train(tmp_path, "two", 2, "--steps", "3", "--resume")
    assert out.count('"steps"') == 1  # one summary: rank 0's
    _train(tmp_path, "one", 1, "--steps", "3")
    _train(tmp_path, "half", 1, "--steps", "3", "train.batch_size=4")  # what one rank alone would train on
    two, one, half = tmp_path / "two", tmp_path / "one", tmp_path / "half"
    # train_loss of a metrics line is the mean over this launch's steps so far; the resumed launch has one
    l2, l1, lh = _losses(two), _losses(one), _losses(half)
    per_step_one = [l1[0], 2 * l1[1] - l1[0], 3 * l1[2] - 2 * l1[1]]
    assert len(l2) == 3
    assert l2 == pytest.approx([l1[0], l1[1], per_step_one[2]], rel=1e-5)
    assert lh != pytest.approx(l1, rel=1e-3)
    w2, w1, wh = (load_tensor_dict(r / "last" / "training_state.pt")["model"] for r in (two, one, half))
    diff = max(float((w2[k] - w1[k]).abs().max()) for k in w1)
    diff_half = max(float((wh[k] - w1[k]).abs().max()) for k in w1)  # the scale of a real difference
    assert diff < 1e-4 < diff_half, (diff, diff_half)
    # only rank 0 wrote: one metrics line per validation, no stray temporary files
    assert sorted(p.name for p in two.iterdir()) == ["best", "config.json", "final", "last", "metrics.jsonl",
                                                      "split.json"]
    assert torch.isfinite(torch.cat([v.reshape(-1).float() for v in w2.values()])).all()
