"""A boosted tree ensemble as plain arrays: exported from scikit-learn, evaluated with numpy.

:class:`TreeEnsemble` holds every tree of a fitted binary
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` as flat node arrays
(feature, threshold, children, missing-value direction, leaf value), so that
a trained model can be written to a safe ``.npz`` (no pickles) and read back
by any deval version without scikit-learn's private classes.

Evaluation walks all trees for all samples at once: a ``(N, n_trees)`` array
of current node indices advances one level per step (``max_depth`` steps),
so there is no Python loop over samples or trees. The rule is scikit-learn's
rule for numerical features on raw (unbinned) data: a NaN goes to the side
stored in ``missing_go_to_left``, otherwise ``x <= threshold`` goes left. Leaf
values are summed in tree order and added to the baseline, which reproduces
``decision_function`` of the scikit-learn model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deval.errors import CheckpointError, ConfigError

__all__ = ["TreeEnsemble"]

ARRAY_FIELDS = ("feature", "threshold", "left", "right", "missing_left", "is_leaf", "value", "tree_offsets")


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """Flat arrays of a boosted tree ensemble (binary log-odds).

    Attributes
    ----------
    feature : int64 (M,)
        Feature index tested at each node (M nodes over all trees).
    threshold : float64 (M,)
        Split threshold: ``x <= threshold`` goes left.
    left, right : int64 (M,)
        Children as indices *within the node's tree*.
    missing_left : bool (M,)
        Where a NaN goes.
    is_leaf : bool (M,)
        Leaf nodes.
    value : float64 (M,)
        Leaf values (log-odds contributions).
    tree_offsets : int64 (n_trees + 1,)
        Tree ``k`` owns nodes ``tree_offsets[k]:tree_offsets[k+1]``; its root is the first.
    baseline : float
        Initial log-odds.
    n_features : int
        Number of input columns.
    max_depth : int
        Depth of the deepest leaf (steps of the evaluation).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    tree_offsets: np.ndarray
    baseline: float
    n_features: int
    max_depth: int

    @classmethod
    def from_sklearn(cls, model) -> "TreeEnsemble":
        """Export a fitted binary ``HistGradientBoostingClassifier``."""
        predictors = getattr(model, "_predictors", None)
        if predictors is None:
            raise ConfigError("the gradient-boosting model is not fitted")
        if any(len(p) != 1 for p in predictors):
            raise ConfigError("only binary gradient-boosting models can be exported")
        nodes = [p[0].nodes for p in predictors]
        if any(bool(np.any(n["is_categorical"])) for n in nodes):
            raise ConfigError("categorical splits are not supported by the exported tree ensemble")
        sizes = np.array([len(n) for n in nodes], dtype=np.int64)
        flat = np.concatenate(nodes) if nodes else np.zeros(0, dtype=[("value", "f8")])
        depth = int(max((int(n["depth"].max()) for n in nodes), default=0))
        return cls(
            feature=flat["feature_idx"].astype(np.int64),
            threshold=flat["num_threshold"].astype(np.float64),
            left=flat["left"].astype(np.int64),
            right=flat["right"].astype(np.int64),
            missing_left=flat["missing_go_to_left"].astype(bool),
            is_leaf=flat["is_leaf"].astype(bool),
            value=flat["value"].astype(np.float64),
            tree_offsets=np.concatenate([[0], np.cumsum(sizes)]),
            baseline=float(np.asarray(model._baseline_prediction).reshape(-1)[0]),
            n_features=int(model.n_features_in_),
            max_depth=depth,
        )

    @property
    def n_trees(self) -> int:
        return len(self.tree_offsets) - 1

    @property
    def n_nodes(self) -> int:
        return len(self.feature)

    def decision_function(self, X: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """Summed log-odds for every row of ``X`` (N, n_features), float64 (N,)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ConfigError(f"expected {self.n_features} feature columns, got shape {X.shape}")
        out = np.empty(len(X))
        roots = self.tree_offsets[:-1]
        # global child indices; a leaf points to itself so that walking past it changes nothing
        base = np.repeat(roots, np.diff(self.tree_offsets))
        own = np.arange(self.n_nodes)
        gl = np.where(self.is_leaf, own, self.left + base)
        gr = np.where(self.is_leaf, own, self.right + base)
        feat = np.where(self.is_leaf, 0, self.feature)
        for s in range(0, len(X), chunk):
            xb = np.ascontiguousarray(X[s:s + chunk])
            xflat = xb.reshape(-1)
            rowbase = (np.arange(len(xb)) * self.n_features)[:, None]
            node = np.broadcast_to(roots, (len(xb), self.n_trees)).copy()
            for _ in range(self.max_depth):
                v = xflat[rowbase + feat[node]]
                go_left = (v <= self.threshold[node]) | (np.isnan(v) & self.missing_left[node])
                node = np.where(go_left, gl[node], gr[node])
            # cumsum adds sequentially in tree order after the baseline, exactly like scikit-learn
            terms = np.concatenate([np.full((len(xb), 1), self.baseline), self.value[node]], axis=1)
            out[s:s + chunk] = np.cumsum(terms, axis=1)[:, -1]
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Named arrays for :func:`numpy.savez` (with the scalars as 0-d arrays)."""
        d = {k: getattr(self, k) for k in ARRAY_FIELDS}
        d["baseline"] = np.array(self.baseline)
        d["n_features"] = np.array(self.n_features)
        d["max_depth"] = np.array(self.max_depth)
        return d

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], source: str = "<trees>") -> "TreeEnsemble":
        """Inverse of :meth:`to_arrays`, with consistency checks."""
        try:
            ens = cls(
                feature=np.asarray(arrays["feature"], np.int64),
                threshold=np.asarray(arrays["threshold"], np.float64),
                left=np.asarray(arrays["left"], np.int64),
                right=np.asarray(arrays["right"], np.int64),
                missing_left=np.asarray(arrays["missing_left"], bool),
                is_leaf=np.asarray(arrays["is_leaf"], bool),
                value=np.asarray(arrays["value"], np.float64),
                tree_offsets=np.asarray(arrays["tree_offsets"], np.int64),
                baseline=float(arrays["baseline"]),
                n_features=int(arrays["n_features"]),
                max_depth=int(arrays["max_depth"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{source}: invalid tree arrays ({exc})") from None
        m = ens.n_nodes
        sizes = np.diff(ens.tree_offsets)
        ok = (
            all(len(getattr(ens, k)) == m for k in ARRAY_FIELDS[:-1])
            and ens.tree_offsets[0] == 0 and ens.tree_offsets[-1] == m and (sizes > 0).all()
        )
        if ok and m:
            size_of = np.repeat(sizes, sizes)
            inner = ~ens.is_leaf
            ok = bool(
                ((ens.left[inner] >= 0) & (ens.left[inner] < size_of[inner])).all()
                and ((ens.right[inner] >= 0) & (ens.right[inner] < size_of[inner])).all()
                and ((ens.feature[inner] >= 0) & (ens.feature[inner] < ens.n_features)).all()
            )
        if not ok:
            raise CheckpointError(f"{source}: inconsistent tree arrays")
        return ens
