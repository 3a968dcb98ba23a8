"""Feature heads: logistic regression and gradient boosting on deval's movement features.

Two layers:

* :class:`LogisticFeatureClassifier` and :class:`HGBFeatureClassifier` are plain
  scikit-learn binary classifiers on feature matrices ``(N, D)`` (they pass
  :func:`sklearn.utils.estimator_checks.check_estimator`). Their fitted state is
  plain numbers (coefficients, or the trees as a :class:`~deval.detectors.tree_ensemble.TreeEnsemble`),
  so they are saved without pickles, and a loaded model predicts through the
  very same code as the freshly fitted one.
* :class:`LogisticDetector` and :class:`HGBDetector` are the detector heads on
  :class:`~deval.trajectories.Trajectories`: view -> :class:`~deval.detectors.featurizer.TrajectoryFeaturizer`
  (canonicalise + kinematic/spectral features) -> one of the classifiers above.
"""

from __future__ import annotations

import abc

from typing import Sequence

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from threadpoolctl import threadpool_limits
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from deval.detectors.base import TrajectoryDetector, store_init_params
from deval.detectors.featurizer import TrajectoryFeaturizer, feature_columns
from deval.detectors.tree_ensemble import TreeEnsemble
from deval.detectors.views import LOGGER_CONFOUNDED
from deval.errors import CheckpointError
from deval.trajectories import Trajectories

__all__ = [
    "HGBDetector", "HGBFeatureClassifier", "LogisticDetector", "LogisticFeatureClassifier", "signed_log",
]


def signed_log(X: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)``: tames heavy-tailed features (speeds, jerks) for linear models."""
    return np.sign(X) * np.log1p(np.abs(X))


def _binary_targets(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, y as 0/1)``; raises ValueError unless ``y`` is binary with two classes."""
    check_classification_targets(y)
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    if y_type != "binary":
        raise ValueError(f"Only binary classification is supported. The type of the target is {y_type}.")
    classes, yi = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"training data must hold 2 classes; got 1 class ({classes[0]!r})")
    return classes, yi.reshape(-1)


class _BinaryFeatureClassifier(ClassifierMixin, BaseEstimator):
    """Shared predict/predict_proba of the two feature-matrix classifiers (binary only)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``[P(classes_[0]), P(classes_[1])]`` for every row, (N, 2)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``classes_[1]`` where the log-odds are positive, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.int64)]


class LogisticFeatureClassifier(_BinaryFeatureClassifier):
    """L2-regularised logistic regression on signed-log, standardised features.

    Parameters
    ----------
    C : float
        Inverse regularisation strength (scikit-learn's ``C``).
    log_transform : bool
        Apply :func:`signed_log` before standardising.
    max_iter : int
        L-BFGS iterations.
    tol : float
        Convergence tolerance.

    Attributes
    ----------
    classes_ : ndarray, (2,)
    mean_, scale_ : ndarray, (D,)
        Weighted statistics of the (log-transformed) training features.
    coef_ : ndarray, (D,)
        Weights on the standardised features.
    intercept_ : float
    """

    def __init__(self, C: float = 1.0, log_transform: bool = True, max_iter: int = 1000, tol: float = 1e-6):
        store_init_params(self, locals())

    def _pre(self, X: np.ndarray) -> np.ndarray:
        return signed_log(X) if self.log_transform else X

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "LogisticFeatureClassifier":
        """Fit on a feature matrix (N, D) and binary labels (N,)."""
        from sklearn.linear_model import LogisticRegression

        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, yi = _binary_targets(y)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64)
        Z = self._pre(X)
        total = sw.sum()
        if not total > 0:
            raise ValueError("sample weights sum to zero")
        self.mean_ = (sw @ Z) / total
        var = (sw @ (Z - self.mean_) ** 2) / total
        self.scale_ = np.where(np.sqrt(var) > 1e-12, np.sqrt(var), 1.0)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol)
        model.fit((Z - self.mean_) / self.scale_, yi, sample_weight=sw)
        self.coef_ = model.coef_[0].astype(np.float64)
        self.intercept_ = float(model.intercept_[0])
        self.n_iter_ = int(np.max(model.n_iter_))
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Log-odds of ``classes_[1]``, (N,)."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return ((self._pre(X) - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def to_dict(self) -> dict:
        """Fitted state as JSON-ready numbers."""
        check_is_fitted(self, "coef_")
        return {"classes": self.classes_.tolist(), "mean": self.mean_.tolist(), "scale": self.scale_.tolist(),
                "coef": self.coef_.tolist(), "intercept": self.intercept_, "n_features_in": self.n_features_in_}

    @classmethod
    def from_dict(cls, d: dict, **params) -> "LogisticFeatureClassifier":
        """Inverse of :meth:`to_dict` (``params`` are the constructor parameters)."""
        self = cls(**params)
        try:
            self.classes_ = np.asarray(d["classes"])
            self.mean_ = np.asarray(d["mean"], np.float64)
            self.scale_ = np.asarray(d["scale"], np.float64)
            self.coef_ = np.asarray(d["coef"], np.float64)
            self.intercept_ = float(d["intercept"])
            self.n_features_in_ = int(d["n_features_in"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"invalid logistic-regression state ({exc})") from None
        if not (self.mean_.shape == self.scale_.shape == self.coef_.shape == (self.n_features_in_,)):
            raise CheckpointError("invalid logistic-regression state (shapes differ)")
        return self


def _fast_binning_hgb_class():
    """HistGradientBoostingClassifier whose feature *binning* ignores sample weights.

    scikit-learn >= 1.6 computes weighted bin quantiles with one Python-level
    call per bin and feature (seconds per fit on a few thousand rows). The
    bins only choose candidate thresholds; the boosting itself still uses the
    weights. Falls back to the plain class if the private hook is missing.
    """
    import inspect

    from sklearn.ensemble import HistGradientBoostingClassifier

    hook = getattr(HistGradientBoostingClassifier, "_bin_data", None)
    if hook is None or list(inspect.signature(hook).parameters)[1:3] != ["X", "sample_weight"]:
        return HistGradientBoostingClassifier

    class UnweightedBinningHGB(HistGradientBoostingClassifier):
        def _bin_data(self, X, sample_weight, is_training_data):
            return super()._bin_data(X, None, is_training_data)

    return UnweightedBinningHGB


class HGBFeatureClassifier(_BinaryFeatureClassifier):
    """Histogram gradient boosting (scikit-learn), kept as an exported :class:`TreeEnsemble`.

    Training uses :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
    (with unweighted feature binning, see :func:`_fast_binning_hgb_class`);
    the fitted trees are then exported to flat arrays and every prediction
    (before and after saving) goes through :meth:`TreeEnsemble.decision_function`,
    which reproduces scikit-learn's output exactly. Missing values (NaN) are
    supported.

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, max_depth, min_samples_leaf, l2_regularization
        As in scikit-learn.
    early_stopping : bool
        Hold out 10% of the training data to stop early (seeded by ``random_state``).
    random_state : int
        Seed.
    n_threads : int or None
        OpenMP threads of the training (None: scikit-learn's default, all
        cores). The default 1 gives the same trees on every machine and avoids
        the heavy slow-down of OpenMP on a machine shared with other work.

    Attributes
    ----------
    classes_ : ndarray, (2,)
    ensemble_ : TreeEnsemble
    n_iter_ : int
        Boosting iterations actually run.
    """

    def __init__(self, max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 max_depth: int | None = None, min_samples_leaf: int = 20, l2_regularization: float = 0.0,
                 early_stopping: bool = False, random_state: int | None = 0, n_threads: int | None = 1):
        store_init_params(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "HGBFeatureClassifier":
        """Fit on a feature matrix (N, D) and binary labels (N,)."""
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite="allow-nan")
        self.classes_, yi = _binary_targets(y)
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        model = _fast_binning_hgb_class()(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, early_stopping=self.early_stopping,
            random_state=self.random_state,
        )
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            model.fit(X, yi, sample_weight=sw)
        self.ensemble_ = TreeEnsemble.from_sklearn(model)
        self.n_iter_ = int(model.n_iter_)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Log-odds of ``classes_[1]``, (N,)."""
        check_is_fitted(self, "ensemble_")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False)
        return self.ensemble_.decision_function(X)


class _FeatureDetector(TrajectoryDetector):
    """view -> TrajectoryFeaturizer -> a feature-matrix classifier."""

    @abc.abstractmethod
    def _make_classifier(self):
        """The unfitted feature-matrix classifier of this head."""

    def _selected_features(self) -> "str | list[str]":
        """``features``; under the logger-robust view, ``all`` leaves out :data:`~deval.detectors.views.LOGGER_CONFOUNDED`."""
        if getattr(self, "view", "raw") == "logger-robust" and self.features == "all":
            return [c for c in feature_columns("all") if c not in LOGGER_CONFOUNDED]
        return self.features

    def _represent(self, traj: Trajectories) -> np.ndarray:
        return TrajectoryFeaturizer(self._selected_features()).fit(traj).transform(traj)

    def _fit(self, X: np.ndarray, y: np.ndarray, sample_weight, progress) -> None:
        self.columns_ = feature_columns(self._selected_features())
        if progress is not None:
            progress(f"fitting {self.head} on {len(y)} movements x {X.shape[1]} features")
        self.classifier_ = self._make_classifier().fit(X, y, sample_weight=sample_weight)

    def _decision(self, X: np.ndarray) -> np.ndarray:
        return self.classifier_.decision_function(X)


class LogisticDetector(_FeatureDetector):
    """Logistic regression on kinematic + spectral features of canonical movements.

    Parameters
    ----------
    view : {"raw", "resampled"} or "<rate>hz"
        Pre-processing view (see :mod:`deval.detectors.views`).
    resample_hz, jitter : float
        Rate and timing jitter (fraction of the period) of the resampled view.
    seed : int
        Seed of the view's jitter.
    class_weight : "balanced" or None
        Give humans and bots equal total weight.
    features : str or sequence of str
        Feature selection (see :class:`~deval.detectors.featurizer.TrajectoryFeaturizer`).
    C : float
        Inverse L2 regularisation strength.
    max_iter : int
        L-BFGS iterations.
    """

    head = "logistic"

    def __init__(self, view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = "balanced", features: "str | Sequence[str]" = "all",
                 C: float = 1.0, max_iter: int = 1000):
        store_init_params(self, locals())

    def _make_classifier(self) -> LogisticFeatureClassifier:
        return LogisticFeatureClassifier(C=self.C, max_iter=self.max_iter)

    def n_parameters(self) -> int:
        return 0 if not hasattr(self, "classifier_") else len(self.classifier_.coef_) + 1

    def _export(self):
        return {"columns": self.columns_, "classifier": self.classifier_.to_dict()}, {}, None

    def _restore(self, state, arrays, torch_state) -> None:
        self.columns_ = list(state["columns"])
        self.classifier_ = LogisticFeatureClassifier.from_dict(state["classifier"], C=self.C, max_iter=self.max_iter)


class HGBDetector(_FeatureDetector):
    """Histogram gradient boosting on kinematic + spectral features of canonical movements.

    Parameters
    ----------
    view, resample_hz, jitter, seed, class_weight, features
        As for :class:`LogisticDetector`.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Gradient-boosting settings (scikit-learn's names); ``seed`` also seeds it.
    n_threads : int or None
        Training threads (see :class:`HGBFeatureClassifier`).
    """

    head = "hgb"

    def __init__(self, view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = "balanced", features: "str | Sequence[str]" = "all",
                 max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 min_samples_leaf: int = 20, l2_regularization: float = 0.0, n_threads: int | None = 1):
        store_init_params(self, locals())

    def _make_classifier(self) -> HGBFeatureClassifier:
        return HGBFeatureClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            random_state=self.seed, n_threads=self.n_threads,
        )

    def n_parameters(self) -> int:
        """Number of tree nodes (each holds a threshold or a leaf value)."""
        return 0 if not hasattr(self, "classifier_") else self.classifier_.ensemble_.n_nodes

    def _export(self):
        clf = self.classifier_
        state = {"columns": self.columns_, "classes": clf.classes_.tolist(), "n_iter": clf.n_iter_,
                 "n_features_in": clf.n_features_in_}
        return state, clf.ensemble_.to_arrays(), None

    def _restore(self, state, arrays, torch_state) -> None:
        self.columns_ = list(state["columns"])
        clf = self._make_classifier()
        clf.ensemble_ = TreeEnsemble.from_arrays(arrays)
        clf.classes_ = np.asarray(state["classes"])
        clf.n_iter_ = int(state["n_iter"])
        clf.n_features_in_ = int(state["n_features_in"])
        if clf.n_features_in_ != len(self.columns_) or clf.ensemble_.n_features != len(self.columns_):
            raise CheckpointError("saved trees do not match the saved feature columns")
        self.classifier_ = clf
