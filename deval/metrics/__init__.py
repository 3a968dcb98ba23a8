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

Action sequences ``(N, T, 3)`` (x, y, press in normalised screen units):
:func:`action_metrics` (:class:`ActionMetrics`: MSE, MAE, coordinate/press
MSE, press accuracy, variance and smoothness ratios, SNR, temporal IoU of
press periods, spatial and gesture-type accuracy; each also on its own) and
:func:`classify_gestures` / :func:`gesture_mix` / :func:`gesture_mix_difference`
(rule-based click / horizontal / vertical / diagonal types).
"""

from deval.metrics.actions import (
    ActionMetrics,
    action_metrics,
    active_coordinate_mse,
    coordinate_mse,
    gesture_accuracy,
    press_accuracy,
    press_mse,
    reconstruction_mae,
    reconstruction_mse,
    smoothness_ratio,
    snr_db,
    spatial_accuracy,
    temporal_iou,
    variance_ratio,
)
from deval.metrics.c2st import C2STResult, c2st, c2st_test
from deval.metrics.feature_distances import feature_distances
from deval.metrics.gestures import (
    GESTURE_TYPES,
    PressPeriods,
    classify_gestures,
    gesture_mix,
    gesture_mix_difference,
    press_periods,
)
from deval.metrics.knn_prdc import PRDCResult, knn_prdc
from deval.metrics.mmd import MMDResult, median_heuristic, mmd_rbf, mmd_test
from deval.metrics.prd import PRDResult, prd, prd_curve, prd_from_distributions
from deval.metrics.spectral_distance import log_spectral_distance, mean_psd

__all__ = [
    "ActionMetrics",
    "GESTURE_TYPES",
    "PressPeriods",
    "action_metrics",
    "active_coordinate_mse",
    "classify_gestures",
    "coordinate_mse",
    "gesture_accuracy",
    "gesture_mix",
    "gesture_mix_difference",
    "press_accuracy",
    "press_mse",
    "press_periods",
    "reconstruction_mae",
    "reconstruction_mse",
    "smoothness_ratio",
    "snr_db",
    "spatial_accuracy",
    "temporal_iou",
    "variance_ratio",
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
