"""Realism metrics against known answers: calibration, analytic cases, reference implementations."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.spatial.distance import cdist, pdist
from scipy.stats import norm

from deval.errors import ConfigError, DataError, DevalError
from deval.metrics import (
    c2st,
    c2st_test,
    feature_distances,
    knn_prdc,
    log_spectral_distance,
    mean_psd,
    median_heuristic,
    mmd_rbf,
    mmd_test,
    prd,
    prd_curve,
    prd_from_distributions,
)
from deval.metrics.c2st import _group_codes, fold_assignment
from deval.metrics.inputs import as_numpy_2d
from deval.metrics.prd import max_f_beta


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Run this module's OpenMP/BLAS work on one thread.

    The test machine is shared; with every core busy, two-thread OpenMP loops
    (gradient boosting, k-means, torch) spend most of their time waiting at
    barriers for a descheduled thread. One thread keeps the tests fast and
    their timing stable; results do not depend on the thread count.
    """
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(threads)


def gaussian(n: int, d: int, seed: int, shift: float = 0.0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)) * scale + shift


def halves(x: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(len(x))
    return x[perm[: len(x) // 2]], x[perm[len(x) // 2:]]


def reference_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    from prdc import compute_prdc

    with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the sizes
        return {key: float(v) for key, v in compute_prdc(real, fake, k).items()}


# --------------------------------------------------------------------------- inputs


def test_inputs_accept_numpy_and_torch_and_name_the_argument():
    x = np.arange(6.0).reshape(3, 2)
    assert np.array_equal(as_numpy_2d(torch.from_numpy(x).float(), "real"), x)
    with pytest.raises(DataError, match="real.*2-D"):
        as_numpy_2d(np.zeros(5), "real")
    bad = x.copy()
    bad[1, 1] = np.nan
    with pytest.raises(DataError, match=r"fake.*non-finite.*row 1, column 1"):
        as_numpy_2d(bad, "fake")
    assert np.isnan(as_numpy_2d(bad, "fake", allow_nan=True)[1, 1])
    with pytest.raises(DataError, match="fake: has 3 features but real has 2"):
        mmd_rbf(x, np.zeros((3, 3)))
    with pytest.raises(DataError, match="real: needs at least 6 rows"):
        knn_prdc(x, x, k=5)
    with pytest.raises(DataError, match="numeric"):
        as_numpy_2d([["a", "b"]], "real")


def test_bad_parameters_raise_config_errors():
    x = gaussian(50, 3, 0)
    with pytest.raises(ConfigError, match="classifier"):
        c2st_test(x, x, classifier="svm")
    with pytest.raises(ConfigError, match="folds"):
        c2st_test(x, x, folds=1)
    with pytest.raises(ConfigError, match="sigma"):
        mmd_rbf(x, x, sigma=-1.0)
    with pytest.raises(ConfigError, match="bandwidths"):
        mmd_test(x, x, bandwidths="wide")
    with pytest.raises(ConfigError, match="k must be"):
        knn_prdc(x, x, k=0)
    with pytest.raises(ConfigError, match="beta"):
        prd_curve(x, x, beta=0.5)
    # every one of these is a DevalError, so the CLI turns it into one line
    assert issubclass(ConfigError, DevalError) and issubclass(DataError, DevalError)


def test_numpy_and_torch_inputs_give_identical_results():
    real, fake = gaussian(300, 4, 1), gaussian(280, 4, 2, shift=0.3)
    rt, ft = torch.from_numpy(real), torch.from_numpy(fake)
    assert mmd_test(real, fake, n_permutations=50).to_dict() == mmd_test(rt, ft, n_permutations=50).to_dict()
    assert knn_prdc(real, fake).to_dict() == knn_prdc(rt, ft).to_dict()
    assert c2st_test(real, fake, classifier="logistic").to_dict() == c2st_test(
        rt, ft, classifier="logistic").to_dict()
    a, b = prd_curve(real, fake, num_runs=2), prd_curve(rt, ft, num_runs=2)
    assert a.precision == b.precision and a.recall == b.recall


# --------------------------------------------------------------------------- C2ST


def test_c2st_reads_chance_on_two_halves_of_one_set_and_on_a_set_against_itself():
    real, fake = halves(gaussian(4000, 8, 3))
    res = c2st_test(real, fake)
    assert abs(res.accuracy - 0.5) < 0.05
    assert res.p_value > 0.01
    assert abs(res.roc_auc - 0.5) < 0.05
    # identical vectors on both sides are kept in one fold: exactly chance, not below
    same = c2st_test(real, real)
    assert abs(same.accuracy - 0.5) < 0.05
    assert same.n_shared_samples == 2 * len(real)


def test_c2st_detects_clearly_different_sets():
    real = gaussian(1000, 6, 4)
    fake = gaussian(1000, 6, 5)
    fake[:, :2] += 2.0
    for classifier in ("hgb", "logistic"):
        res = c2st_test(real, fake, classifier=classifier)
        assert res.accuracy > 0.9, classifier
        assert res.roc_auc > 0.95
        assert res.p_value < 0.01
    assert c2st(real, fake) > 0.9


def test_c2st_mlp_probe_detects_a_nonlinear_difference():
    real = gaussian(600, 2, 6)
    fake = gaussian(600, 2, 7)
    # a ring inside the blob: not linearly separable
    fake *= 1.0 / np.linalg.norm(fake, axis=1, keepdims=True)
    fake *= 2.5
    assert c2st_test(real, fake, classifier="mlp").accuracy > 0.8
    assert c2st_test(real, fake, classifier="logistic").accuracy < 0.65


def test_c2st_balances_caps_records_settings_and_is_deterministic():
    real, fake = gaussian(900, 3, 8), gaussian(500, 3, 9, shift=0.5)
    res = c2st_test(real, fake, classifier="logistic", folds=4, seed=3, max_samples=400)
    assert (res.n_real, res.n_fake, res.n_real_used, res.n_fake_used) == (900, 500, 400, 400)
    assert res.n_evaluated == 800 and len(res.fold_accuracies) == 4
    assert res.folds == 4 and res.seed == 3 and res.classifier == "logistic"
    assert res.accuracy == pytest.approx(np.mean(res.fold_accuracies))
    d = res.to_dict()
    json.dumps(d)
    assert d["permutation_p_value"] is None  # NaN -> None in JSON
    assert c2st_test(real, fake, classifier="logistic", folds=4, seed=3, max_samples=400).to_dict() == d
    assert c2st_test(real, fake, classifier="logistic", folds=4, seed=4, max_samples=400).to_dict() != d
    assert c2st_test(real, fake, classifier="logistic", folds=4, seed=3, max_samples=400,
                     n_threads=1).to_dict() == d


def test_c2st_permutation_p_value():
    real = gaussian(150, 3, 10)
    different = gaussian(150, 3, 11, shift=1.5)
    res = c2st_test(real, different, classifier="logistic", n_permutations=19)
    assert res.permutation_p_value == pytest.approx(1 / 20)
    a, b = halves(gaussian(300, 3, 12))
    assert c2st_test(a, b, classifier="logistic", n_permutations=19).permutation_p_value > 0.1


def test_grouped_folds_never_put_one_person_on_both_sides():
    rng = np.random.default_rng(13)
    groups_real = rng.integers(0, 30, size=400)
    groups_fake = rng.integers(20, 50, size=300)  # ids 20..29 are people present in both sets
    g = _group_codes(groups_real, groups_fake, 400, 300)
    assert g[:400][groups_real == 25][0] == g[400:][groups_fake == 25][0]
    y = np.r_[np.zeros(400), np.ones(300)].astype(int)
    splits = fold_assignment(y, g, 5, seed=0)
    tested = np.concatenate([test for _, test in splits])
    assert np.array_equal(np.sort(tested), np.arange(700))
    for train, test in splits:
        assert not set(g[train]) & set(g[test])
    # a fake set without ids: each fake sample is its own person, distinct from every real id
    g2 = _group_codes(groups_real, None, 400, 300)
    assert len(np.unique(g2[400:])) == 300 and not set(g2[400:]) & set(g2[:400])
    with pytest.raises(DataError, match="groups_fake"):
        _group_codes(groups_real, groups_fake[:10], 400, 300)
    with pytest.raises(ConfigError, match="distinct ids"):
        fold_assignment(y, np.zeros(700, dtype=int), 5, seed=0)


def test_grouping_removes_person_leakage():
    """Real and fake come from one population of people, but from different people.

    Each person's movements cluster around a personal centre. Without grouping the
    probe recognises the people seen in training (high accuracy); with grouping
    every test person is new and the probe reads ~chance.
    """
    rng = np.random.default_rng(14)
    centres = rng.normal(scale=3.0, size=(120, 4))
    person = np.repeat(np.arange(120), 20)
    X = centres[person] + rng.normal(scale=0.3, size=(len(person), 4))
    is_real = person < 60
    real, fake = X[is_real], X[~is_real]
    leaky = c2st_test(real, fake)
    grouped = c2st_test(real, fake, groups_real=person[is_real], groups_fake=person[~is_real])
    assert leaky.accuracy > 0.85
    assert abs(grouped.accuracy - 0.5) < 0.15
    assert grouped.grouped and grouped.n_groups == 120 and not leaky.grouped


# --------------------------------------------------------------------------- MMD


def reference_mmd2(x: np.ndarray, y: np.ndarray, sigmas) -> float:
    """Plain float64 unbiased MMD² with a sum of RBF kernels."""
    def k(a, b):
        d2 = cdist(a, b, "sqeuclidean")
        return sum(np.exp(-d2 / (2 * s * s)) for s in sigmas)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    n, m = len(x), len(y)
    return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean())


def test_mmd_matches_a_float64_reference_in_any_block_size():
    x = gaussian(700, 5, 20, shift=50.0)  # far from the origin: the float32 path must centre
    y = gaussian(450, 5, 21, shift=50.2, scale=1.1)
    for bandwidths in (None, "multi"):
        res = mmd_test(x, y, bandwidths=bandwidths, n_permutations=0, block_size=128)
        ref = reference_mmd2(x, y, res.bandwidths)
        assert res.mmd2 == pytest.approx(ref, abs=2e-6)
        assert mmd_test(x, y, bandwidths=bandwidths, n_permutations=0, block_size=5000).mmd2 == pytest.approx(
            res.mmd2, abs=1e-6)
    res = mmd_test(x, y, bandwidths=[0.5, 3.0], n_permutations=0)
    assert res.bandwidths == (0.5, 3.0)
    assert res.mmd2 == pytest.approx(reference_mmd2(x, y, [0.5, 3.0]), abs=2e-6)


def test_mmd_matches_the_gaussian_closed_form():
    """E k for Gaussians: X ~ N(mu1, s1² I), Y ~ N(mu2, s2² I), k = exp(-|x-y|²/(2 sigma²)).

    X - Y ~ N(delta, tau² I) with tau² = s1² + s2², and
    E exp(-|Z|²/(2 sigma²)) = (sigma² / (sigma² + tau²))^(d/2) exp(-|delta|² / (2 (sigma² + tau²))).
    """
    d, sigma, s1, s2 = 3, 1.5, 1.0, 1.3
    delta = np.array([0.8, 0.0, -0.4])

    def expected_k(tau2, shift2):
        return (sigma**2 / (sigma**2 + tau2)) ** (d / 2) * np.exp(-shift2 / (2 * (sigma**2 + tau2)))

    exact = expected_k(2 * s1**2, 0) + expected_k(2 * s2**2, 0) - 2 * expected_k(s1**2 + s2**2, delta @ delta)
    x = gaussian(6000, d, 22, scale=s1)
    y = gaussian(6000, d, 23, scale=s2) + delta
    est = mmd_rbf(x, y, sigma=sigma)
    assert exact > 0.05
    assert est == pytest.approx(exact, abs=0.004)


def test_mmd_of_identical_distributions_is_zero_in_expectation():
    values = np.array([mmd_rbf(gaussian(150, 3, 100 + i), gaussian(150, 3, 200 + i), sigma=1.0)
                       for i in range(30)])
    assert (values < 0).any()  # the unbiased estimator goes negative
    assert abs(values.mean()) < 3 * values.std(ddof=1) / np.sqrt(len(values))
    # a set against itself: exactly -2/(n(n-1)) * sum_{i!=j}(1 - k_ij)/n ... checked through the reference
    x = gaussian(200, 3, 24)
    assert mmd_rbf(x, x, sigma=1.0) == pytest.approx(reference_mmd2(x, x, [1.0]), abs=1e-6)
    assert mmd_rbf(x, x, sigma=1.0) < 0


def test_mmd_permutation_test_calibration():
    a, b = halves(gaussian(1200, 6, 25))
    same = mmd_test(a, b, n_permutations=200, seed=1)
    assert same.p_value > 0.05
    different = mmd_test(a, gaussian(600, 6, 26, shift=0.4), n_permutations=200, seed=1)
    assert different.p_value < 0.01
    assert different.p_value == pytest.approx(1 / 201)
    # on a small pooled set the permutation test uses every point and its statistic is the full one
    assert (different.n_real_permutation, different.n_fake_permutation) == (600, 600)
    assert different.mmd2_permutation_subsample == pytest.approx(different.mmd2, abs=1e-6)


def test_mmd_permutation_subsample_and_determinism():
    x, y = gaussian(900, 4, 27), gaussian(600, 4, 28, shift=0.5)
    res = mmd_test(x, y, n_permutations=100, permutation_subsample=500, seed=7)
    assert (res.n_real_permutation, res.n_fake_permutation) == (300, 200)
    assert res.p_value < 0.02
    assert res.to_dict() == mmd_test(x, y, n_permutations=100, permutation_subsample=500, seed=7).to_dict()
    json.dumps(res.to_dict())
    assert res.sigma_source == "median" and res.n_real == 900 and res.n_fake == 600 and res.seed == 7


def test_median_heuristic_is_the_median_pairwise_distance():
    x, y = gaussian(300, 4, 29), gaussian(200, 4, 30, scale=2.0)
    assert median_heuristic(x, y) == pytest.approx(np.median(pdist(np.vstack([x, y]))))
    assert mmd_test(x, y, n_permutations=0).sigma == pytest.approx(median_heuristic(x, y))
    # subsampled and seeded on large pooled sets
    big = gaussian(3000, 4, 31)
    first = median_heuristic(big, big, max_points=500, seed=1)
    assert median_heuristic(big, big, max_points=500, seed=1) == first
    with pytest.raises(DataError, match="median pairwise distance is 0"):
        median_heuristic(np.zeros((10, 2)), np.zeros((10, 2)))


# --------------------------------------------------------------------------- PRD


def test_prd_from_distributions_identical_disjoint_and_mode_dropping():
    p = np.array([0.2, 0.3, 0.5])
    prec, rec = prd_from_distributions(p, p)
    assert max_f_beta(prec, rec, 8) == pytest.approx(1.0, abs=1e-6)
    assert max_f_beta(prec, rec, 1 / 8) == pytest.approx(1.0, abs=1e-6)
    prec, rec = prd_from_distributions(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert prec.max() == 0 and rec.max() == 0
    assert max_f_beta(prec, rec, 8) == 0
    # the model puts all its mass on one of the two reference modes: precise, half the recall.
    # alpha(l) = min(l/2, 1), beta(l) = alpha(l)/l <= 1/2; max F_8 is reached at l = 2: 65*0.5/64.5
    prec, rec = prd_from_distributions(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    assert max_f_beta(prec, rec, 8) == pytest.approx(65 * 0.5 / 64.5, abs=2e-3)
    assert max_f_beta(prec, rec, 1 / 8) > 0.98
    with pytest.raises(DataError, match="summing to 1"):
        prd_from_distributions(np.array([0.5, 0.6]), np.array([0.5, 0.5]))


def test_prd_calibration_on_feature_sets():
    a, b = halves(gaussian(2000, 5, 40))
    precision, recall = prd(a, b)
    assert precision > 0.9 and recall > 0.9
    far = gaussian(1000, 5, 41, shift=30.0)
    res = prd_curve(a, far, num_runs=3)
    assert res.precision < 0.1 and res.recall < 0.1
    # mode dropping: real has two clusters, fake only one of them
    real = np.vstack([gaussian(500, 3, 42), gaussian(500, 3, 43, shift=10.0)])
    fake = gaussian(1000, 3, 44)
    res = prd_curve(real, fake, num_runs=3)
    assert res.precision > 0.9 and res.recall < 0.6
    assert res.precision_curve.shape == res.recall_curve.shape == (1001,)


def test_prd_curve_settings_and_determinism():
    x, y = gaussian(600, 3, 45), gaussian(400, 3, 46, shift=0.5)
    res = prd_curve(x, y, num_clusters=10, num_runs=3, num_angles=101, seed=2)
    settings = (res.n_real_used, res.n_fake_used, res.num_clusters, res.num_runs, res.seed)
    assert settings == (400, 400, 10, 3, 2)
    d = res.to_dict()
    assert len(d["precision_curve"]) == 101
    json.dumps(d)
    again = prd_curve(x, y, num_clusters=10, num_runs=3, num_angles=101, seed=2)
    assert np.array_equal(again.precision_curve, res.precision_curve)
    assert np.array_equal(again.recall_curve, res.recall_curve)


# --------------------------------------------------------------------------- k-NN PRDC


@pytest.mark.parametrize(
    "n, m, d, shift, scale, block_size",
    [(1200, 900, 8, 0.3, 1.0, 100), (700, 1300, 3, 1.0, 1.5, None), (1000, 1000, 32, 0.05, 1.0, 333)],
)
def test_knn_prdc_matches_the_prdc_package(n, m, d, shift, scale, block_size):
    rng = np.random.default_rng(n + d)
    real = rng.normal(size=(n, d)) + 100.0  # offset: exercises the centring of the float32 path
    fake = rng.normal(size=(m, d)) * scale + shift + 100.0
    ref = reference_prdc(real, fake, 5)
    res = knn_prdc(real, fake, k=5, block_size=block_size)
    for key, value in ref.items():
        assert getattr(res, key) == pytest.approx(value, abs=1e-6), key


def test_knn_prdc_against_itself_and_by_hand():
    x = gaussian(800, 6, 50)
    res = knn_prdc(x, x, k=5)
    # each real ball holds the point itself and 4 strictly nearer neighbours (the 5th is on the border)
    assert (res.precision, res.recall, res.density, res.coverage) == (1.0, 1.0, 1.0, 1.0)
    ones = {"precision": 1.0, "recall": 1.0, "density": 1.0, "coverage": 1.0}
    assert reference_prdc(x, x.copy(), 5) == ones
    # by hand, k=1: real radii 1, 1, 2, 3; fake radii 2, 7.5, 2
    real = np.array([[0.0], [1.0], [3.0], [6.0]])
    fake = np.array([[0.5], [10.0], [2.5]])
    res = knn_prdc(real, fake, k=1)
    assert res.precision == pytest.approx(2 / 3)
    assert res.recall == 1.0
    assert res.density == pytest.approx(1.0)  # counts 2, 0, 1 over k*M = 3
    assert res.coverage == 0.75


def test_knn_prdc_reads_different_sets_and_records_settings():
    a, b = halves(gaussian(2000, 10, 51))
    same = knn_prdc(a, b)
    assert same.precision > 0.9 and same.recall > 0.9 and same.coverage > 0.9
    assert 0.8 < same.density < 1.2
    far = knn_prdc(a, gaussian(1000, 10, 52, shift=5.0))
    assert far.precision < 0.01 and far.recall < 0.01 and far.coverage < 0.01
    d = same.to_dict()
    json.dumps(d)
    assert (d["k"], d["n_real"], d["n_fake"]) == (5, 1000, 1000)
    assert knn_prdc(a, b, block_size=64).to_dict()["precision"] == d["precision"]


# --------------------------------------------------------------------------- per-feature distances


def test_feature_distances_known_answers():
    rng = np.random.default_rng(60)
    base = rng.normal(size=20000)
    real = pd.DataFrame({"a": base, "b": base * 2.0, "label": ["x"] * len(base)})
    fake = pd.DataFrame({"a": base + 1.0, "b": rng.normal(size=20000) * 2.0, "label": ["y"] * len(base)})
    table = feature_distances(real, fake)
    assert list(table.index) == ["a", "b"]  # numeric columns only
    a = table.loc["a"]
    assert a["wasserstein"] == pytest.approx(1.0)  # a pure shift moves every unit of mass by 1
    assert a["wasserstein_scaled"] == pytest.approx(1.0 / base.std(ddof=1))
    assert a["smd"] == pytest.approx(1.0 / base.std(ddof=1))
    assert a["ks"] == pytest.approx(2 * norm.cdf(0.5) - 1, abs=0.02)  # N(0,1) vs N(1,1): 0.383
    assert a["ks_pvalue"] < 1e-10
    b = table.loc["b"]
    assert b["ks"] < 0.03 and b["ks_pvalue"] > 1e-3 and abs(b["smd"]) < 0.05
    assert b["wasserstein_scaled"] < 0.05
    same = feature_distances(real, real)
    assert (same["ks"] == 0).all() and (same["wasserstein"] == 0).all() and (same["ks_pvalue"] == 1).all()


def test_feature_distances_drops_non_finite_values_and_checks_columns():
    real = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": [1.0, 1.0, 1.0, 1.0]})
    fake = pd.DataFrame({"a": [1.0, np.inf, 3.0], "b": [1.0, 1.0, 1.0]})
    table = feature_distances(real, fake)
    assert table.loc["a", "n_real"] == 3 and table.loc["a", "n_fake"] == 2
    assert table.loc["b", "smd"] == 0 and np.isnan(table.loc["b", "wasserstein_scaled"])
    with pytest.raises(DataError, match="fake_df: missing feature column.*b"):
        feature_distances(real, fake[["a"]])
    with pytest.raises(DataError, match="real_df: expected a pandas DataFrame"):
        feature_distances(real.to_numpy(), fake)


# --------------------------------------------------------------------------- spectral distance


def test_log_spectral_distance_known_answers():
    rng = np.random.default_rng(70)
    psd = rng.uniform(0.1, 5.0, size=(50, 17))
    assert log_spectral_distance(psd, psd) == 0.0
    assert log_spectral_distance(psd, 2.0 * psd) == pytest.approx(10 * np.log10(2))
    assert log_spectral_distance(torch.from_numpy(psd), psd * 0.5) == pytest.approx(10 * np.log10(2))
    # one bin 10x stronger out of 4 bins: sqrt(10² / 4) = 5 dB
    flat = np.ones((3, 4))
    bumped = flat.copy()
    bumped[:, 2] = 10.0
    assert log_spectral_distance(flat, bumped) == pytest.approx(5.0)
    # all-zero rows (no spectrum) are left out of the mean
    with_empty = np.vstack([psd, np.zeros((10, 17))])
    assert np.allclose(mean_psd(with_empty), psd.mean(axis=0))
    assert np.allclose(mean_psd(with_empty, skip_empty=False), with_empty.mean(axis=0))
    # empty bins are floored, never infinite
    assert np.isfinite(log_spectral_distance(np.c_[psd, np.zeros(50)], np.c_[psd, np.ones(50)]))
    with pytest.raises(DataError, match="psd_fake: has 16 frequency bins but psd_real has 17"):
        log_spectral_distance(psd, psd[:, :16])
    with pytest.raises(DataError, match="psd_real: power spectral densities must be non-negative"):
        log_spectral_distance(-psd, psd)


# --------------------------------------------------------------------------- real data


def test_metrics_on_two_halves_of_real_sapimouse_features(sapimouse):
    from deval.features import extract_features
    from deval.features.scaling import FeatureScaler

    rng = np.random.default_rng(80)
    idx = rng.choice(len(sapimouse), 3000, replace=False)  # random order: the halves mix users and sessions
    feats = extract_features(sapimouse.take(idx))
    a, b = feats.iloc[:1500], feats.iloc[1500:]
    scaler = FeatureScaler().fit(a)
    xa, xb = scaler.transform(a), scaler.transform(b)
    assert abs(c2st_test(a.to_numpy(), b.to_numpy()).accuracy - 0.5) < 0.06
    assert mmd_test(xa, xb, n_permutations=100).p_value > 0.01
    res = knn_prdc(xa, xb)
    ref = reference_prdc(xa, xb, 5)
    for key, value in ref.items():
        assert getattr(res, key) == pytest.approx(value, abs=1e-6), key
    assert res.precision > 0.8 and res.recall > 0.8
