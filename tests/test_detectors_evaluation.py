"""Held-out style evaluation: splits, session fusion, the protocol end to end, and its report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from detector_negatives import min_jerk_regular, noisy_real, straight_constant_speed
from deval.detectors.evaluation import (
    HUMAN_BASELINE, evaluate_holdout, fuse_sessions, session_windows, split_by_group, style_sets, training_weights,
)
from deval.detectors.metrics import detection_metrics
from deval.errors import ConfigError, DataError, OutputExistsError
from deval.reports.detector_report import EVALUATION_FILES, headline_table, write_evaluation_report
from deval.trajectories import Trajectories


@pytest.fixture(scope="module")
def real(sapimouse):
    """1200 movements of 24 people."""
    return sapimouse[np.isin(sapimouse.user, np.arange(1, 25))].subsample(1200, seed=0)


@pytest.fixture(scope="module")
def styles(real):
    return {"line": straight_constant_speed(real), "minjerk": min_jerk_regular(real),
            "noisy": noisy_real(real, 2.0)}


@pytest.fixture(scope="module")
def result(real, styles):
    return evaluate_holdout(real, styles, head="hgb", head_params={"max_iter": 30}, views=("raw", "60hz"),
                            session_k=(4,), n_bootstrap=100, seed=0)


# ---------------------------------------------------------------- pieces
def test_split_by_group_is_disjoint_and_seeded():
    groups = np.repeat(np.arange(10), 5).astype(str)
    tr, te = split_by_group(groups, 0.3, seed=0)
    assert len(te) == 3 and len(tr) == 7 and not set(tr) & set(te)
    assert set(tr) | set(te) == set(groups)
    tr2, te2 = split_by_group(groups, 0.3, seed=0)
    assert np.array_equal(te, te2)
    with pytest.raises(DataError, match="at least 2 people"):
        split_by_group(np.zeros(5).astype(str), 0.3, seed=0)


def test_session_windows_known_answer():
    # session a: 7 movements (shuffled t_start) -> windows of 3: 2 full + 1 dropped; session b: 5 -> 1 + 2 dropped
    meta = pd.DataFrame({
        "session": ["a"] * 7 + ["b"] * 5,
        "t_start": [6, 0, 5, 1, 4, 2, 3, 0, 1, 2, 3, 4],
    })
    w = session_windows(meta, 3)
    a, b = w[:7], w[7:]
    order_a = np.argsort(meta["t_start"][:7].to_numpy())
    assert len({*a[order_a[:3]]}) == 1 and len({*a[order_a[3:6]]}) == 1 and a[order_a[6]] == -1
    assert a[order_a[0]] != a[order_a[3]]
    assert (b[:3] == b[0]).all() and (b[3:] == -1).all() and b[0] not in a
    assert sorted(set(w[w >= 0])) == [0, 1, 2]
    scores = np.arange(12, dtype=float)
    fused = fuse_sessions(scores, w)
    for k in range(3):
        assert fused[k] == pytest.approx(scores[w == k].mean())
    # without sessions: consecutive movements in the given order
    plain = session_windows(pd.DataFrame({"session": [""] * 7}), 3)
    np.testing.assert_array_equal(plain, [0, 0, 0, 1, 1, 1, -1])


def test_mean_log_odds_fusion_matches_theory():
    """k i.i.d. Gaussian scores with shift d: fused AUC = Phi(d sqrt(k) / sqrt(2))."""
    rng = np.random.default_rng(0)
    d, k, n = 0.4, 5, 40_000
    meta = pd.DataFrame({"session": np.repeat(np.arange(n // k), k).astype(str)})
    h, b = rng.normal(0, 1, n), rng.normal(d, 1, n)
    fh, fb = fuse_sessions(h, session_windows(meta, k)), fuse_sessions(b, session_windows(meta, k))
    single = detection_metrics(np.r_[np.zeros(n), np.ones(n)], np.r_[h, b])["roc_auc"]
    fused = detection_metrics(np.r_[np.zeros(len(fh)), np.ones(len(fb))], np.r_[fh, fb])["roc_auc"]
    assert single == pytest.approx(norm.cdf(d / np.sqrt(2)), abs=0.01)
    assert fused == pytest.approx(norm.cdf(d * np.sqrt(k) / np.sqrt(2)), abs=0.015)


def test_training_weights_balance_classes_and_styles():
    y = np.r_[np.zeros(10), np.ones(30)]
    styles = np.array(["human"] * 10 + ["a"] * 20 + ["b"] * 10)
    w = training_weights(y, styles)
    assert w.mean() == pytest.approx(1.0)
    assert w[y == 0].sum() == pytest.approx(w[y == 1].sum())
    assert w[styles == "a"].sum() == pytest.approx(w[styles == "b"].sum())


def test_style_sets_naming(real, styles):
    mixed = Trajectories.concat([styles["line"][:5], styles["noisy"][:3]])
    out = style_sets([mixed, real[:4]])
    assert {k: len(v) for k, v in out.items()} == {"line": 5, "noisy": 3, "negatives-1": 4}
    assert all((t.label == 1).all() for t in out.values())


# --------------------------------------------------------------- protocol
def test_rows_and_person_split(result, real):
    m = result.metrics
    assert set(m["view"]) == {"raw", "60hz"} and set(m["level"]) == {"movement", "session-4"}
    for view in ("raw", "60hz"):
        for level in ("movement", "session-4"):
            part = m[(m["view"] == view) & (m["level"] == level)]
            assert list(part["setting"]) == ["held-out"] * 3 + ["seen"] * 3 + ["baseline"]
            assert list(part["style"]) == ["line", "minjerk", "noisy"] * 2 + [HUMAN_BASELINE]
    train_g, test_g = set(result.split["train_groups"]), set(result.split["test_groups"])
    assert not train_g & test_g and result.split["group_kind"] == "user"
    human_scores = result.scores[result.scores["label"] == 0]
    assert set(human_scores["user"].astype(str)) <= test_g
    # the bots carry the real users (made from their endpoints): they follow the same split
    assert all(result.split["bots_linked_to_people"].values())
    bots = result.scores[result.scores["label"] == 1]
    assert set(bots["user"].astype(str)) <= test_g
    n_test = int(np.isin(real.user.astype(str), list(test_g)).sum())
    row = m[(m["level"] == "movement") & (m["setting"] == "held-out")].iloc[0]
    assert row["n_human"] == n_test
    for col in ("roc_auc_lo", "roc_auc_hi", "tpr_at_fpr_1pct_lo", "eer_hi", "f1_lo", "pr_auc_hi"):
        assert col in m.columns
    assert ((m["roc_auc_lo"] <= m["roc_auc"] + 1e-9) & (m["roc_auc"] <= m["roc_auc_hi"] + 1e-9)).all()


def test_what_the_protocol_measures(result):
    m = result.metrics.set_index(["view", "level", "setting", "style"])
    # a straight line is caught even when never seen; every style is caught when seen
    assert m.loc[("raw", "movement", "held-out", "line"), "roc_auc"] > 0.95
    for s in ("line", "minjerk", "noisy"):
        assert m.loc[("raw", "movement", "seen", s), "roc_auc"] > 0.95
    # jittered real movements are learnable when seen, but nothing else in training prepares for them
    assert m.loc[("raw", "movement", "held-out", "noisy"), "roc_auc"] < 0.8
    assert result.models[("raw", "all")] > 0 and len(result.models) == 8
    table = result.table(setting="held-out")
    assert list(table["style"]) == ["line", "minjerk", "noisy"]
    assert table.loc[0, "roc_auc (raw)"] == m.loc[("raw", "movement", "held-out", "line"), "roc_auc"]


def test_human_baseline_is_chance_when_people_are_exchangeable(real, styles):
    """Shuffle the user ids: two groups of 'people' are then the same distribution -> AUC ~ 0.5."""
    covered = []
    for shuffle in range(3):  # a 95% interval misses 0.5 one time in 20: two of three shuffles must cover it
        rng = np.random.default_rng(shuffle)
        shuffled = real.with_meta(user=rng.permutation(real.user))
        res = evaluate_holdout(shuffled, {"line": styles["line"], "minjerk": styles["minjerk"]}, head="logistic",
                               n_bootstrap=200, seed=0, cross_logger=False)
        base = res.metrics[res.metrics["setting"] == "baseline"].iloc[0]
        covered.append(base["roc_auc_lo"] < 0.5 < base["roc_auc_hi"])
        assert abs(base["roc_auc"] - 0.5) < 0.1
    assert sum(covered) >= 2


def test_test_negatives_protocol_and_determinism(real, styles):
    kw = dict(test_negatives={"noisy": styles["noisy"]}, head="logistic", n_bootstrap=50, seed=1,
              max_per_set=600)
    a = evaluate_holdout(real, {"line": styles["line"], "minjerk": styles["minjerk"]}, **kw)
    m = a.metrics
    assert list(m["setting"]) == ["held-out", "seen", "seen", "baseline"]
    assert list(m["style"]) == ["noisy", "line", "minjerk", HUMAN_BASELINE]
    assert len(a.sets["real"]) == 600 and len(a.models) == 1
    held = a.scores[a.scores["style"] == "noisy"]
    assert len(held) == 600  # every test negative is scored
    b = evaluate_holdout(real, {"line": styles["line"], "minjerk": styles["minjerk"]}, **kw)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)


def test_unlinked_negatives_are_split_at_random(real, styles):
    bare = {s: t.with_meta(user=-1, session="") for s, t in styles.items() if s != "noisy"}
    res = evaluate_holdout(real, bare, head="logistic", n_bootstrap=0, session_k=(3,), seed=0)
    assert not any(res.split["bots_linked_to_people"].values())
    n_bot = res.metrics.query("level == 'movement' and setting == 'held-out'")["n_bot"]
    assert (n_bot == round(0.3 * len(real))).all()
    assert (res.metrics.query("level == 'session-3' and setting == 'held-out'")["n_bot"]
            == round(0.3 * len(real)) // 3).all()


def test_person_split_fallbacks(real, styles, caplog):
    one_person = real[real.user == real.user[0]]
    res = evaluate_holdout(one_person, styles, head="logistic", n_bootstrap=0, max_per_set=150)
    assert res.split["group_kind"] == "session" and "splitting by session" in caplog.text
    res = evaluate_holdout(one_person.with_meta(session=""), styles, head="logistic", n_bootstrap=0,
                           max_per_set=150)
    assert res.split["group_kind"] == "movement" and "same person can be on both sides" in caplog.text


def test_bad_settings(real, styles):
    with pytest.raises(ConfigError, match="at least 2 bot styles"):
        evaluate_holdout(real, {"line": styles["line"]})
    with pytest.raises(ConfigError, match="session_k"):
        evaluate_holdout(real, styles, session_k=(1,))
    with pytest.raises(ConfigError, match="view"):
        evaluate_holdout(real, styles, views=("sideways",))
    with pytest.raises(DataError, match="2 people"):
        evaluate_holdout(real[:1], styles)


# ------------------------------------------------------------------ report
def test_report(result, tmp_path):
    html = write_evaluation_report(result, tmp_path, real_name="sapimouse-subset", gallery_n=2)
    for name in EVALUATION_FILES:
        assert (tmp_path / name).exists()
    text = html.read_text()
    assert text.count("data:image/png;base64,") == 5  # ROC + 2 x (distributions, gallery)
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "held-out" in text and HUMAN_BASELINE in text and "Session-level fusion" in text
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    assert len(metrics) == len(result.metrics)
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert len(scores) == len(result.scores)
    table = headline_table(result)
    assert list(table["style"]) == ["line", "minjerk", "noisy", HUMAN_BASELINE]
    assert "[" in table.iloc[0]["roc_auc (raw)"]
    with pytest.raises(OutputExistsError):
        write_evaluation_report(result, tmp_path)
    write_evaluation_report(result, tmp_path, force=True, figures=False)


# ---------------------------------------------------------------- design space, loggers, sessions
@pytest.fixture(scope="module")
def composite(real):
    from deval.generators import get

    return get("composite")().sample(900, cond=real.endpoints().resample(900, seed=1), seed=1)


def test_leave_one_family_out_holds_out_every_value_of_the_family(real, styles, composite):
    res = evaluate_holdout(real, {"line": styles["line"], "composite": composite}, holdout="leave-one-family-out",
                           family="noise", head="hgb", head_params={"max_iter": 30}, views=("60hz",),
                           n_bootstrap=0, cross_logger=False, seed=0)
    held = res.metrics[(res.metrics["setting"] == "held-out") & (res.metrics["level"] == "movement")]
    values = sorted(set(composite.meta["noise"]))
    assert sorted(held["style"]) == [f"noise={v}" for v in values]
    assert {m for (_, m) in res.models} == {"all", *[f"noise={v}" for v in values]}
    # the movements of a held-out family are scored by the model that never saw them
    sc = res.scores[(res.scores["model"] == "noise=tremor") & (res.scores["label"] == 1)]
    assert set(sc["style"]) == {"noise=tremor"} and set(sc["setting"]) == {"held-out"}
    # a composite bot is still a bot: families left out are caught well above the human baseline
    assert held["roc_auc"].min() > 0.8
    with pytest.raises(ConfigError, match="2\\+ values"):
        evaluate_holdout(real, styles, holdout="leave-one-family-out", family="path", n_bootstrap=0)


def test_cross_logger_rows_and_logger_augmentation_lower_false_alarms(real, styles):
    """A raw-view detector learns the logger: people re-logged at other rates are flagged far above 1%.
    Training through random loggers brings the worst of those false-alarm rates down."""
    common = dict(head="hgb", head_params={"max_iter": 60}, views=("raw",), n_bootstrap=0, seed=0,
                  holdout="test-negatives")
    from deval.generators import get

    cond = real.endpoints().resample(600, seed=2)
    bots = {s: get(s)().sample(600, cond=cond, seed=2) for s in ("spline", "pid")}
    plain = evaluate_holdout(real, bots, test_negatives={"noisy": styles["noisy"]}, **common)
    from deval.loggers import LOGGERS

    c = plain.cross_logger
    assert list(c["logger"]) == list(LOGGERS) and (c["n"] == plain.split["n_real_test"]).all()
    assert ((c["fpr_lo"] <= c["fpr"]) & (c["fpr"] <= c["fpr_hi"])).all()
    assert c["fpr"].max() > 0.2
    augmented = evaluate_holdout(real, bots, test_negatives={"noisy": styles["noisy"]}, augment_loggers=12, **common)
    assert augmented.cross_logger["fpr"].max() < c["fpr"].max() - 0.1
    assert augmented.settings.augment_loggers == 12 and "cross_logger" in augmented.to_dict()


def test_train_only_negatives_are_never_tested_and_leave_with_their_family(real, styles, composite):
    from deval.detectors.evaluation import TRAIN_ONLY, EvaluationSettings, _plans

    extra = composite[:300]
    res = evaluate_holdout(real, {"line": styles["line"], "composite": composite[300:]}, train_only={"mined": extra},
                           holdout="leave-one-family-out", family="noise", head="hgb", head_params={"max_iter": 20},
                           views=("60hz",), n_bootstrap=0, cross_logger=False, seed=0)
    assert not res.scores["style"].str.endswith(TRAIN_ONLY).any()
    assert any(s.endswith(TRAIN_ONLY) for s in res.sets)
    train_styles = dict.fromkeys(res.sets.keys() - {"real"})
    held = sorted(s for s in train_styles if s.startswith("noise=") and not s.endswith(TRAIN_ONLY))
    for name, trained_on in _plans(EvaluationSettings(holdout="leave-one-family-out", family="noise"),
                                   train_styles, held)[1:]:
        assert name not in trained_on and f"{name}{TRAIN_ONLY}" not in trained_on
        assert any(s.endswith(TRAIN_ONLY) for s in trained_on)
