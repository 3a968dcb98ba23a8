"""Classifier two-sample test (C2ST; Lopez-Paz & Oquab, ICLR 2017).

A probe classifier learns to tell real from fake feature vectors; its
out-of-fold accuracy is the statistic. 0.5 means the probe cannot tell the
sets apart; 1.0 means it always can.

Protocol
--------
1. Balance: the larger set is subsampled (seeded) to the size of the smaller
   one, then both are capped at ``max_samples``. Labels: real 0, fake 1.
2. Stratified k-fold (``StratifiedKFold``, shuffled with ``seed``), or, with
   person ids (``groups_real`` / ``groups_fake``), ``StratifiedGroupKFold``:
   every id lies in exactly one test fold, so one person's movements never sit
   on both sides of a split. Ids are compared across the two sets: an id in
   both belongs to one person. A feature vector present in both sets (e.g. a
   set compared with itself) is likewise kept in one fold, since a memorising
   probe would otherwise score below chance on it.
3. In each fold an sklearn ``Pipeline(StandardScaler, classifier)`` is fitted
   on the training part only and predicts the held-out part.
4. accuracy = mean of the fold accuracies (``accuracy_std``: their standard
   deviation, ddof=1); ROC-AUC from the pooled out-of-fold probabilities;
   ``p_value`` = one-sided exact binomial test of the pooled out-of-fold correct
   count against chance (``scipy.stats.binomtest``, alternative "greater"). The
   binomial test treats out-of-fold predictions as independent, which holds
   within a fold and is the usual approximation across folds.
5. Optional permutation p-value: labels are shuffled ``n_permutations`` times
   (within the same folds) and the whole cross-validation is rerun;
   ``p = (1 + #{acc_perm >= acc}) / (1 + n_permutations)``.

Probes: ``"hgb"`` (default, the gradient-boosting probe:
``HistGradientBoostingClassifier`` with 100 iterations, 31 leaves, early
stopping on a 10 % validation split; 20k vs 20k x 40 features, 5 folds: ~6
CPU-seconds, see ``benchmarks/bench_metrics.py`` and ``n_threads``; handles NaN
features natively), ``"logistic"`` (linear:
``LogisticRegression``), ``"mlp"`` (``MLPClassifier`` 64-64 with early
stopping).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import binomtest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from deval.errors import ConfigError, DataError
from deval.thread_jobs import run_jobs
from deval.metrics.inputs import as_feature_pair, check_positive_int
from deval.metrics.results import JSONResult

log = logging.getLogger(__name__)

CLASSIFIERS: tuple[str, ...] = ("hgb", "logistic", "mlp")


@dataclass(frozen=True)
class C2STResult(JSONResult):
    """Result of :func:`c2st_test`.

    Attributes
    ----------
    accuracy : float
        Mean out-of-fold accuracy (0.5: indistinguishable).
    accuracy_std : float
        Standard deviation of the fold accuracies (ddof=1).
    roc_auc : float
        ROC-AUC of the pooled out-of-fold fake probabilities.
    p_value : float
        One-sided binomial p-value of the pooled out-of-fold accuracy vs 0.5.
    permutation_p_value : float
        NaN unless ``n_permutations > 0``.
    n_correct, n_evaluated : int
        Pooled out-of-fold correct predictions and predictions.
    fold_accuracies : tuple of float
    classifier : str
    folds : int
    grouped : bool
        Folds respected person ids.
    n_groups : int
        Distinct person ids among the samples used (0 when not grouped).
    n_shared_samples : int
        Samples whose feature vector occurs in both sets; such twins are kept
        in one fold (see :func:`_merge_shared_rows`).
    n_real, n_fake : int
        Input sizes.
    n_real_used, n_fake_used : int
        Sizes after balancing and ``max_samples``.
    max_samples : int or None
    n_permutations : int
    seed : int
    """

    accuracy: float
    accuracy_std: float
    roc_auc: float
    p_value: float
    permutation_p_value: float
    n_correct: int
    n_evaluated: int
    fold_accuracies: tuple[float, ...]
    classifier: str
    folds: int
    grouped: bool
    n_groups: int
    n_shared_samples: int
    n_real: int
    n_fake: int
    n_real_used: int
    n_fake_used: int
    max_samples: int | None
    n_permutations: int
    seed: int


def make_probe(classifier: str, seed: int) -> Pipeline:
    """The unfitted probe pipeline: ``StandardScaler`` then the named classifier.

    Parameters
    ----------
    classifier : {"hgb", "logistic", "mlp"}
    seed : int
        ``random_state`` of the classifier.
    """
    if classifier == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
            early_stopping=True, validation_fraction=0.1, n_iter_no_change=10, random_state=seed,
        )
    elif classifier == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(max_iter=1000)
    elif classifier == "mlp":
        from sklearn.neural_network import MLPClassifier

        model = MLPClassifier(
            hidden_layer_sizes=(64, 64), early_stopping=True, max_iter=200, random_state=seed
        )
    else:
        raise ConfigError(f"classifier must be one of {', '.join(CLASSIFIERS)}, got {classifier!r}")
    return make_pipeline(StandardScaler(), model)


def _group_codes(groups_real: Any, groups_fake: Any, n_real: int, n_fake: int) -> np.ndarray | None:
    """One integer id per sample (real first), or None without ids.

    Equal ids in the two sets (by ``==``) map to one code; a set without ids
    gives each of its samples a fresh code of its own.
    """
    if groups_real is None and groups_fake is None:
        return None
    parts: list[np.ndarray | None] = []
    for name, g, n in (("groups_real", groups_real, n_real), ("groups_fake", groups_fake, n_fake)):
        if g is None:
            parts.append(None)
            continue
        if hasattr(g, "detach"):
            g = g.detach().cpu().numpy()
        g = np.asarray(g)
        if g.shape != (n,):
            raise DataError(name, f"expected one id per sample, shape ({n},), got {g.shape}")
        parts.append(g.astype(object))
    given = [p for p in parts if p is not None]
    codes, uniques = pd.factorize(np.concatenate(given))
    out, pos, next_code = [], 0, len(uniques)
    for p, n in zip(parts, (n_real, n_fake)):
        if p is None:
            out.append(np.arange(next_code, next_code + n, dtype=np.int64))
            next_code += n
        else:
            out.append(codes[pos:pos + n].astype(np.int64))
            pos += n
    return np.concatenate(out)


def _merge_shared_rows(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray | None
) -> tuple[np.ndarray | None, int]:
    """Groups that also keep feature vectors present in *both* sets within one fold.

    A vector that is both real and fake is one observation with two labels; if
    its twin sits in the training part, a memorising probe predicts the wrong
    label for it and scores below chance (a set against itself would read
    ~0.25, not 0.5). Such rows become one group (merged with the person ids,
    when given, by connected components). Returns (groups, number of samples
    whose vector is shared); ``groups`` comes back unchanged (None included)
    when no vector is shared.
    """
    _, row_id = np.unique(X, axis=0, return_inverse=True)
    row_id = row_id.reshape(-1)
    in_real = np.zeros(row_id.max() + 1, dtype=bool)
    in_fake = np.zeros_like(in_real)
    in_real[row_id[y == 0]] = True
    in_fake[row_id[y == 1]] = True
    shared = (in_real & in_fake)[row_id]
    if not shared.any():
        return groups, 0
    log.debug("C2ST: %d samples share their feature vector with the other set; kept in one fold",
              shared.sum())
    n = len(y)
    # bipartite graph: sample -> its person id, shared sample -> its row id
    base = np.arange(n) if groups is None else groups
    n_base = int(base.max()) + 1
    rows = np.concatenate([np.arange(n), np.flatnonzero(shared)])
    cols = np.concatenate([base, n_base + row_id[shared]])
    size = n + n_base + int(row_id.max()) + 1
    graph = coo_matrix((np.ones(len(rows)), (rows, n + cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return labels[:n].astype(np.int64), int(shared.sum())


def fold_assignment(
    y: np.ndarray, groups: np.ndarray | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test index pairs of the stratified (group) k-fold used by :func:`c2st_test`.

    Parameters
    ----------
    y : numpy.ndarray, shape (N,)
        Labels (0 real, 1 fake).
    groups : numpy.ndarray of int, shape (N,), or None
        Person ids; with them no id appears in both the training and the test
        part of a fold.
    folds : int
    seed : int
    """
    if groups is None:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), y))
    n_groups = len(np.unique(groups))
    if n_groups < folds:
        raise ConfigError(f"grouped C2ST needs at least folds={folds} distinct ids, got {n_groups}")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups))


def fold_job(probe: Pipeline, X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray
             ) -> Callable[[], np.ndarray]:
    """One fold as a job: fit a clone of ``probe`` on ``train``, return the fake probabilities of ``test``."""
    if np.unique(y[train]).size < 2:
        raise DataError("real/fake", "a training fold holds only one class; use fewer folds or more samples")

    def job() -> np.ndarray:
        model = clone(probe).fit(X[train], y[train])
        return model.predict_proba(X[test])[:, list(model.classes_).index(1)]

    return job


def pool_folds(parts: Sequence[np.ndarray], y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]]
               ) -> tuple[np.ndarray, np.ndarray]:
    """(fold accuracies, pooled out-of-fold probabilities) from each fold's test probabilities."""
    proba = np.full(len(y), np.nan)
    accs = []
    for p, (_, test) in zip(parts, splits):
        proba[test] = p
        accs.append(np.mean((p > 0.5) == (y[test] == 1)))
    return np.asarray(accs), proba


def _cross_validate(
    probe: Pipeline, X: np.ndarray, y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]],
    n_threads: int | None = 1, n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(fold accuracies, pooled out-of-fold fake probabilities); the folds run side by side (:mod:`deval.thread_jobs`),
    each with ``n_threads`` OpenMP threads."""
    jobs = [fold_job(probe, X, y, train, test) for train, test in splits]
    return pool_folds(run_jobs(jobs, n_jobs, n_threads=n_threads), y, splits)


def c2st_test(
    real: Any,
    fake: Any,
    *,
    classifier: str = "hgb",
    folds: int = 5,
    groups_real: Any = None,
    groups_fake: Any = None,
    seed: int = 0,
    n_permutations: int = 0,
    max_samples: int | None = None,
    n_threads: int | None = 1,
) -> C2STResult:
    """Classifier two-sample test of ``real`` against ``fake`` (see module docs).

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)
        Feature matrices. NaN is allowed with ``classifier="hgb"`` (missing value).
    classifier : {"hgb", "logistic", "mlp"}
        The probe.
    folds : int
        Cross-validation folds (>= 2).
    groups_real, groups_fake : array-like, shapes (N,) and (M,), optional
        Person (user) ids. When either is given, folds keep each id on one
        side; a set without ids counts each of its samples as its own person.
    seed : int
        Seeds balancing, fold shuffling, the classifier and the permutations.
    n_permutations : int
        Label permutations for a permutation p-value (each reruns the whole
        cross-validation); 0 skips it.
    max_samples : int, optional
        Cap on samples per side after balancing.
    n_threads : int, optional
        OpenMP/BLAS threads of the probe (through ``threadpoolctl``); None
        leaves the libraries' default (all cores). The default is 1: on a
        machine whose cores are busy with other work, the gradient-boosting
        probe's many short parallel loops otherwise wait at barriers for
        descheduled threads (measured: 292 s with 2 threads vs 9 s with 1 at
        20k vs 20k on a loaded 2-core machine); on an idle machine 2 threads
        gain less than 2x. Results do not depend on it.

    Returns
    -------
    C2STResult
    """
    if classifier not in CLASSIFIERS:
        raise ConfigError(f"classifier must be one of {', '.join(CLASSIFIERS)}, got {classifier!r}")
    folds = check_positive_int(folds, "folds", minimum=2)
    n_permutations = check_positive_int(n_permutations, "n_permutations", minimum=0)
    if max_samples is not None:
        max_samples = check_positive_int(max_samples, "max_samples", minimum=folds)
    xr, xf = as_feature_pair(real, fake, min_rows=folds, allow_nan=classifier == "hgb")
    n_real, n_fake = len(xr), len(xf)
    groups = _group_codes(groups_real, groups_fake, n_real, n_fake)

    rng = np.random.default_rng(seed)
    n_side = min(n_real, n_fake, max_samples if max_samples is not None else n_real + n_fake)
    idx_r = np.sort(rng.choice(n_real, n_side, replace=False)) if n_side < n_real else np.arange(n_real)
    idx_f = np.sort(rng.choice(n_fake, n_side, replace=False)) if n_side < n_fake else np.arange(n_fake)
    X = np.vstack([xr[idx_r], xf[idx_f]])
    y = np.concatenate([np.zeros(n_side, dtype=np.int64), np.ones(n_side, dtype=np.int64)])
    g = None if groups is None else np.concatenate([groups[idx_r], groups[n_real + idx_f]])
    n_user_groups = 0 if g is None else int(len(np.unique(g)))
    g, n_shared = _merge_shared_rows(X, y, g)

    splits = fold_assignment(y, g, folds, seed)
    probe = make_probe(classifier, seed)
    if n_threads is not None:
        n_threads = check_positive_int(n_threads, "n_threads")
    limits = contextlib.nullcontext() if n_threads is None else threadpool_limits(limits=n_threads)
    with limits:
        accs, proba = _cross_validate(probe, X, y, splits, n_threads)
        perm_accs = [float(np.mean(_cross_validate(probe, X, rng.permutation(y), splits, n_threads)[0]))
                     for _ in range(n_permutations)]
    correct = int(np.sum((proba > 0.5) == (y == 1)))
    p_value = binomtest(correct, len(y), 0.5, alternative="greater").pvalue
    auc = roc_auc_score(y, proba)
    accuracy = float(np.mean(accs))

    perm_p = float("nan")
    if n_permutations:
        perm_p = (1.0 + sum(a >= accuracy for a in perm_accs)) / (1.0 + n_permutations)
    log.debug("C2ST %s: accuracy %.4f ± %.4f, AUC %.4f, p=%.3g",
              classifier, accuracy, accs.std(ddof=1), auc, p_value)
    return C2STResult(
        accuracy=accuracy,
        accuracy_std=float(np.std(accs, ddof=1)),
        roc_auc=float(auc),
        p_value=float(p_value),
        permutation_p_value=perm_p,
        n_correct=correct,
        n_evaluated=len(y),
        fold_accuracies=tuple(float(a) for a in accs),
        classifier=classifier,
        folds=folds,
        grouped=n_user_groups > 0,
        n_groups=n_user_groups,
        n_shared_samples=n_shared,
        n_real=n_real,
        n_fake=n_fake,
        n_real_used=n_side,
        n_fake_used=n_side,
        max_samples=max_samples,
        n_permutations=n_permutations,
        seed=seed,
    )


def c2st(real: Any, fake: Any) -> float:
    """Out-of-fold accuracy of the default C2ST probe (gradient boosting, 5 folds, seed 0).

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)

    Returns
    -------
    float
        0.5: the probe cannot tell the sets apart; 1.0: it always can.
    """
    return c2st_test(real, fake).accuracy
