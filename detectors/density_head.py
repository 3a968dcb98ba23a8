"""Human-density heads: a score that needs no negatives, alone or next to a classifier.

``density``
    A Gaussian mixture fitted on the features of **human** movements only
    (signed-log, then standardised). A movement's score is how unlikely it is
    under that mixture: its negative log-likelihood, centred and scaled on
    held-back humans so that 0 is the 99th percentile of people (about 1% of
    people score above 0) and one unit is that percentile's distance from the
    median. It never sees a bot, so it cannot overfit to the styles it was
    given; it flags anything unlike people, and misses bots that look like them.
``hybrid``
    Gradient boosting (:class:`~deval.detectors.feature_heads.HGBDetector`) and
    the density score, both put on that human-relative scale, combined by
    their maximum: a movement is as suspicious as the more suspicious of the
    two says. The classifier catches styles like those it was trained on; the
    density catches what is unlike people and unlike anything it was trained on.

Both follow the feature heads' view and feature selection (the
``logger-robust`` view leaves out logger-confounded features).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.mixture import GaussianMixture

from deval.detectors.base import store_init_params
from deval.detectors.feature_heads import HGBDetector, _FeatureDetector, signed_log
from deval.errors import CheckpointError

__all__ = ["DensityDetector", "HybridDetector", "human_relative_scale"]


def human_relative_scale(scores: np.ndarray, q: float = 0.99) -> tuple[float, float]:
    """``(centre, scale)`` that maps ``scores`` of people so that their ``q`` quantile is 0 and their median -1."""
    hi, med = np.quantile(scores, [q, 0.5])
    return float(hi), float(max(hi - med, 1e-9))


class _HumanMixture:
    """Gaussian mixture on standardised signed-log features: negative log-likelihood per row (pure numpy)."""

    def __init__(self, mean, std, weights, means, prec_chol):
        self.mean, self.std = mean, std
        self.weights, self.means, self.prec_chol = weights, means, prec_chol

    @classmethod
    def fit(cls, X: np.ndarray, n_components: int, seed: int) -> "_HumanMixture":
        Z = signed_log(X)
        mean, std = np.nanmean(Z, axis=0), np.nanstd(Z, axis=0)
        std = np.where(std > 1e-9, std, 1.0)
        Z = np.nan_to_num((Z - mean) / std)
        k = int(min(n_components, max(1, len(Z) // 50)))
        gm = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=seed, max_iter=200).fit(Z)
        return cls(mean, std, gm.weights_, gm.means_, gm.precisions_cholesky_)

    def nll(self, X: np.ndarray) -> np.ndarray:
        Z = np.nan_to_num((signed_log(X) - self.mean) / self.std)
        Z = np.clip(Z, -50.0, 50.0)
        d = Z.shape[1]
        logs = []
        for w, mu, pc in zip(self.weights, self.means, self.prec_chol):
            y = (Z - mu) @ pc
            log_det = np.sum(np.log(np.diag(pc)))
            logs.append(np.log(w) + log_det - 0.5 * (d * np.log(2 * np.pi) + np.sum(y * y, axis=1)))
        L = np.stack(logs, axis=1)
        top = L.max(axis=1, keepdims=True)
        return -(top[:, 0] + np.log(np.exp(L - top).sum(axis=1)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "std": self.std, "weights": self.weights, "means": self.means,
                "prec_chol": self.prec_chol}

    @classmethod
    def from_arrays(cls, a: dict) -> "_HumanMixture":
        try:
            return cls(*(np.asarray(a[k], dtype=np.float64) for k in ("mean", "std", "weights", "means", "prec_chol")))
        except KeyError as exc:
            raise CheckpointError(f"density head: missing array {exc}") from None


def _calibration_split(n: int, seed: int, share: float = 0.25) -> np.ndarray:
    """Boolean mask of the rows held back to place the human scale (at least one row either side)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(n, bool)
    mask[rng.permutation(n)[: max(1, min(n - 1, int(round(share * n))))]] = True
    return mask


class DensityDetector(_FeatureDetector):
    """Negative log-likelihood under a Gaussian mixture of human features (see the module docs).

    Parameters
    ----------
    view, resample_hz, jitter, seed, features
        As for :class:`~deval.detectors.feature_heads.HGBDetector`.
    n_components : int
        Mixture components (fewer when there are few people: at most one per 50 movements).
    class_weight : None
        Unused (the density sees humans only); kept for a common interface.
    """

    head = "density"

    def _make_classifier(self):  # the mixture is fitted in _fit, on humans only
        return None

    def __init__(self, view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = None, features: "str | Sequence[str]" = "all", n_components: int = 8):
        store_init_params(self, locals())

    def _fit(self, X, y, sample_weight, progress) -> None:
        from deval.detectors.featurizer import feature_columns

        self.columns_ = feature_columns(self._selected_features())
        humans = X[y == 0]
        if len(humans) < 10:
            raise ValueError(f"the density head needs at least 10 human movements, got {len(humans)}")
        held = _calibration_split(len(humans), self.seed)
        self.mixture_ = _HumanMixture.fit(humans[~held], self.n_components, self.seed)
        self.centre_, self.scale_ = human_relative_scale(self.mixture_.nll(humans[held]))

    def _decision(self, X) -> np.ndarray:
        return (self.mixture_.nll(X) - self.centre_) / self.scale_

    def n_parameters(self) -> int:
        if not hasattr(self, "mixture_"):
            return 0
        m = self.mixture_
        return int(m.weights.size + m.means.size + m.prec_chol.size)

    def _export(self):
        return ({"columns": self.columns_, "centre": self.centre_, "scale": self.scale_},
                self.mixture_.to_arrays(), None)

    def _restore(self, state, arrays, torch_state) -> None:
        self.columns_ = list(state["columns"])
        self.centre_, self.scale_ = float(state["centre"]), float(state["scale"])
        self.mixture_ = _HumanMixture.from_arrays(arrays)


class HybridDetector(_FeatureDetector):
    """Maximum of gradient boosting and the human density, each on the human-relative scale (see the module docs).

    Parameters
    ----------
    view, resample_hz, jitter, seed, class_weight, features
        As for :class:`~deval.detectors.feature_heads.HGBDetector`.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization, n_threads
        Gradient-boosting settings.
    n_components : int
        Mixture components of the density.
    """

    head = "hybrid"

    def _make_classifier(self):  # two models, built in _parts
        return None

    def __init__(self, view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = "balanced", features: "str | Sequence[str]" = "all",
                 max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 min_samples_leaf: int = 20, l2_regularization: float = 0.0, n_threads: int | None = 1,
                 n_components: int = 8):
        store_init_params(self, locals())

    def _parts(self) -> tuple[HGBDetector, DensityDetector]:
        common = dict(view=self.view, resample_hz=self.resample_hz, jitter=self.jitter, seed=self.seed,
                      features=self.features)
        hgb = HGBDetector(class_weight=None, max_iter=self.max_iter, learning_rate=self.learning_rate,
                          max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
                          l2_regularization=self.l2_regularization, n_threads=self.n_threads, **common)
        return hgb, DensityDetector(n_components=self.n_components, **common)

    def _fit(self, X, y, sample_weight, progress) -> None:
        from deval.detectors.featurizer import feature_columns

        self.columns_ = feature_columns(self._selected_features())
        hgb, density = self._parts()
        held = np.zeros(len(y), bool)
        humans = np.flatnonzero(y == 0)
        held[humans[_calibration_split(len(humans), self.seed + 1)]] = True
        # the classifier learns on the rest; the held-back people place its scores on the human scale
        hgb._fit(X[~held], y[~held], None if sample_weight is None else sample_weight[~held], progress)
        density._fit(X, y, None, None)
        self.hgb_, self.density_ = hgb, density
        self.hgb_centre_, self.hgb_scale_ = human_relative_scale(hgb._decision(X[held]))

    def _decision(self, X) -> np.ndarray:
        a = (self.hgb_._decision(X) - self.hgb_centre_) / self.hgb_scale_
        return np.maximum(a, self.density_._decision(X))

    def n_parameters(self) -> int:
        return 0 if not hasattr(self, "hgb_") else self.hgb_.n_parameters() + self.density_.n_parameters()

    def _export(self):
        h_state, h_arrays, _ = self.hgb_._export()
        d_state, d_arrays, _ = self.density_._export()
        arrays = {**{f"hgb.{k}": v for k, v in h_arrays.items()}, **{f"density.{k}": v for k, v in d_arrays.items()}}
        state = {"columns": self.columns_, "hgb": h_state, "density": d_state,
                 "hgb_centre": self.hgb_centre_, "hgb_scale": self.hgb_scale_}
        return state, arrays, None

    def _restore(self, state, arrays, torch_state) -> None:
        self.columns_ = list(state["columns"])
        hgb, density = self._parts()
        hgb._restore(state["hgb"], {k[4:]: v for k, v in arrays.items() if k.startswith("hgb.")}, None)
        density._restore(state["density"], {k[8:]: v for k, v in arrays.items() if k.startswith("density.")}, None)
        self.hgb_, self.density_ = hgb, density
        self.hgb_centre_, self.hgb_scale_ = float(state["hgb_centre"]), float(state["hgb_scale"])
