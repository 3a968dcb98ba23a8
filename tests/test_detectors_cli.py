"""``deval train-detector``, ``deval score`` and ``deval evaluate`` through Click's test runner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from detector_negatives import min_jerk_regular, noisy_real, straight_constant_speed
from deval.app.cli.main import cli


@pytest.fixture(scope="module")
def files(sapimouse, tmp_path_factory):
    """Small real and bot files: 500 real movements of 20 people and three bot styles."""
    d = tmp_path_factory.mktemp("detect_cli")
    real = sapimouse[np.isin(sapimouse.user, np.arange(1, 21))].subsample(500, seed=0)
    paths = {"real": d / "real.npz", "line": d / "line.npz", "minjerk": d / "minjerk.npz", "noisy": d / "noisy.npz"}
    real.save(paths["real"])
    straight_constant_speed(real).save(paths["line"])
    min_jerk_regular(real).save(paths["minjerk"])
    # a bot file without style names: the file name becomes the style
    noisy_real(real).with_meta(style="human").save(paths["noisy"])
    return {k: str(v) for k, v in paths.items()}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_train_and_score(files, tmp_path):
    det = tmp_path / "det"
    res = run("train-detector", "--real", files["real"], "--negatives", files["line"], files["minjerk"],
              "--head", "logistic", "--out", det, "-q")
    assert res.exit_code == 0, res.output
    assert "logistic detector" in res.output and "line, minjerk" in res.output
    record = json.loads((det / "detector.json").read_text())
    assert record["training"]["n_bot"] == {"line": 500, "minjerk": 500}
    assert record["training"]["training_roc_auc"] > 0.95
    out = tmp_path / "scores.csv"
    res = run("score", det, files["noisy"], "--out", out, "-q", "--chunk", "128")
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(out)
    assert len(scores) == 500
    assert list(scores.columns[:4]) == ["index", "p_bot", "log_odds", "predicted_bot"]
    assert {"style", "user", "session", "label"} <= set(scores.columns)
    assert scores["p_bot"].between(0, 1).all() and (scores["index"] == np.arange(500)).all()
    # scoring in chunks gives the same numbers as scoring at once
    res = run("score", det, files["noisy"], "--out", out, "-q", "--force")
    assert res.exit_code == 0
    np.testing.assert_allclose(pd.read_csv(out)["log_odds"], scores["log_odds"])
    # the command is a shell over the library call
    import deval
    from deval.detectors import load_detector

    lib = deval.score_movements(load_detector(det), deval.load_trajectories(files["noisy"]), chunk=100)
    np.testing.assert_allclose(lib["log_odds"], scores["log_odds"], rtol=1e-12)
    assert list(lib.columns) == list(scores.columns)
    # no silent overwrite
    res = run("score", det, files["noisy"], "--out", out, "-q")
    assert res.exit_code == 1 and "already exists" in res.output
    res = run("train-detector", "--real", files["real"], "--negatives", files["line"], "--head", "logistic",
              "--out", det, "-q")
    assert res.exit_code == 1 and "already exists" in res.output


def test_train_torch_head_resampled_view(files, tmp_path):
    det = tmp_path / "cnn"
    res = run("train-detector", "--real", files["real"], "--negatives", files["line"], "--negatives", files["noisy"],
              "--head", "cnn", "--epochs", "1", "--view", "60hz", "--out", det, "-q")
    assert res.exit_code == 0, res.output
    record = json.loads((det / "detector.json").read_text())
    assert record["params"]["view"] == "resampled" and record["params"]["resample_hz"] == 60.0
    assert set(record["training"]["n_bot"]) == {"line", "noisy"}
    assert record["preprocessing"]["normalizer"]["channels"] == ["dx", "dy", "dt"]
    res = run("score", det, files["line"], "--out", tmp_path / "s.csv", "-q")
    assert res.exit_code == 0, res.output


def test_train_option_errors(files, tmp_path):
    res = run("train-detector", "--real", files["real"], "--negatives", files["line"], "--head", "hgb",
              "--epochs", "3", "--out", tmp_path / "x")
    assert res.exit_code == 2 and "--epochs" in res.output
    res = run("train-detector", "--real", files["real"], "--negatives", tmp_path / "missing.npz",
              "--out", tmp_path / "x")
    assert res.exit_code == 2 and "does not exist" in res.output
    res = run("train-detector", "--real", files["real"], "--negatives", files["line"], "--param", "depth=3",
              "--out", tmp_path / "x", "-q")
    assert res.exit_code == 1 and "no parameter" in res.output
    res = run("score", tmp_path, files["line"], "--out", tmp_path / "s.csv")
    assert res.exit_code == 1 and res.output.startswith("Error:") and "detector.json missing" in res.output


def test_evaluate(files, tmp_path):
    out = tmp_path / "eval"
    res = run("evaluate", "--real", files["real"], "--negatives", files["line"], files["minjerk"], files["noisy"],
              "--head", "logistic", "--views", "raw,60hz", "--session-k", "3", "--bootstrap", "50",
              "--out", out, "-q", "--no-figures")
    assert res.exit_code == 0, res.output
    assert "roc_auc (raw)" in res.output and "tpr_at_fpr_1pct (60hz)" in res.output and "noisy" in res.output
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["level"]) == {"movement", "session-3"}
    assert set(metrics["style"]) == {"line", "minjerk", "noisy", "human (other people)"}
    assert (out / "report.html").exists() and (out / "scores.csv").exists()
    res = run("evaluate", "--real", files["real"], "--negatives", files["line"], files["minjerk"],
              "--test-negatives", files["noisy"], "--head", "logistic", "--bootstrap", "0", "--out", out,
              "--force", "-q", "--no-figures")
    assert res.exit_code == 0, res.output
    metrics = pd.read_csv(out / "metrics.csv")
    assert metrics.loc[metrics["setting"] == "held-out", "style"].tolist() == ["noisy"]


def test_evaluate_option_errors(files, tmp_path):
    res = run("evaluate", "--real", files["real"], "--negatives", files["line"], "--holdout", "test-negatives",
              "--out", tmp_path)
    assert res.exit_code == 2 and "--test-negatives" in res.output
    res = run("evaluate", "--real", files["real"], "--negatives", files["line"], "--out", tmp_path, "-q")
    assert res.exit_code == 1 and "at least 2 bot styles" in res.output
    res = run("evaluate", "--real", files["real"], "--negatives", files["line"], files["noisy"], "--session-k",
              "a,b", "--out", tmp_path)
    assert res.exit_code == 2 and "--session-k" in res.output


def test_score_by_user_pools_the_mean_log_odds(tmp_path):
    import pandas as pd

    from deval.data import load_sample

    real = load_sample()
    real[:400].save(tmp_path / "real.npz")
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "composite", "--like", str(tmp_path / "real.npz"),
                                 "--n", "400", "-q", "--out", str(tmp_path / "neg.npz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["train-detector", "--real", str(tmp_path / "real.npz"), "--negatives",
                                 str(tmp_path / "neg.npz"), "--view", "logger-robust", "--augment-loggers", "4",
                                 "--out", str(tmp_path / "det"), "-q"])
    assert r.exit_code == 0, r.output
    real[400:700].save(tmp_path / "new.npz")
    for by in ("movement", "user"):
        r = CliRunner().invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / "new.npz"), "--by", by,
                                     "--out", str(tmp_path / f"{by}.csv"), "-q"])
        assert r.exit_code == 0, r.output
    per_movement = pd.read_csv(tmp_path / "movement.csv")
    per_user = pd.read_csv(tmp_path / "user.csv")
    expected = per_movement.groupby("user")["log_odds"].mean()
    assert len(per_user) == per_movement["user"].nunique()
    assert np.allclose(per_user.set_index("user")["log_odds"].loc[expected.index], expected)
    sizes = per_movement.groupby("user").size()
    assert (per_user.set_index("user")["movements"].loc[sizes.index] == sizes).all()
    # the timing check: a second, raw-view detector, reported in its own columns
    r = CliRunner().invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / "new.npz"), "--timing-check",
                                 str(tmp_path / "det"), "-o", str(tmp_path / "t.csv"), "-q"])
    assert r.exit_code != 0 and "raw view" in r.output
    r = CliRunner().invoke(cli, ["train-detector", "--real", str(tmp_path / "real.npz"), "--negatives",
                                 str(tmp_path / "neg.npz"), "--view", "raw", "--out", str(tmp_path / "timing"), "-q"])
    assert r.exit_code == 0, r.output
    for by in ("movement", "user"):
        r = CliRunner().invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / "new.npz"), "--timing-check",
                                     str(tmp_path / "timing"), "--by", by, "-o", str(tmp_path / f"t_{by}.csv"), "-q"])
        assert r.exit_code == 0, r.output
        t = pd.read_csv(tmp_path / f"t_{by}.csv")
        assert {"p_bot", "timing_p_bot", "timing_flag"} <= set(t.columns)
        assert ((t["timing_flag"] == 1) == (t["timing_p_bot"] >= 0.5)).all()
    main = pd.read_csv(tmp_path / "t_movement.csv")
    assert np.allclose(main["p_bot"], per_movement["p_bot"])  # the main verdict does not change


def test_calibrate_sets_thresholds_from_a_sites_traffic(files, sapimouse, tmp_path):
    """People of a site behind another logger (a remote desktop): calibrated on a sample of the site's traffic,
    score flags about the chosen share of the site's other people, per movement and per session."""
    from deval.loggers import LOGGERS

    det = tmp_path / "det"
    assert run("train-detector", "--real", files["real"], "--negatives", files["line"], files["minjerk"],
               "--head", "logistic", "--out", det, "-q").exit_code == 0
    site = LOGGERS["remote-desktop-50ms"].relog(sapimouse[np.isin(sapimouse.user, np.arange(30, 73))], 0)
    calib_users = np.isin(site.user, np.arange(30, 52))
    traffic, later = site[calib_users], site[~calib_users]
    from deval.io import load_trajectories
    from deval.trajectories import Trajectories

    # the traffic holds a few bots too
    traffic = Trajectories.concat([traffic, load_trajectories(files["line"])[:60].with_meta(session="bot", account=0)])
    traffic.save(tmp_path / "traffic.npz")
    later.save(tmp_path / "later.npz")
    res = run("calibrate", det, "--traffic", tmp_path / "traffic.npz", "--fpr", "0.02", "--bot-share", "0.02")
    assert res.exit_code == 0, res.output
    assert "movement: log-odds >=" in res.output and "session: log-odds >=" in res.output
    record = json.loads((det / "detector.json").read_text())
    assert record["thresholds"]["target_fpr"] == 0.02 and record["thresholds"]["n_movements"] == len(traffic)
    for by, tol in (("movement", 0.02), ("session", 0.05)):
        out = tmp_path / f"scores_{by}.csv"
        res = run("score", det, tmp_path / "later.npz", "--by", by, "--out", out, "-q")
        assert res.exit_code == 0 and "calibrated threshold" in res.output
        flagged = pd.read_csv(out)["predicted_bot"].mean()
        assert flagged <= 0.02 + tol, (by, flagged)
    res = CliRunner().invoke(cli, ["calibrate", str(det), "--traffic", str(tmp_path / "traffic.npz")])
    assert res.exit_code != 0 and "--force" in res.output
    load_trajectories(files["line"])[:20].save(tmp_path / "tiny.npz")
    res = CliRunner().invoke(cli, ["calibrate", str(det), "--traffic", str(tmp_path / "tiny.npz"), "--force"])
    assert res.exit_code == 1 and "tiny.npz: 20 movements are too few to calibrate on" in res.output
