"""``deval compare`` end to end: calibration on real data, report files, bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.compare import CompareSettings, compare_sets
from deval.trajectories import Trajectories


def straight_line_version(traj: Trajectories) -> Trajectories:
    """Same endpoints, point counts and timestamps, but a constant-speed straight line."""
    seg = traj.segment_ids
    dur = np.maximum(traj.durations, 1e-9)[seg]
    u = traj.t / dur
    s, e = traj.start[seg], traj.end[seg]
    return traj.with_points(s[:, 0] + u * (e[:, 0] - s[:, 0]), s[:, 1] + u * (e[:, 1] - s[:, 1]))


@pytest.fixture(scope="module")
def real_small(sapimouse):
    return sapimouse.subsample(3000, seed=1)


def test_same_set_reads_no_difference(sapimouse_path, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(
        cli, ["compare", str(sapimouse_path), str(sapimouse_path), "--out", str(out), "--max-samples", "3000",
              "-q", "--permutations", "50"],
    )
    assert r.exit_code == 0, r.output
    m = pd.read_csv(out / "metrics.csv")
    assert 0.45 <= m["c2st_acc"][0] <= 0.55
    assert m["mmd_p"][0] > 0.05
    assert "passes" in r.output
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html  # self-contained
    meta = json.loads((out / "metrics.json").read_text())
    assert meta["settings"]["max_samples"] == 3000 and meta["fakes"][0]["n"] == 3000
    dist = pd.read_csv(out / "feature_distances.csv")
    assert list(dist.columns[:2]) == ["fake", "feature"] and "straightness" in set(dist["feature"])
    # no overwrite without --force
    r2 = CliRunner().invoke(cli, ["compare", str(sapimouse_path), str(sapimouse_path), "--out", str(out)])
    assert r2.exit_code != 0 and "--force" in r2.output and "Traceback" not in r2.output


def test_random_halves_read_no_difference(real_small):
    perm = np.random.default_rng(0).permutation(len(real_small))
    a, b = real_small[perm[:1500]], real_small[perm[1500:]]
    res = compare_sets(a, {"half": b}, CompareSettings(seed=0, mmd_permutations=100, baselines=False))
    m = res.rows[0].metrics
    assert m["c2st_acc"] <= 0.56
    assert m["mmd_p"] > 0.01
    assert res.verdicts()[0]["passed"]


def test_straight_lines_read_different(real_small):
    fake = straight_line_version(real_small)
    res = compare_sets(real_small, {"straight": fake},
                       CompareSettings(seed=0, mmd_permutations=50, metrics=("c2st", "mmd", "prdc")))
    m = res.rows[0].metrics
    assert m["c2st_acc"] > 0.9
    assert m["mmd_p"] < 0.05
    assert not res.verdicts()[0]["passed"]
    names = [b["name"] for b in res.baselines]
    assert any("human vs human" in n for n in names)


def test_by_style_gives_one_row_per_style(sapimouse_path, real_small, tmp_path):
    perm = np.random.default_rng(0).permutation(len(real_small))  # the same people on both sides
    fake = Trajectories.concat([
        straight_line_version(real_small[perm[:300]]).with_meta(style="line", label=1),
        real_small[perm[300:600]].with_meta(style="copy", label=1),
    ])
    fake.save(tmp_path / "mixed.npz")
    real_small[perm[600:1500]].save(tmp_path / "real.npz")
    r = CliRunner().invoke(cli, ["compare", str(tmp_path / "real.npz"), str(tmp_path / "mixed.npz"), "--by-style",
                                 "--out", str(tmp_path / "rep"), "-q", "--no-baselines", "--metrics", "c2st"])
    assert r.exit_code == 0, r.output
    m = pd.read_csv(tmp_path / "rep" / "metrics.csv").set_index("fake")
    assert set(m.index) == {"mixed:line", "mixed:copy"}
    assert m.loc["mixed:line", "c2st_acc"] > 0.9 > 0.6 > m.loc["mixed:copy", "c2st_acc"]


def test_generation_group_reads_goal_accuracy_and_diversity_from_metadata():
    """Known answers: model ends rotated by 10 degrees about the start and shrunk 20%; identical repeats."""
    from deval.compare import generation_comparison
    from deval.generators import get

    traj = get("spline")().sample(40, seed=0)
    start, end = traj.start, traj.end
    d = end - start
    a = np.radians(10.0)
    rot = np.stack([d[:, 0] * np.cos(a) - d[:, 1] * np.sin(a), d[:, 0] * np.sin(a) + d[:, 1] * np.cos(a)], 1)
    model_end = start + 0.8 * rot
    fake = traj.with_meta(uncorrected_end_x=model_end[:, 0], uncorrected_end_y=model_end[:, 1])
    scalars, details = generation_comparison(fake)
    assert scalars["goal_angle_err_deg"] == pytest.approx(10.0, abs=1e-6)
    assert scalars["goal_distance_err_rel"] == pytest.approx(0.2, abs=1e-6)
    assert "diversity_rel" not in scalars  # no condition column

    twins = traj.take(np.repeat(np.arange(20), 2)).with_meta(condition=np.repeat(np.arange(20), 2))
    scalars, details = generation_comparison(twins)
    assert scalars["diversity_rel"] == pytest.approx(0.0, abs=1e-9) and details["diversity"]["n_groups"] == 20
    assert generation_comparison(traj) == ({}, {})  # nothing recorded: nothing reported


def test_60hz_view_hides_the_logger_and_small_sets_get_no_verdict(tmp_path):
    """Continuous re-timing is caught by its timing in the raw view; the 60 Hz view resamples it away.
    Sets too small to judge get a clear verdict (or a one-line error), never a bare number or a traceback."""
    from deval.calibration import continuous_timing
    from deval.data import load_sample

    real = load_sample()
    a, b = real[:400], continuous_timing(real[400:800], 0)
    fast = dict(seed=0, metrics=("c2st",), baselines=False, aspects=True)
    raw = compare_sets(a, {"b": b}, CompareSettings(**fast)).rows[0].metrics
    hz = compare_sets(a, {"b": b}, CompareSettings(view="60hz", **fast)).rows[0].metrics
    assert raw["c2st_aspect_timing"] > 0.9 and hz["c2st_aspect_timing"] < 0.7, (raw, hz)
    small = compare_sets(a, {"b": b[:40]}, CompareSettings(**fast))
    assert small.verdicts()[0]["passed"] is None and "too few movements to judge" in small.verdicts()[0]["text"]
    a.save(tmp_path / "a.npz")
    b[:6].save(tmp_path / "six.npz")
    r = CliRunner().invoke(cli, ["compare", str(tmp_path / "a.npz"), str(tmp_path / "six.npz"), "--out",
                                 str(tmp_path / "rep"), "-q"])
    assert r.exit_code != 0 and "too few movements to judge" in r.output and "Traceback" not in r.output


def test_by_condition_gives_one_row_per_distance_and_direction(tmp_path):
    from deval.compare import condition_labels
    from deval.data import load_sample

    real = load_sample()
    labels = condition_labels(real)
    assert labels[0].endswith(("/E", "/SE", "/S", "/SW", "/W", "/NW", "/N", "/NE"))
    real[:1000].save(tmp_path / "real.npz")
    real[1000:].save(tmp_path / "other.npz")
    r = CliRunner().invoke(cli, ["compare", str(tmp_path / "real.npz"), str(tmp_path / "other.npz"), "--by-condition",
                                 "--distance-bins", "0,500,inf", "--min-per-condition", "40", "--metrics", "c2st",
                                 "--no-baselines", "--no-sequence-probe", "--out", str(tmp_path / "rep"), "-q"])
    assert r.exit_code == 0, r.output
    m = pd.read_csv(tmp_path / "rep" / "metrics.csv")
    assert len(m) >= 4 and all(":0-500px/" in f or ":500-infpx/" in f for f in m["fake"])
    assert (m["c2st_acc"] < 0.75).all()  # the same people, condition by condition


def test_report_reads_well(tmp_path):
    """Per-feature tables name their features, tables scroll in their box, colour-blind-safe source colours,
    'not computed' is neutral, the breakdown says which aspect gives a set away."""
    import re

    from deval.data import load_sample
    from deval.generators import get
    from deval.reports.compare_report import write_compare_report
    from deval.reports.figures import FAKE_COLORS

    real = load_sample()[:300]
    fakes = {"spline": get("spline")().sample(200, cond=real.endpoints().resample(200, seed=0), seed=0)}
    res = compare_sets(real, fakes, CompareSettings(metrics=("c2st", "distances"), baselines=False))
    html = write_compare_report(res, tmp_path / "rep").read_text()
    assert "Where the difference lies" in html and "gives itself away most by its" in html
    tables = re.findall(r"(.{30})<table", html, flags=re.S)
    assert tables and all('<div class="scroll">' in t for t in tables)
    assert "<th>feature</th>" in html and "whole_ms_share" in html
    # the logger found in each set, side by side: the shipped sample is browser events at ~60 Hz
    assert "The logger of each set" in html and "display-frame events" in html
    assert set(res.to_dict()["loggers"]) == {res.real_name, "spline"}
    assert FAKE_COLORS[:3] == ("#E69F00", "#56B4E9", "#009E73")  # Okabe-Ito
    no_c2st = compare_sets(real, fakes, CompareSettings(metrics=("mmd",), baselines=False, mmd_permutations=10))
    html = write_compare_report(no_c2st, tmp_path / "rep2").read_text()
    assert 'class="neutral">C2ST not computed' in html


def test_a_registered_metric_joins_every_comparison(tmp_path):
    """The metric registry: a plugin metric is computed by compare_pair and lands in metrics.csv."""
    from deval.compare import METRICS, MetricOutput, register_metric
    from deval.errors import ConfigError
    from deval.data import load_sample

    real = load_sample()
    calls = []

    @register_metric("point-ratio")
    def point_ratio(r, f, settings, scaler):
        calls.append(settings.seed)
        return MetricOutput({"point_ratio": float(np.median(f.traj.lengths) / np.median(r.traj.lengths))})

    try:
        settings = CompareSettings(metrics=("distances", "point-ratio"), baselines=False)
        res = compare_sets(real[:300], {"half": real[300:600]}, settings)
        row = res.summary().iloc[0]
        assert row["point_ratio"] == pytest.approx(np.median(real[300:600].lengths) / np.median(real[:300].lengths))
        assert calls == [settings.seed]
    finally:
        METRICS.unregister("point-ratio")
    with pytest.raises(ConfigError, match="unknown metric"):
        CompareSettings(metrics=("point-ratio",))


def test_sessions_of_one_person_read_apart_from_movements_drawn_independently(sapimouse):
    """Session-level realism: people vs other people read near the baseline; the same people's movements shuffled
    across sessions (each movement real, no session one person's) read far from people."""
    from deval.session_realism import session_realism

    users = np.unique(sapimouse.user)
    a = sapimouse[np.isin(sapimouse.user, users[:24])]
    b = sapimouse[np.isin(sapimouse.user, users[24:48])]
    settings = CompareSettings(seed=0, features="kinematic")
    people = session_realism(a, b, 5, settings)
    shuffled = b.take(np.random.default_rng(0).permutation(len(b))).with_meta(session="")
    mixed = session_realism(a, shuffled, 5, settings)
    assert not people.pseudo_sessions and mixed.pseudo_sessions
    assert people.c2st_acc < 0.7 and abs(people.people_vs_people - 0.5) < 0.15
    assert mixed.c2st_acc > people.c2st_acc + 0.15
    res = compare_sets(a[:400], {"b": b[:400]}, CompareSettings(seed=0, metrics=("mmd",), baselines=False,
                                                               mmd_permutations=5, session_k=5))
    assert res.to_dict()["sessions"][0]["name"] == "b"
