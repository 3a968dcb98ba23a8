"""Movements to a feature matrix: canonicalise, then deval's kinematic + spectral features."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from deval.canonical import canonicalize
from deval.errors import DataError
from deval.trajectories import Trajectories

__all__ = ["TrajectoryFeaturizer", "feature_columns"]


def feature_columns(features: "str | Sequence[str]") -> list[str]:
    """Column names selected by ``features`` (a group name, an alias or explicit feature names)."""
    from deval.features import feature_names

    return feature_names(features if isinstance(features, str) else list(features))


class TrajectoryFeaturizer(TransformerMixin, BaseEstimator):
    """Transformer: :class:`Trajectories` -> float64 feature matrix ``(N, D)``.

    Movements are canonicalised (:func:`deval.canonical.canonicalize`: start
    at the origin, net displacement along +x) and described by
    :func:`deval.features.extract_features`, so that the absolute screen
    position and direction of a movement never reach a detector.

    Parameters
    ----------
    features : str or sequence of str
        ``"all"`` (kinematic + spectral), ``"kinematic"``, ``"spectral"``, a
        feature group, or explicit feature names (see :data:`deval.features.FEATURE_DOCS`).

    Attributes
    ----------
    columns_ : list of str
        Feature names, in column order (set by :meth:`fit`).
    """

    def __init__(self, features: "str | Sequence[str]" = "all"):
        self.features = features

    def fit(self, X: Trajectories, y=None) -> "TrajectoryFeaturizer":
        """Record the selected columns (no statistics are learned)."""
        self.columns_ = feature_columns(self.features)
        self.n_features_out_ = len(self.columns_)
        return self

    def transform(self, X: Trajectories) -> np.ndarray:
        """Feature matrix (N, D) float64, columns :attr:`columns_`."""
        from deval.features import FEATURE_GROUPS, extract_features

        if not isinstance(X, Trajectories):
            raise DataError("<X>", f"expected a Trajectories batch, got {type(X).__name__}")
        cols = getattr(self, "columns_", None) or feature_columns(self.features)
        spectral = any(c in FEATURE_GROUPS["spectral"] for c in cols)
        canon, _ = canonicalize(X)
        frame = extract_features(canon, groups=cols, spectral=spectral)
        return frame[cols].to_numpy(dtype=np.float64)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        cols = getattr(self, "columns_", None) or feature_columns(self.features)
        return np.asarray(cols, dtype=object)
