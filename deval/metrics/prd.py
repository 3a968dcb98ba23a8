"""Precision and recall for distributions (PRD; Sajjadi et al., NeurIPS 2018).

Both sets are clustered together (k-means on the pooled feature vectors) and
compared as histograms over the clusters: ``P`` (real, the reference) and
``Q`` (fake, the model). For slopes ``λ = tan(θ)``, θ on a grid over (0, π/2),
the PRD curve is (paper eq. 4, as in the reference implementation
``prd_score.compute_prd``)::

    α(λ) = Σ_ω min(λ P(ω), Q(ω))      precision
    β(λ) = α(λ) / λ                   recall

averaged over ``num_runs`` clusterings. The curve is summarised by the maximum
F_β scores (paper section 4.2): F_8 weights *recall* (does the fake set cover
the real one? low when modes are dropped), F_{1/8} weights *precision* (do the
fakes land where real samples are? low when fakes are off-manifold). So
``precision = max F_{1/8}`` and ``recall = max F_8``.

Implementation follows the reference (``msmsajjadi/precision-recall-distributions``):
20 clusters, 1001 angles in [1e-10, π/2 - 1e-10], 10 runs, sets of equal size
(the larger is subsampled with the seed instead of raising). Clustering uses
sklearn ``MiniBatchKMeans`` with ``random_state = seed + run``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import MiniBatchKMeans

from deval.errors import ConfigError, DataError
from deval.metrics.inputs import as_feature_pair, check_positive_int
from deval.metrics.results import JSONResult

log = logging.getLogger(__name__)

_ANGLE_EPSILON = 1e-10


@dataclass(frozen=True, eq=False)
class PRDResult(JSONResult):
    """Result of :func:`prd_curve` (holds arrays, so compared by identity).

    Attributes
    ----------
    precision_curve, recall_curve : numpy.ndarray, shape (num_angles,)
        The averaged PRD curve, in [0, 1] (recall decreases along the array).
    precision : float
        max F_{1/β} over the curve (precision summary; β = 8 by default).
    recall : float
        max F_β over the curve (recall summary).
    beta : float
    num_clusters, num_angles, num_runs, n_init : int
    n_real_used, n_fake_used : int
        Samples clustered per set (equal after balancing).
    seed : int
    """

    precision_curve: np.ndarray
    recall_curve: np.ndarray
    precision: float
    recall: float
    beta: float
    num_clusters: int
    num_angles: int
    num_runs: int
    n_init: int
    n_real_used: int
    n_fake_used: int
    seed: int


def prd_from_distributions(
    eval_dist: np.ndarray, ref_dist: np.ndarray, num_angles: int = 1001
) -> tuple[np.ndarray, np.ndarray]:
    """PRD curve of a model histogram against a reference histogram.

    Parameters
    ----------
    eval_dist : numpy.ndarray, shape (K,)
        Model (fake) distribution over K bins, summing to 1.
    ref_dist : numpy.ndarray, shape (K,)
        Reference (real) distribution over the same bins, summing to 1.
    num_angles : int
        Slopes λ = tan(θ) for θ evenly spaced in (0, π/2).

    Returns
    -------
    precision, recall : numpy.ndarray, shape (num_angles,)
        Clipped to [0, 1].
    """
    eval_dist = np.asarray(eval_dist, dtype=np.float64)
    ref_dist = np.asarray(ref_dist, dtype=np.float64)
    if eval_dist.ndim != 1 or eval_dist.shape != ref_dist.shape:
        raise DataError("eval_dist/ref_dist", f"expected two 1-D histograms of one length, got "
                        f"{eval_dist.shape} and {ref_dist.shape}")
    for name, dist in (("eval_dist", eval_dist), ("ref_dist", ref_dist)):
        if not np.all(np.isfinite(dist)) or np.any(dist < 0) or not np.isclose(dist.sum(), 1.0, atol=1e-6):
            raise DataError(name, "must be a non-negative histogram summing to 1")
    num_angles = check_positive_int(num_angles, "num_angles", minimum=3)
    slopes = np.tan(np.linspace(_ANGLE_EPSILON, np.pi / 2 - _ANGLE_EPSILON, num_angles))
    precision = np.minimum(ref_dist[None, :] * slopes[:, None], eval_dist[None, :]).sum(axis=1)
    recall = precision / slopes
    return np.clip(precision, 0.0, 1.0), np.clip(recall, 0.0, 1.0)


def max_f_beta(precision: np.ndarray, recall: np.ndarray, beta: float) -> float:
    """``max F_β = (1 + β²) p r / (β² p + r)`` over a PRD curve (0 where p = r = 0)."""
    precision, recall = np.asarray(precision, dtype=np.float64), np.asarray(recall, dtype=np.float64)
    denom = beta**2 * precision + recall
    f = np.divide((1 + beta**2) * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    return float(f.max())


def _cluster_histograms(
    real: np.ndarray, fake: np.ndarray, num_clusters: int, n_init: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(fake histogram, real histogram) over k-means clusters of the pooled data."""
    kmeans = MiniBatchKMeans(n_clusters=num_clusters, n_init=n_init, random_state=seed)
    labels = kmeans.fit_predict(np.vstack([fake, real]))
    fake_hist = np.bincount(labels[: len(fake)], minlength=num_clusters) / len(fake)
    real_hist = np.bincount(labels[len(fake):], minlength=num_clusters) / len(real)
    return fake_hist, real_hist


def prd_curve(
    real: Any,
    fake: Any,
    *,
    num_clusters: int = 20,
    num_angles: int = 1001,
    num_runs: int = 10,
    n_init: int = 10,
    beta: float = 8.0,
    seed: int = 0,
) -> PRDResult:
    """PRD curve and its F_β / F_{1/β} summary (see module docs).

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)
        Feature matrices; the larger is subsampled (seeded) to the smaller's
        size. Scale features comparably first: k-means is Euclidean.
    num_clusters : int
        k-means clusters (histogram bins); needs min(N, M) >= num_clusters.
    num_angles : int
        Points on the curve.
    num_runs : int
        Independent clusterings averaged.
    n_init : int
        k-means initialisations per run (the reference uses 10).
    beta : float
        F_β weight (> 1): ``recall = max F_β``, ``precision = max F_{1/β}``.
    seed : int
        Seeds the subsampling and the clusterings (run r uses ``seed + r``).

    Returns
    -------
    PRDResult
    """
    num_clusters = check_positive_int(num_clusters, "num_clusters", minimum=2)
    num_runs = check_positive_int(num_runs, "num_runs")
    n_init = check_positive_int(n_init, "n_init")
    if not (isinstance(beta, (int, float)) and np.isfinite(beta) and beta > 1):
        raise ConfigError(f"beta must be a number > 1, got {beta!r}")
    xr, xf = as_feature_pair(real, fake, min_rows=num_clusters)
    rng = np.random.default_rng(seed)
    n = min(len(xr), len(xf))
    if len(xr) > n:
        xr = xr[np.sort(rng.choice(len(xr), n, replace=False))]
    if len(xf) > n:
        xf = xf[np.sort(rng.choice(len(xf), n, replace=False))]
    precisions, recalls = [], []
    for run in range(num_runs):
        fake_hist, real_hist = _cluster_histograms(xr, xf, num_clusters, n_init, seed + run)
        p, r = prd_from_distributions(fake_hist, real_hist, num_angles)
        precisions.append(p)
        recalls.append(r)
    precision, recall = np.mean(precisions, axis=0), np.mean(recalls, axis=0)
    return PRDResult(
        precision_curve=precision,
        recall_curve=recall,
        precision=max_f_beta(precision, recall, 1.0 / beta),
        recall=max_f_beta(precision, recall, beta),
        beta=float(beta),
        num_clusters=num_clusters,
        num_angles=num_angles,
        num_runs=num_runs,
        n_init=n_init,
        n_real_used=n,
        n_fake_used=n,
        seed=seed,
    )


def prd(real: Any, fake: Any) -> tuple[float, float]:
    """PRD summary of ``fake`` against ``real``: (precision = max F_{1/8}, recall = max F_8).

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)

    Returns
    -------
    precision, recall : float
        In [0, 1]; both ~1 when the sets match.
    """
    res = prd_curve(real, fake)
    return res.precision, res.recall
