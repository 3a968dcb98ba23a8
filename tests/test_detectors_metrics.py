"""Detection metrics against known answers, analytic cases and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn import metrics as skm

from deval.detectors.metrics import (
    METRIC_NAMES, bootstrap_metrics, detection_metrics, eer, f1_at, pr_auc, roc_auc, roc_curve, tpr_at_fpr,
)
from deval.errors import ConfigError, DataError


def test_perfect_separation():
    y = np.r_[np.zeros(50), np.ones(50)]
    s = np.r_[np.linspace(-3, -1, 50), np.linspace(1, 3, 50)]
    m = detection_metrics(y, s)
    assert m["roc_auc"] == 1.0 and m["pr_auc"] == 1.0 and m["eer"] == 0.0
    assert m["tpr_at_fpr_1pct"] == 1.0 and m["tpr_at_fpr_0.1pct"] == 1.0 and m["f1"] == 1.0
    assert m["n_bot"] == 50 and m["n_human"] == 50
    flipped = detection_metrics(y, -s)
    assert flipped["roc_auc"] == 0.0 and flipped["eer"] == 1.0 and flipped["tpr_at_fpr_1pct"] == 0.0


def test_all_ties_is_chance():
    y = np.r_[np.zeros(30), np.ones(70)]
    s = np.zeros(100)
    m = detection_metrics(y, s)
    assert m["roc_auc"] == 0.5
    assert m["eer"] == pytest.approx(0.5)
    assert m["pr_auc"] == pytest.approx(0.7)  # precision = prevalence at the only threshold
    assert m["tpr_at_fpr_1pct"] == 0.0  # no threshold flags anything without flagging every human


def test_identical_distributions():
    rng = np.random.default_rng(1)
    n = 100_000
    y = np.r_[np.zeros(n), np.ones(n)]
    s = rng.normal(size=2 * n)
    m = detection_metrics(y, s)
    assert m["roc_auc"] == pytest.approx(0.5, abs=0.005)
    assert m["eer"] == pytest.approx(0.5, abs=0.005)
    assert m["tpr_at_fpr_1pct"] == pytest.approx(0.01, abs=0.002)
    assert m["tpr_at_fpr_0.1pct"] == pytest.approx(0.001, abs=0.0007)


@pytest.mark.parametrize("d", [0.5, 1.0, 2.0])
def test_equal_variance_gaussians_match_theory(d):
    rng = np.random.default_rng(2)
    n = 200_000
    y = np.r_[np.zeros(n), np.ones(n)]
    s = np.r_[rng.normal(0, 1, n), rng.normal(d, 1, n)]
    m = detection_metrics(y, s)
    assert m["roc_auc"] == pytest.approx(norm.cdf(d / np.sqrt(2)), abs=0.003)
    assert m["eer"] == pytest.approx(norm.cdf(-d / 2), abs=0.003)
    assert m["tpr_at_fpr_1pct"] == pytest.approx(1 - norm.cdf(norm.ppf(0.99) - d), abs=0.006)
    assert m["tpr_at_fpr_0.1pct"] == pytest.approx(1 - norm.cdf(norm.ppf(0.999) - d), abs=0.006)
    # F1 at threshold d/2 (the Bayes threshold) with balanced classes: TPR = 1 - Phi(-d/2), FPR = Phi(-d/2)
    tpr, fpr = norm.cdf(d / 2), norm.cdf(-d / 2)
    assert f1_at(y, s, d / 2) == pytest.approx(2 * tpr / (2 * tpr + fpr + (1 - tpr)), abs=0.003)


@pytest.mark.parametrize("seed", range(4))
def test_against_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 300
    y = rng.integers(0, 2, n)
    s = np.round(rng.normal(size=n) + 0.8 * y, 1)  # many ties
    assert roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert pr_auc(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
    assert f1_at(y, s, 0.3) == pytest.approx(skm.f1_score(y, s >= 0.3), abs=1e-12)
    fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
    curve = roc_curve(y, s)
    np.testing.assert_allclose(curve.fpr, fpr)
    np.testing.assert_allclose(curve.tpr, tpr)
    np.testing.assert_allclose(curve.thresholds[1:], thr[1:])


@pytest.mark.parametrize("seed", range(3))
def test_tpr_at_fpr_brute_force(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    s = rng.normal(size=200) + y
    for target in (0.0, 0.01, 0.05, 0.2, 1.0):
        best = 0.0
        for thr in np.r_[np.inf, np.unique(s)]:
            flagged = s >= thr
            fpr = flagged[y == 0].mean()
            if fpr <= target:
                best = max(best, flagged[y == 1].mean())
        assert tpr_at_fpr(y, s, target) == pytest.approx(best)


def test_eer_hand_example():
    # humans 0,1,2,3 ; bots 2.5,4,5,6: at threshold 2.5 -> FPR 1/4, TPR 1; at 4 -> FPR 0, TPR 3/4
    y = np.r_[np.zeros(4), np.ones(4)]
    s = np.array([0, 1, 2, 3, 2.5, 4, 5, 6], float)
    # ROC points: (0,0) (0,.25) (0,.5) (0,.75) (.25,.75) (.25,1) ...; FPR = FNR where the segment
    # (0,.75)->(.25,.75) crosses g = fpr + tpr - 1 = 0: g goes -0.25 -> 0 => EER = 0.25
    assert eer(y, s) == pytest.approx(0.25)


def test_bootstrap_matches_hanley_mcneil():
    rng = np.random.default_rng(3)
    n1 = n2 = 400
    y = np.r_[np.zeros(n1), np.ones(n2)]
    s = np.r_[rng.normal(0, 1, n1), rng.normal(1, 1, n2)]
    bs = bootstrap_metrics(y, s, n_boot=600, seed=0)
    a = bs.loc["roc_auc", "estimate"]
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt((a * (1 - a) + (n2 - 1) * (q1 - a * a) + (n1 - 1) * (q2 - a * a)) / (n1 * n2))
    assert bs.loc["roc_auc", "std"] == pytest.approx(se, rel=0.25)
    assert list(bs.index) == list(METRIC_NAMES)
    assert (bs["ci_low"] <= bs["estimate"] + 1e-12).all() and (bs["estimate"] <= bs["ci_high"] + 1e-12).all()
    again = bootstrap_metrics(y, s, n_boot=600, seed=0)
    assert bs.equals(again)


def test_cluster_bootstrap_is_wider_for_correlated_people():
    rng = np.random.default_rng(4)
    people = np.repeat(np.arange(20), 50)  # 20 people, 50 movements each
    offset = rng.normal(0, 1, 20)[people]  # strong person effect
    y = np.r_[np.zeros(1000), np.ones(1000)]
    s = np.r_[offset + rng.normal(0, 0.3, 1000), rng.normal(1.0, 1.0, 1000)]
    clusters = np.r_[people, 100 + np.arange(1000)]
    naive = bootstrap_metrics(y, s, n_boot=300, seed=0)
    grouped = bootstrap_metrics(y, s, clusters=clusters, n_boot=300, seed=0)
    assert grouped.loc["roc_auc", "std"] > 2 * naive.loc["roc_auc", "std"]


def test_bad_input():
    with pytest.raises(DataError, match="at least one human"):
        detection_metrics(np.ones(5), np.arange(5.0))
    with pytest.raises(DataError, match="NaN"):
        detection_metrics([0, 1], [0.0, np.nan])
    with pytest.raises(DataError, match="labels"):
        detection_metrics([0, 2], [0.0, 1.0])
    with pytest.raises(DataError, match="3 labels for 2"):
        detection_metrics([0, 1, 1], [0.0, 1.0])
    with pytest.raises(ConfigError):
        tpr_at_fpr([0, 1], [0.0, 1.0], fpr=2)
    with pytest.raises(ConfigError):
        bootstrap_metrics([0, 1], [0.0, 1.0], n_boot=0)
