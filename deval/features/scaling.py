"""Put feature columns on a common scale before distance-based metrics.

MMD, PRD and k-NN precision/recall compare points by Euclidean distance, so a
feature in px/s³ would drown one in radians. :class:`FeatureScaler` applies a
signed log (``sign(x) * log1p(|x|)``, which tames the heavy tails of speed,
acceleration and jerk) and then standardises with statistics fitted on the
*real* set only, so that every fake set is measured in the same units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deval.errors import ConfigError


class FeatureScaler:
    """Signed-log + standardisation, fitted on real features (scikit-learn style).

    Parameters
    ----------
    log : bool
        Apply ``sign(x) * log1p(|x|)`` before standardising.

    Attributes
    ----------
    columns_ : list of str
        Feature columns seen in :meth:`fit`.
    mean_, scale_ : ndarray, (D,)
        Statistics of the transformed real features (scale floored at 1e-12).
    """

    def __init__(self, log: bool = True):
        self.log = log

    def _pre(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return np.sign(X) * np.log1p(np.abs(X)) if self.log else X

    def fit(self, features: pd.DataFrame, y=None) -> "FeatureScaler":
        """Learn the statistics from a DataFrame of real features (N, D)."""
        self.columns_ = list(features.columns)
        Z = self._pre(features.to_numpy())
        self.mean_ = Z.mean(axis=0)
        self.scale_ = np.maximum(Z.std(axis=0), 1e-12)
        return self

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        """Scaled (N, D) float64 matrix in the column order seen in :meth:`fit`."""
        if not hasattr(self, "columns_"):
            raise ConfigError("FeatureScaler is not fitted; call fit() first")
        missing = [c for c in self.columns_ if c not in features.columns]
        if missing:
            raise ConfigError(f"feature columns missing: {', '.join(missing)}")
        return (self._pre(features[self.columns_].to_numpy()) - self.mean_) / self.scale_

    def fit_transform(self, features: pd.DataFrame, y=None) -> np.ndarray:
        return self.fit(features).transform(features)
