"""Realism metrics: how close is a fake feature set to a real one?

Pure functions on feature matrices ``(N, D)`` (numpy arrays or torch tensors;
scale the features comparably first, e.g. with the real set's statistics).
Stable one-number entry points:

- :func:`c2st` ``(real, fake) -> float``: out-of-fold accuracy of a
  gradient-boosting probe (0.5: indistinguishable);
- :func:`mmd_rbf` ``(real, fake, sigma=None) -> float``: unbiased MMD², RBF kernel;
- :func:`prd` ``(real, fake) -> (precision, recall)``: Sajjadi et al. PRD summary.

Richer variants return frozen result dataclasses carrying their settings, with
``to_dict()`` for JSON: :func:`c2st_test` (:class:`C2STResult`),
:func:`mmd_test` (:class:`MMDResult`), :func:`prd_curve` (:class:`PRDResult`),
:func:`knn_prdc` (:class:`PRDCResult`: k-NN precision/recall/density/coverage).
Per-feature and spectral comparisons: :func:`feature_distances` (KS,
Wasserstein-1, standardised mean difference), :func:`log_spectral_distance`,
:func:`mean_psd`.
"""

from deval.metrics.c2st import C2STResult, c2st, c2st_test
from deval.metrics.feature_distances import feature_distances
from deval.metrics.knn_prdc import PRDCResult, knn_prdc
from deval.metrics.mmd import MMDResult, median_heuristic, mmd_rbf, mmd_test
from deval.metrics.prd import PRDResult, prd, prd_curve, prd_from_distributions
from deval.metrics.spectral_distance import log_spectral_distance, mean_psd

__all__ = [
    "C2STResult",
    "MMDResult",
    "PRDCResult",
    "PRDResult",
    "c2st",
    "c2st_test",
    "feature_distances",
    "knn_prdc",
    "log_spectral_distance",
    "mean_psd",
    "median_heuristic",
    "mmd_rbf",
    "mmd_test",
    "prd",
    "prd_curve",
    "prd_from_distributions",
]
