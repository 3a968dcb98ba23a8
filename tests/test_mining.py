"""Hard-negative mining: the selection is hard and diverse; the loop runs, records its rounds and is seeded."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.detectors.mining import mine_negatives, select_diverse_hardest


def test_selection_takes_the_hardest_but_keeps_every_cluster():
    rng = np.random.default_rng(0)
    # two well separated clusters; every movement of cluster A is harder (lower score) than any of B
    feats = np.r_[rng.normal(0, 0.1, (500, 3)), rng.normal(10, 0.1, (500, 3))]
    scores = np.r_[rng.uniform(-5, -1, 500), rng.uniform(1, 5, 500)]
    idx, coverage = select_diverse_hardest(scores, feats, keep=100, clusters=2, seed=0)
    assert len(idx) == 100 and coverage == 1.0
    from_b = idx[idx >= 500]
    assert len(from_b) == 25  # the floor: keep // (2 * clusters) from each cluster
    assert np.all(scores[from_b] <= np.sort(scores[500:])[24])  # B's hardest
    assert np.all(scores[idx[idx < 500]] <= np.sort(scores[:500])[74])


def test_mining_rounds_are_recorded_seeded_and_runnable_from_the_cli(tmp_path):
    from deval.data import load_sample
    from deval.negatives import generate_negatives

    real = load_sample()[:600]
    neg = generate_negatives(["spline"], like=real, n=300, seed=0)
    a = mine_negatives(real, neg, rounds=2, candidates=300, search_configs=8, clusters=8, seed=1)
    b = mine_negatives(real, neg, rounds=2, candidates=300, search_configs=8, clusters=8, seed=1)
    assert np.array_equal(a.negatives.x, b.negatives.x)
    assert [r["round"] for r in a.rounds] == [1, 2] and set(a.negatives.meta["mined_round"]) == {1, 2}
    for r in a.rounds:
        assert r["kept"] == round(0.2 * r["candidates"]) and 0 < r["coverage"] <= 1
        assert r["kept_pass_rate"] >= r["pass_rate"]  # the kept ones are the hard ones
        assert len(r["search"]) == 2 and r["search"][0]["mean_score"] <= r["search"][1]["mean_score"]
    real.save(tmp_path / "real.npz")
    neg.save(tmp_path / "neg.npz")
    res = CliRunner().invoke(cli, ["mine-negatives", "--real", str(tmp_path / "real.npz"), "--negatives",
                                   str(tmp_path / "neg.npz"), "--rounds", "1", "--candidates", "200",
                                   "--clusters", "4", "--evaluate-family", "noise", "--out", str(tmp_path / "mined"),
                                   "-q"])
    assert res.exit_code == 0, res.output
    rounds = json.loads((tmp_path / "mined" / "rounds.json").read_text())
    r0 = rounds["rounds"][0]
    assert r0["kept"] == round(0.2 * r0["candidates"]) and 190 <= r0["candidates"] <= 200
    assert (tmp_path / "mined" / "detector" / "detector.json").exists()
    matrix = r0["family_matrix"]
    assert {row["family"] for row in matrix} <= {f"noise={p}" for p in ("none", "gaussian", "tremor", "drift",
                                                                           "overshoot", "submovements", "pause")}
    assert len(matrix) >= 2 and all(0.0 <= row["roc_auc"] <= 1.0 for row in matrix)
    assert "held out noise=" in res.output
