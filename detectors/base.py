"""The common shape of every detector head: a scikit-learn classifier on :class:`Trajectories`.

A detector tells bots (label 1) from humans (label 0). Every head is a
:class:`TrajectoryDetector`: ``fit(X, y=None, sample_weight=None)`` takes a
:class:`~deval.trajectories.Trajectories` batch (``y`` defaults to its
``label`` metadata column), and ``predict_proba`` / ``decision_function`` /
``predict`` score one. ``decision_function`` returns the log-odds of "bot", so
``predict_proba(X)[:, 1] == expit(decision_function(X))``.

Work is split in two stages so that an evaluation can pre-process a set once
and then train many models on parts of it:

1. :meth:`TrajectoryDetector.prepare` applies the detector's :class:`~deval.detectors.views.View`
   and turns movements into the head's input (a feature matrix, padded
   canonical deltas...). It has no learned state.
2. :meth:`TrajectoryDetector.fit_prepared` / :meth:`TrajectoryDetector.decision_prepared`
   learn from / score those inputs (indexable by movement: ``inputs[idx]``).

Subclasses implement ``_represent``, ``_fit`` and ``_decision``, plus
``_export`` / ``_restore`` for :mod:`deval.detectors.persistence`.
"""

from __future__ import annotations

import abc

import logging
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin

from deval.detectors.views import View, parse_view
from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

__all__ = ["TrajectoryDetector", "check_binary_labels", "balanced_weights", "store_init_params"]


def store_init_params(estimator: Any, arguments: dict[str, Any]) -> None:
    """Store every ``__init__`` argument on ``estimator`` unchanged, under its own name.

    The scikit-learn convention (``get_params`` and ``clone`` read the
    parameters back from the attributes of the same names). Call it as
    ``store_init_params(self, locals())``, the first statement of ``__init__``,
    so that ``arguments`` holds the arguments and nothing else.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def check_binary_labels(y: Any, n: int, name: str = "y") -> np.ndarray:
    """``y`` as an int64 array of 0 (human) / 1 (bot) with both classes present."""
    arr = np.asarray(y).reshape(-1)
    if len(arr) != n:
        raise DataError(f"<{name}>", f"{len(arr)} labels for {n} movements")
    if not np.isin(arr, (0, 1)).all():
        raise DataError(f"<{name}>", "detector labels must be 0 (human) or 1 (bot)")
    arr = arr.astype(np.int64)
    if not ((arr == 0).any() and (arr == 1).any()):
        raise DataError(f"<{name}>", "training needs both humans (label 0) and bots (label 1)")
    return arr


def balanced_weights(y: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Per-sample weights so that each class carries half of the total weight (mean weight 1)."""
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).copy()
    for c in (0, 1):
        sel = y == c
        total = w[sel].sum()
        if total > 0:
            w[sel] *= len(y) / (2.0 * total)
    return w


class TrajectoryDetector(ClassifierMixin, BaseEstimator, metaclass=abc.ABCMeta):
    """Base class of the detector heads (see module docstring).

    Subclasses define ``__init__`` with explicit keyword parameters (the
    scikit-learn convention), among them ``view``, ``resample_hz``, ``jitter``,
    ``seed`` and ``class_weight``, and store them with
    :func:`store_init_params`.
    """

    #: registry name of the head (``hgb``, ``logistic``, ``cnn``, ``gru``, ``module``)
    head: ClassVar[str] = ""

    # ------------------------------------------------------------- settings
    def get_view(self) -> View:
        """The :class:`View` these parameters describe."""
        return parse_view(getattr(self, "view", "raw"), rate_hz=getattr(self, "resample_hz", 60.0),
                          jitter=getattr(self, "jitter", 0.1), seed=getattr(self, "seed", 0) or 0)

    @staticmethod
    def _check_X(X: Any) -> Trajectories:
        if not isinstance(X, Trajectories):
            raise DataError("<X>", f"detectors take a Trajectories batch, got {type(X).__name__}")
        if len(X) == 0:
            raise DataError("<X>", "no movements to score")
        return X

    def n_parameters(self) -> int:
        """Number of learned parameters (0 before :meth:`fit`)."""
        return 0

    # ---------------------------------------------------------------- stages
    def prepare(self, X: Trajectories) -> Any:
        """Apply the view and build the head's input for every movement (no learned state)."""
        return self._represent(self.get_view().apply(self._check_X(X)))

    def fit_prepared(self, inputs: Any, y: np.ndarray, sample_weight: np.ndarray | None = None,
                     progress=None) -> "TrajectoryDetector":
        """Fit on inputs made by :meth:`prepare` with labels ``y`` (0 human, 1 bot)."""
        y = check_binary_labels(y, len(inputs))
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if len(sample_weight) != len(y) or not np.all(np.isfinite(sample_weight)) or (sample_weight < 0).any():
                raise DataError("<sample_weight>", "sample_weight must be finite, non-negative, one per movement")
        cw = getattr(self, "class_weight", None)
        if cw == "balanced":
            sample_weight = balanced_weights(y, sample_weight)
        elif cw is not None:
            raise ConfigError(f"class_weight must be 'balanced' or None, got {cw!r}")
        self._fit(inputs, y, sample_weight, progress)
        self.classes_ = np.array([0, 1])
        self.n_train_ = int(len(y))
        return self

    def decision_prepared(self, inputs: Any) -> np.ndarray:
        """Log-odds of "bot" for inputs made by :meth:`prepare`, (N,) float64."""
        if not hasattr(self, "classes_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")
        return np.asarray(self._decision(inputs), dtype=np.float64).reshape(-1)

    # --------------------------------------------------------- sklearn API
    def fit(self, X: Trajectories, y: Any = None, sample_weight: np.ndarray | None = None,
            progress=None) -> "TrajectoryDetector":
        """Fit on a batch of movements.

        Parameters
        ----------
        X : Trajectories
            Humans and bots.
        y : array of {0, 1}, (N,), optional
            Labels (1 = bot); default ``X.label``.
        sample_weight : array, (N,), optional
            Per-movement weights (multiplied by the class balancing when
            ``class_weight="balanced"``).
        progress : callable, optional
            Called with a short message as training advances (torch heads).
        """
        X = self._check_X(X)
        y = X.label if y is None else y
        return self.fit_prepared(self.prepare(X), y, sample_weight, progress)

    def decision_function(self, X: Trajectories) -> np.ndarray:
        """Log-odds of "bot" for every movement, (N,) float64."""
        return self.decision_prepared(self.prepare(X))

    def predict_proba(self, X: Trajectories) -> np.ndarray:
        """``[P(human), P(bot)]`` for every movement, (N, 2)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Trajectories) -> np.ndarray:
        """0 (human) or 1 (bot) for every movement (bot when P(bot) >= 0.5)."""
        return (self.decision_function(X) >= 0).astype(np.int64)

    # ------------------------------------------------------------ subclass
    @abc.abstractmethod
    def _represent(self, traj: Trajectories) -> Any:
        """The head's input for ``traj`` (features, padded tensors...)."""

    @abc.abstractmethod
    def _fit(self, inputs: Any, y: np.ndarray, sample_weight: np.ndarray | None, progress) -> None:
        """Learn from :meth:`_represent`'s output and labels (0 human, 1 bot)."""

    @abc.abstractmethod
    def _decision(self, inputs: Any) -> np.ndarray:
        """Log-odds of bot (N,) for :meth:`_represent`'s output."""

    @abc.abstractmethod
    def _export(self) -> tuple[dict, dict[str, np.ndarray], dict | None]:
        """Fitted state as (JSON-ready dict, named numpy arrays, torch state dict or None)."""

    @abc.abstractmethod
    def _restore(self, state: dict, arrays: dict[str, np.ndarray], torch_state: dict | None) -> None:
        """Inverse of :meth:`_export` on an instance built with the saved parameters."""
