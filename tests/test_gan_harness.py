"""The example "existing" GAN harness (examples/gan_harness/train_gan.py) with and without --use_diffusion_eval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deval.app.hooks import HOOK_METRICS

from gan_support import arcs, diffusion_checkpoint

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "gan_harness" / "train_gan.py"


def _run(args: list[str]) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1")  # small models on a shared machine
    res = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("harness") / "movements.npz"
    arcs(700, seed=3, n_users=12).save(path)
    return path


def _losses(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("epoch ")]


def test_harness_runs_with_and_without_the_hook(data_file, tmp_path, tmp_path_factory):
    base = ["--data", str(data_file), "--epochs", "2", "--batch-size", "64", "--max-movements", "500", "--seed", "1"]
    plain = _run([*base, "--out", str(tmp_path / "plain")])
    assert len(_losses(plain)) == 2 and "diffusion_eval" not in plain
    assert (tmp_path / "plain" / "gan_harness.pt").is_file()

    ckpt = diffusion_checkpoint(tmp_path_factory)
    eval_dir = tmp_path / "eval"
    hooked = _run([*base, "--out", str(tmp_path / "hooked"), "--use_diffusion_eval", "--diffusion_eval_checkpoint",
                   str(ckpt), "--diffusion_eval_samples", "40", "--diffusion_eval_out", str(eval_dir),
                   "--diffusion_eval_threads", "1"])
    # the evaluation does not change training: same losses epoch by epoch (the times differ)
    strip = [line.rsplit("(", 1)[0] for line in _losses(hooked)]
    assert strip == [line.rsplit("(", 1)[0] for line in _losses(plain)]
    printed = [json.loads(line.split(" ", 1)[1]) for line in hooked.splitlines() if line.startswith("diffusion_eval ")]
    assert [p["epoch"] for p in printed] == [1, 2]
    lines = [json.loads(x) for x in (eval_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]  # one line per evaluation
    for line, shown in zip(lines, printed):
        for src in ("diffusion", "gan"):
            for m in HOOK_METRICS:
                assert 0 <= line[src][m] <= 1 or m == "mmd_val", (src, m)
                assert line[src][m] == shown[f"{src}/{m}"]
        assert Path(line["plots"]["kinematic"]).is_file() and Path(line["plots"]["spectral"]).is_file()
    # evaluations 1 and 2 use the same diffusion samples; the harness's GAN moved on in between
    assert lines[0]["diffusion"]["c2st_acc_val"] == lines[1]["diffusion"]["c2st_acc_val"]
    assert lines[0]["gan"]["mmd_val"] != lines[1]["gan"]["mmd_val"]
