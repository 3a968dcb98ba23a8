"""The realism meter: several cross-fitted probes, one honest headline.

One probe sees only what it is given. deval's meter therefore runs several
classifier two-sample tests (C2ST) on the *same* balanced samples and the
*same* folds, and reports the strongest of them:

``features``
    gradient boosting (the ``hgb`` probe of :mod:`deval.metrics.c2st`) on the
    kinematic, spectral and shape features (:mod:`deval.features.shape`:
    interval and step distributions, their order, the logger's quantisation);
``sequence``
    a 1-D CNN on the canonical steps of each movement
    (:mod:`deval.metrics.sequence_probe`);
``stack``
    a logistic regression on the two probes' out-of-fold log-odds, fitted on
    the other folds' predictions (stacking).

**Headline (cross-fitted maximum).** Taking the best of several accuracies
measured on the same samples would read above 0.5 on identical sets. So the
folds are split into two halves (even and odd fold numbers); the probe with
the highest accuracy on one half is scored on the other half, and the other
way round; the headline is the mean of those two held-out accuracies (weighted
by their sizes). Every probe's accuracy on a half is out-of-fold, and the
choice of probe never sees the half it is scored on, so identical sets read
0.5 on average; the tests check it.

**Where the difference lies.** The same gradient-boosting probe is run on each
aspect's features alone (:data:`ASPECTS`: timing, geometry, speed profile,
acceleration/jerk, spectrum, press), so a report can say "it is the timing". The
``timing`` aspect is the logger's: intervals, their stamp grid, the position
grid (``whole_px_share``, read within 1e-3 px so float round-off is still a
whole pixel) and still samples (``step_zero_share``); geometry is the hand's
path alone.

Samples: each side is subsampled (seeded) to ``min(n_real, n_fake,
max_samples)`` movements (default 5000) before anything is fitted; the
sequence probe reads at most ``max_steps`` steps of a movement (longer ones
are truncated).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from deval.canonical import to_deltas
from deval.errors import DataError
from deval.metrics.c2st import (_cross_validate, _group_codes, _merge_shared_rows, fold_assignment, fold_job,
                                make_probe, pool_folds)
from deval.thread_jobs import run_jobs, torch_threads
from deval.metrics.results import JSONResult
from deval.metrics.sequence_probe import sequence_fold_jobs
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

#: Aspect -> feature columns whose probe says how much that aspect alone gives a set away.
ASPECTS: dict[str, tuple[str, ...]] = {
    "timing": ("duration", "n_points", "dt_mean", "dt_std", "dt_cv", "dt_max", "dt_median", "dt_q10_rel",
               "dt_q25_rel", "dt_q75_rel", "dt_q90_rel", "dt_rel_lt050", "dt_rel_050_080", "dt_rel_080_120",
               "dt_rel_120_180", "dt_rel_180_300", "dt_rel_ge300", "dt_repeat_share", "dt_distinct_share",
               "dt_lag1_autocorr", "dt_sum3_var_ratio", "dt_step_corr", "whole_ms_share", "dt_zero_share",
               "whole_px_share", "step_zero_share"),
    "geometry": ("path_length", "net_distance", "straightness", "heading_change_mean_abs", "heading_change_total",
                 "curvature_mean", "lateral_rms", "lateral_max", "lateral_rms_rel", "lateral_max_rel",
                 "overshoot", "overshoot_rel", "turn_q50_abs", "turn_q90_abs", "turn_lag1_autocorr",
                 "turn_sign_flip_share"),
    "speed profile": ("speed_mean", "speed_max", "speed_std", "speed_peak_ratio", "time_to_peak_speed",
                      "n_speed_peaks", "end_slowdown", "pause_count", "pause_time_frac", "step_q10_rel",
                      "step_q90_rel", "step_lag1_autocorr", "speed_lag1_autocorr"),
    "acceleration/jerk": ("accel_mean_abs", "accel_max", "decel_max", "jerk_mean_abs", "jerk_max_abs",
                          "accel_sign_flip_share"),
    "spectrum": ("spec_power_0_2hz", "spec_power_2_5hz", "spec_power_5_10hz", "spec_hf_share", "spec_centroid",
                 "spec_peak_freq", "spec_entropy", "spec_log_power"),
    "press": ("press_share", "press_periods"),
}

PROBES: tuple[str, ...] = ("features", "sequence", "stack")
#: Below this many movements per side the meter refuses to run ("too few movements to judge").
MIN_PER_SIDE = 20


@dataclass(frozen=True)
class ProbeScore(JSONResult):
    """One probe's out-of-fold result on the meter's samples.

    Attributes
    ----------
    accuracy : float
        Out-of-fold accuracy (threshold 0.5), 0.5 = indistinguishable.
    roc_auc : float
        ROC-AUC of the pooled out-of-fold probabilities.
    ci_low, ci_high : float
        95 % Wilson interval of the accuracy (out-of-fold predictions treated as independent).
    p_value : float
        One-sided exact binomial p-value against 0.5.
    n_evaluated : int
    """

    accuracy: float
    roc_auc: float
    ci_low: float
    ci_high: float
    p_value: float
    n_evaluated: int


@dataclass(frozen=True)
class MeterResult(JSONResult):
    """Output of :func:`measure_realism`.

    Attributes
    ----------
    accuracy : float
        The headline: cross-fitted maximum accuracy over :data:`PROBES` (see the module docs).
    roc_auc : float
        ROC-AUC of the chosen probes, each on the half it was scored on (pooled).
    ci_low, ci_high : float
        95 % Wilson interval of the headline accuracy.
    chosen : tuple of str
        The probe chosen on each half (scored on the other).
    probes : dict
        :data:`PROBES` name -> :class:`ProbeScore` as a dict.
    aspects : dict
        Aspect name -> :class:`ProbeScore` dict of the feature probe on that aspect's columns alone.
    n_per_side, folds, seed, max_samples, max_steps, grouped : settings and sizes
    """

    accuracy: float
    roc_auc: float
    ci_low: float
    ci_high: float
    chosen: tuple[str, ...]
    probes: dict = field(default_factory=dict)
    aspects: dict = field(default_factory=dict)
    n_per_side: int = 0
    folds: int = 5
    seed: int = 0
    max_samples: int = 5000
    max_steps: int = 64
    grouped: bool = False

    @property
    def strongest(self) -> str:
        """Name of the probe with the highest accuracy over all samples."""
        return max(self.probes, key=lambda k: self.probes[k]["accuracy"])


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion ``correct / n``."""
    if n <= 0:
        return float("nan"), float("nan")
    p = correct / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # exact ends at 0 and n (the formula leaves float dust there)
    lo = 0.0 if correct <= 0 else max(float(mid - half), 0.0)
    hi = 1.0 if correct >= n else min(float(mid + half), 1.0)
    return lo, hi


def _score(proba: np.ndarray, y: np.ndarray) -> ProbeScore:
    correct = int(np.sum((proba > 0.5) == (y == 1)))
    n = len(y)
    lo, hi = wilson_interval(correct, n)
    auc = float(roc_auc_score(y, proba)) if len(np.unique(y)) == 2 else float("nan")
    return ProbeScore(correct / n, auc, lo, hi, float(binomtest(correct, n, 0.5, alternative="greater").pvalue), n)


def sequence_inputs(canon: Trajectories, max_steps: int = 64, scale: tuple[float, float] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Per-step inputs of the sequence probe from canonical movements.

    Channels: ``asinh(dx / s)``, ``asinh(dy / s)``, ``log(dt / m)`` (dt floored
    at ``m / 100``), ``dt / m`` clipped to 10, where ``s`` is the median step
    length and ``m`` the median time step (``scale=(s, m)``, by default measured
    on ``canon``; pass the same scale for every set of one comparison).

    Returns
    -------
    values : ndarray, float32, (N, max_steps, 4)
    mask : ndarray, bool, (N, max_steps)
    scale : (s, m)
    """
    d, mask = to_deltas(canon, max_len=max_steps)
    if scale is None:
        ds = np.hypot(d[..., 0], d[..., 1])[mask]
        dt = d[..., 2][mask]
        s = float(np.median(ds[ds > 0])) if np.any(ds > 0) else 1.0
        m = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 1.0
        scale = (s, m)
    s, m = scale
    dt = np.maximum(d[..., 2], m / 100.0)
    out = np.stack([np.arcsinh(d[..., 0] / s), np.arcsinh(d[..., 1] / s), np.log(dt / m),
                    np.minimum(d[..., 2] / m, 10.0)], axis=-1)
    out[~mask] = 0.0
    return out.astype(np.float32), mask, scale


def _balanced(n_real: int, n_fake: int, cap: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_side = min(n_real, n_fake, cap)
    pick = lambda n: np.sort(rng.choice(n, n_side, replace=False)) if n_side < n else np.arange(n)  # noqa: E731
    return pick(n_real), pick(n_fake)


def _oof(probe, X: np.ndarray, y: np.ndarray, splits, n_threads: int | None = 1) -> np.ndarray:
    """Pooled out-of-fold probabilities of "fake" (the cross-validation of :func:`deval.metrics.c2st.c2st_test`)."""
    return _cross_validate(probe, X, y, splits, n_threads)[1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _crossfit_max(probas: dict[str, np.ndarray], y: np.ndarray, splits) -> tuple[float, float, int, tuple[str, ...]]:
    """(accuracy, AUC, n_correct, chosen) of the cross-fitted maximum over ``probas`` (see the module docs)."""
    half = np.zeros(len(y), dtype=np.int64)
    for k, (_, test) in enumerate(splits):
        half[test] = k % 2
    correct, chosen, pooled_p = 0, [], np.zeros(len(y))
    for pick_half in (0, 1):
        sel, ev = half == pick_half, half != pick_half
        accs = {name: np.mean((p[sel] > 0.5) == (y[sel] == 1)) for name, p in probas.items()}
        best = max(probas, key=lambda k: (accs[k], -list(probas).index(k)))
        chosen.append(best)
        correct += int(np.sum((probas[best][ev] > 0.5) == (y[ev] == 1)))
        pooled_p[ev] = probas[best][ev]
    auc = float(roc_auc_score(y, pooled_p)) if len(np.unique(y)) == 2 else float("nan")
    return correct / len(y), auc, correct, tuple(chosen)


def measure_realism(
    real_features: pd.DataFrame,
    fake_features: pd.DataFrame,
    real_seq: tuple[np.ndarray, np.ndarray] | None = None,
    fake_seq: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    groups_real: np.ndarray | None = None,
    groups_fake: np.ndarray | None = None,
    folds: int = 5,
    seed: int = 0,
    max_samples: int = 5000,
    aspects: bool = True,
    classifier: str = "hgb",
    sequence_epochs: int = 8,
    n_threads: int | None = 1,
    n_jobs: int | None = None,
) -> MeterResult:
    """Run every probe of the meter on one real and one fake set (see the module docs).

    Parameters
    ----------
    real_features, fake_features : DataFrame, (N, D) and (M, D)
        The same feature columns for both sets (NaN allowed).
    real_seq, fake_seq : (values (N, T, C), mask (N, T)), optional
        Sequence-probe inputs (:func:`sequence_inputs`, with one scale for both);
        without them the sequence and stack probes are skipped.
    groups_real, groups_fake : int arrays (N,), (M,), optional
        Person ids: folds keep each person on one side.
    folds : int
    seed : int
        Seeds subsampling, folds and every probe.
    max_samples : int
        Cap per side after balancing.
    aspects : bool
        Also run the per-aspect feature probes (:data:`ASPECTS`).
    classifier : {"hgb", "logistic", "mlp"}
        The feature probe's classifier (:func:`deval.metrics.c2st.make_probe`).
    sequence_epochs : int
        Upper bound on the sequence probe's epochs per fold.
    n_threads : int, optional
        Threads of each probe fit (OpenMP/BLAS and torch); None leaves the libraries' defaults.
    n_jobs : int, optional
        Probe fits side by side (threads; default :func:`deval.thread_jobs.default_jobs`); the result
        does not depend on it, only the time.

    Returns
    -------
    MeterResult

    Raises
    ------
    DataError
        Fewer than :data:`MIN_PER_SIDE` movements on a side (too few to judge).
    """
    if list(real_features.columns) != list(fake_features.columns):
        raise DataError("features", "real and fake feature columns differ")
    n_real, n_fake = len(real_features), len(fake_features)
    if min(n_real, n_fake) < MIN_PER_SIDE:
        raise DataError("real/fake", f"too few movements to judge: {n_real} real and {n_fake} fake "
                        f"(the meter needs at least {MIN_PER_SIDE} on each side)")
    rng = np.random.default_rng(seed)
    ir, jf = _balanced(n_real, n_fake, max_samples, rng)
    n_side = len(ir)
    X = np.vstack([real_features.to_numpy(np.float64)[ir], fake_features.to_numpy(np.float64)[jf]])
    y = np.concatenate([np.zeros(n_side, dtype=np.int64), np.ones(n_side, dtype=np.int64)])
    g = _group_codes(None if groups_real is None else np.asarray(groups_real)[ir],
                     None if groups_fake is None else np.asarray(groups_fake)[jf], n_side, n_side)
    grouped = g is not None
    g, _ = _merge_shared_rows(np.nan_to_num(X, nan=-1e300), y, g)
    splits = fold_assignment(y, g, folds, seed)

    # every fold of every probe is an independent, seeded job: run them side by side (deval.thread_jobs)
    hgb = make_probe(classifier, seed)
    jobs: dict[str, list] = {"features": [fold_job(hgb, X, y, tr, te) for tr, te in splits]}
    if real_seq is not None and fake_seq is not None:
        S = np.concatenate([real_seq[0][ir], fake_seq[0][jf]])
        M = np.concatenate([real_seq[1][ir], fake_seq[1][jf]])
        jobs["sequence"] = sequence_fold_jobs(S, M, y, splits, seed=seed, epochs=sequence_epochs)
    if aspects:
        cols = list(real_features.columns)
        for aspect, names in ASPECTS.items():
            idx = [cols.index(c) for c in names if c in cols]
            if idx:
                jobs[f"aspect:{aspect}"] = [fold_job(hgb, X[:, idx], y, tr, te) for tr, te in splits]
    flat = [job for name in jobs for job in jobs[name]]
    with torch_threads(n_threads):
        results = iter(run_jobs(flat, n_jobs, n_threads=n_threads))
    oof = {name: pool_folds([next(results) for _ in fold_list], y, splits)[1] for name, fold_list in jobs.items()}
    probas: dict[str, np.ndarray] = {"features": oof["features"]}
    if "sequence" in oof:
        probas["sequence"] = oof["sequence"]
        Z = np.column_stack([_logit(probas["features"]), _logit(probas["sequence"])])
        probas["stack"] = _oof(LogisticRegression(max_iter=1000), Z, y, splits, n_threads)
    aspect_scores = {name.split(":", 1)[1]: _score(p, y).to_dict() for name, p in oof.items()
                     if name.startswith("aspect:")}
    acc, auc, correct, chosen = _crossfit_max(probas, y, splits)
    lo, hi = wilson_interval(correct, len(y))
    scores = {name: _score(p, y).to_dict() for name, p in probas.items()}
    log.debug("meter: %.4f (chosen %s); %s", acc, chosen, {k: round(v["accuracy"], 4) for k, v in scores.items()})
    return MeterResult(accuracy=acc, roc_auc=auc, ci_low=lo, ci_high=hi, chosen=chosen, probes=scores,
                       aspects=aspect_scores, n_per_side=n_side, folds=folds, seed=seed, max_samples=max_samples,
                       max_steps=int(real_seq[0].shape[1]) if real_seq is not None else 0, grouped=grouped)
