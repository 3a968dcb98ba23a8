"""``RealismEval``: the meter inside any loop, and the iteration-loop example."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from deval.data import load_sample
from deval.app.hooks import RealismEval

REPO = Path(__file__).resolve().parents[1]


def test_every_counts_the_callers_iterations_and_leaves_random_states(tmp_path):
    real = load_sample()
    ev = RealismEval(real[:300], every=5, out_dir=tmp_path, n_samples=200, metrics=("c2st",))
    calls = []

    def sample(n):
        calls.append(n)
        return real[1000:1000 + n]

    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    states = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    out = [ev.step(it, sample) for it in range(1, 11)]
    assert [bool(m) for m in out] == [False] * 4 + [True] + [False] * 4 + [True]
    assert calls == [200, 200]
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == states  # as if the hook never ran
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["iteration"] for x in lines] == [5, 10]
    assert 0.4 <= lines[0]["c2st_acc"] <= 0.62  # real against real
    assert ev(7, real[1000:1200]) == {} and ev(15, real[1000:1200])["iteration"] == 15


def test_iteration_loop_example_runs_and_the_line_count_is_true(tmp_path):
    script = REPO / "examples" / "iteration_loop" / "train_loop.py"
    assert script.read_text().count("# deval") == 5  # the README's count
    r = subprocess.run([sys.executable, str(script), "--iterations", "20", "--every", "10", "--out",
                        str(tmp_path / "ev")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = (tmp_path / "ev" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2 and "c2st_acc" in json.loads(lines[0])


def test_a_layout_converts_the_loops_scaled_tensors(tmp_path):
    """The dict-configured loop's scaled 8-channel tensors, described by a layout instead of a converter."""
    import yaml

    from test_layouts import eight_channel_layout

    real = load_sample()
    eight_channel_layout(real[:300], tmp_path)
    X, L = np.load(tmp_path / "X.npy"), np.load(tmp_path / "L_X.npy")
    ev = RealismEval(real[300:600], every=1, n_samples=200, layout=tmp_path / "layout.yaml", metrics=("c2st",))
    m = ev(1, (torch.as_tensor(X), L))
    assert 0.35 <= m["c2st_acc"] <= 0.75 and m["n_fake"] == 300
    assert yaml.safe_load((tmp_path / "layout.yaml").read_text())["lengths"] == "L_{stem}.npy"
