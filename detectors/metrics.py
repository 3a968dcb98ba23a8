"""Detection metrics: ROC, PR, EER, TPR at a fixed FPR, F1 and their bootstrap CIs.

Conventions: label 1 is a bot (the positive class), label 0 a human; a higher
score means "more likely a bot". The false-positive rate is the fraction of
humans flagged, the true-positive rate the fraction of bots caught.

Every metric is computed from one *weighted* ROC curve on the distinct score
thresholds, so that a whole bootstrap (a ``(B, N)`` matrix of resampling
counts) is evaluated with one sort and a few cumulative sums, without a Python
loop over replicates. Ties are handled like scikit-learn: equal scores form one
threshold, so the ROC-AUC equals the Mann-Whitney statistic with ties counted
one half.

Definitions
-----------
roc_auc
    Area under the ROC curve (trapezoidal on the distinct thresholds).
pr_auc
    Average precision, ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds
    (scikit-learn's ``average_precision_score``; no interpolation).
eer
    Equal error rate: the point of the ROC polygon where the false-positive
    rate equals the false-negative rate (linear interpolation between the two
    thresholds that bracket it).
tpr_at_fpr
    The largest TPR of a threshold whose FPR is at most the target (no
    interpolation: a threshold achieving it exists).
f1
    F1 of the decision ``score >= threshold`` (default 0, i.e. probability 0.5
    on log-odds scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from deval.errors import ConfigError, DataError

__all__ = [
    "METRIC_NAMES", "RocCurve", "bootstrap_metrics", "detection_metrics", "eer", "f1_at", "pr_auc",
    "roc_auc", "roc_curve", "tpr_at_fpr",
]

#: metrics reported per evaluation row, in column order
METRIC_NAMES = ("roc_auc", "pr_auc", "eer", "tpr_at_fpr_1pct", "tpr_at_fpr_0.1pct", "f1")
#: FPR targets of the ``tpr_at_fpr_*`` columns
FPR_TARGETS = {"tpr_at_fpr_1pct": 0.01, "tpr_at_fpr_0.1pct": 0.001}


def _check(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(y) != len(s):
        raise DataError("<scores>", f"{len(y)} labels for {len(s)} scores")
    if not np.isin(y, (0, 1)).all():
        raise DataError("<scores>", "labels must be 0 (human) or 1 (bot)")
    if np.isnan(s).any():
        raise DataError("<scores>", "scores contain NaN")
    y = y.astype(np.int64)
    if not (y == 1).any() or not (y == 0).any():
        raise DataError("<scores>", "need at least one human (0) and one bot (1) to compute detection metrics")
    return y, s


@dataclass(frozen=True)
class _Sorted:
    """Scores sorted in decreasing order, cut into blocks of equal score."""

    order: np.ndarray  # (N,) permutation, decreasing score
    ends: np.ndarray  # (K,) index (in sorted order) of the last item of each block of equal scores
    thresholds: np.ndarray  # (K,) the score of each block
    y: np.ndarray  # (N,) labels in sorted order

    @classmethod
    def of(cls, labels: np.ndarray, scores: np.ndarray) -> "_Sorted":
        order = np.argsort(-scores, kind="mergesort")
        s = scores[order]
        ends = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
        return cls(order, ends, s[ends], labels[order])


def _weighted_counts(srt: _Sorted, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative (true-positive, false-positive) weights at every threshold, each ``(..., K+1)``.

    Index 0 is the threshold above every score (nothing flagged).
    """
    w = weights[..., srt.order]
    pos = np.where(srt.y == 1, w, 0.0)
    neg = w - pos
    tp = np.cumsum(pos, axis=-1)[..., srt.ends]
    fp = np.cumsum(neg, axis=-1)[..., srt.ends]
    zero = np.zeros(tp.shape[:-1] + (1,))
    return np.concatenate([zero, tp], axis=-1), np.concatenate([zero, fp], axis=-1)


def _metrics_from_counts(
    tp: np.ndarray, fp: np.ndarray, thresholds: np.ndarray, threshold: float
) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRIC_NAMES` from cumulative counts ``(..., K+1)``."""
    P = tp[..., -1:]
    N = fp[..., -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = tp / P
        fpr = fp / N
        auc = np.sum(np.diff(fpr, axis=-1) * (tpr[..., 1:] + tpr[..., :-1]) / 2.0, axis=-1)
        precision = np.where(tp + fp > 0, tp / np.where(tp + fp > 0, tp + fp, 1.0), 1.0)
        ap = np.sum(np.diff(tpr, axis=-1) * precision[..., 1:], axis=-1)
        # EER: first point where FPR >= FNR, interpolated with the previous one
        g = fpr + tpr - 1.0
        k = np.argmax(g >= 0, axis=-1)[..., None]
        g1, g0 = np.take_along_axis(g, k, -1), np.take_along_axis(g, np.maximum(k - 1, 0), -1)
        f1_, f0 = np.take_along_axis(fpr, k, -1), np.take_along_axis(fpr, np.maximum(k - 1, 0), -1)
        lam = np.where(g1 > g0, -g0 / np.where(g1 > g0, g1 - g0, 1.0), 0.0)
        eer_ = (f0 + lam * (f1_ - f0))[..., 0]
    out = {"roc_auc": auc, "pr_auc": ap, "eer": eer_}
    for name, target in FPR_TARGETS.items():
        out[name] = np.max(np.where(fpr <= target + 1e-12, tpr, 0.0), axis=-1)
    # decision score >= threshold: the blocks with score >= threshold are flagged
    j = int(np.searchsorted(-thresholds, -threshold, side="right"))  # number of flagged blocks
    tp_t, fp_t = tp[..., j], fp[..., j]
    fn_t = P[..., 0] - tp_t
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 2 * tp_t + fp_t + fn_t
        out["f1"] = np.where(denom > 0, 2 * tp_t / np.where(denom > 0, denom, 1.0), 0.0)
    return out


def detection_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.0) -> dict[str, float]:
    """Every metric of :data:`METRIC_NAMES` for one set of scores.

    Parameters
    ----------
    labels : array of {0, 1}, (N,)
        1 = bot (positive), 0 = human.
    scores : array of float, (N,)
        Higher = more bot-like (e.g. log-odds).
    threshold : float
        Decision threshold of the F1 column (0 for log-odds, i.e. p = 0.5).

    Returns
    -------
    dict
        ``roc_auc, pr_auc, eer, tpr_at_fpr_1pct, tpr_at_fpr_0.1pct, f1, n_bot, n_human``.
    """
    y, s = _check(labels, scores)
    srt = _Sorted.of(y, s)
    tp, fp = _weighted_counts(srt, np.ones(len(y)))
    out = {k: float(v) for k, v in _metrics_from_counts(tp, fp, srt.thresholds, threshold).items()}
    out["n_bot"] = int((y == 1).sum())
    out["n_human"] = int((y == 0).sum())
    return out


@dataclass(frozen=True)
class RocCurve:
    """ROC curve on the distinct thresholds.

    Attributes
    ----------
    fpr, tpr : ndarray, (K+1,)
        Rates from (0, 0) (nothing flagged) to (1, 1).
    thresholds : ndarray, (K+1,)
        Score threshold of each point (``+inf`` first): flag ``score >= threshold``.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> RocCurve:
    """The ROC curve (see :class:`RocCurve`)."""
    y, s = _check(labels, scores)
    srt = _Sorted.of(y, s)
    tp, fp = _weighted_counts(srt, np.ones(len(y)))
    return RocCurve(fp / fp[-1], tp / tp[-1], np.r_[np.inf, srt.thresholds])


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half)."""
    return detection_metrics(labels, scores)["roc_auc"]


def pr_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of the bot class (area under the precision-recall curve, step-wise)."""
    return detection_metrics(labels, scores)["pr_auc"]


def eer(labels: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate (FPR = FNR), interpolated on the ROC polygon."""
    return detection_metrics(labels, scores)["eer"]


def tpr_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr: float = 0.01) -> float:
    """Largest TPR of a threshold whose false-positive rate is at most ``fpr``."""
    if not 0 <= fpr <= 1:
        raise ConfigError(f"fpr must be in [0, 1], got {fpr}")
    y, s = _check(labels, scores)
    curve = roc_curve(y, s)
    return float(np.max(np.where(curve.fpr <= fpr + 1e-12, curve.tpr, 0.0)))


def f1_at(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.0) -> float:
    """F1 of the bot class for the decision ``score >= threshold``."""
    return detection_metrics(labels, scores, threshold)["f1"]


def bootstrap_metrics(
    labels: np.ndarray,
    scores: np.ndarray,
    *,
    clusters: np.ndarray | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
    threshold: float = 0.0,
    chunk: int = 100,
) -> pd.DataFrame:
    """Percentile bootstrap confidence intervals of every metric.

    The bootstrap is stratified by class (each replicate keeps the number of
    human and bot clusters) and, with ``clusters``, resamples whole clusters
    (e.g. the people of the human class), so that correlated movements of one
    person do not make the interval too narrow. Replicates are drawn as
    multinomial counts and evaluated in chunks of ``chunk`` rows at once.

    Parameters
    ----------
    labels, scores : arrays, (N,)
        As for :func:`detection_metrics`.
    clusters : array, (N,), optional
        Cluster id of each item (any hashable values; each class is resampled
        over its own clusters). Default: every item is its own cluster.
    n_boot : int
        Replicates.
    alpha : float
        1 - confidence level (0.05: 95% intervals).
    seed : int, optional
        Seed of the resampling.

    Returns
    -------
    DataFrame
        Index = metric name, columns ``estimate, ci_low, ci_high, std``.
    """
    if n_boot < 1:
        raise ConfigError(f"n_boot must be >= 1, got {n_boot}")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha}")
    y, s = _check(labels, scores)
    point = detection_metrics(y, s, threshold)
    if clusters is None:
        cl = np.arange(len(y))
    else:
        cl = np.asarray(clusters).reshape(-1)
        if len(cl) != len(y):
            raise DataError("<scores>", f"{len(cl)} cluster ids for {len(y)} scores")
    rng = np.random.default_rng(seed)
    srt = _Sorted.of(y, s)
    # per class: cluster index of every item
    parts = []
    for c in (0, 1):
        items = np.flatnonzero(y == c)
        uniq, inv = np.unique(cl[items], return_inverse=True)
        parts.append((items, inv.reshape(-1), len(uniq)))
    draws: dict[str, list[np.ndarray]] = {k: [] for k in METRIC_NAMES}
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        w = np.zeros((b, len(y)))
        for items, inv, k in parts:
            counts = rng.multinomial(k, np.full(k, 1.0 / k), size=b).astype(np.float64)  # (b, k)
            w[:, items] = counts[:, inv]
        tp, fp = _weighted_counts(srt, w)
        m = _metrics_from_counts(tp, fp, srt.thresholds, threshold)
        for key in METRIC_NAMES:
            draws[key].append(m[key])
    rows = {}
    for key in METRIC_NAMES:
        d = np.concatenate(draws[key])
        d = d[np.isfinite(d)]
        lo, hi = (np.quantile(d, [alpha / 2, 1 - alpha / 2]) if len(d) else (np.nan, np.nan))
        rows[key] = {"estimate": point[key], "ci_low": float(lo), "ci_high": float(hi),
                     "std": float(d.std()) if len(d) else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index")
