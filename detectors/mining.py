"""Hard-negative mining: keep the bots the current detector misses, retrain, repeat.

:func:`mine_negatives` runs K rounds of the attacker loop:

1. **Train** a detector on the people against the current pool of negatives
   (the starting negatives plus everything mined so far).
2. **Search** (``adversarial``): draw random configurations of the
   ``composite`` design space (one path, speed, noise and timing part each),
   generate a small batch of each, score it, and keep the configurations the
   detector finds most human (random search, a black-box optimiser that needs
   no gradient).
3. **Generate** candidates: half from the sources as given, half from the
   configurations the search kept (all from the sources without a search).
4. **Select** the hardest ``keep`` share of the candidates (the lowest
   scores) under a diversity floor: the candidates are clustered in feature
   space (k-means on standardised features) and every cluster gives at least
   its hardest movements, so the selection cannot collapse onto one trick.
5. **Add** them to the pool (``mined_round`` column) and go on.

Each round records how well the detector it trained catches the candidates
(share passing at the threshold that flags 1% of the people, mean score) and
how much of the candidate pool the selection covers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from deval.detectors.featurizer import TrajectoryFeaturizer
from deval.detectors.training import train_detector
from deval.errors import ConfigError
from deval.trajectories import Trajectories

logger = logging.getLogger(__name__)

__all__ = ["MiningResult", "mine_negatives", "select_diverse_hardest"]


@dataclass
class MiningResult:
    """Output of :func:`mine_negatives`.

    Attributes
    ----------
    negatives : Trajectories
        The mined movements of every round (``mined_round`` column; ``style``
        and part columns as generated).
    rounds : list of dict
        Per round: candidates, kept, ``pass_rate`` (share of candidates scored
        below the 1%-of-people threshold), ``mean_score``, ``coverage`` (share
        of candidate clusters represented in the selection), the configurations
        the search kept.
    detector : TrajectoryDetector
        The detector trained on the final pool.
    """

    negatives: Trajectories
    rounds: list = field(default_factory=list)
    detector: object = None


def select_diverse_hardest(scores: np.ndarray, features: np.ndarray, keep: int, clusters: int, seed: int
                           ) -> tuple[np.ndarray, float]:
    """Indices of ``keep`` hard movements (low ``scores``) spread over ``clusters`` k-means clusters.

    Every cluster first gives its hardest ``max(1, keep // (2 * clusters))``
    movements; the rest of the quota goes to the hardest remaining ones
    anywhere. Returns the indices (sorted) and the share of clusters that
    contribute.
    """
    from sklearn.cluster import MiniBatchKMeans

    n = len(scores)
    keep = int(min(max(keep, 1), n))
    z = np.nan_to_num((features - np.nanmean(features, 0)) / (np.nanstd(features, 0) + 1e-9))
    k = int(min(clusters, n))
    labels = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(z)
    floor = max(1, keep // (2 * k))
    order = np.lexsort((scores, labels))  # by cluster, hardest first within each
    rank_in_cluster = np.empty(n, np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(labels[order])) + 1]
    lengths = np.diff(np.r_[starts, n])
    rank_in_cluster[order] = np.arange(n) - np.repeat(starts, lengths)
    chosen = rank_in_cluster < floor
    if chosen.sum() > keep:  # too many clusters for the quota: the hardest of the floor picks
        chosen[np.flatnonzero(chosen)[np.argsort(scores[chosen])[keep:]]] = False
    rest = np.flatnonzero(~chosen)
    chosen[rest[np.argsort(scores[rest], kind="stable")[: keep - int(chosen.sum())]]] = True
    idx = np.flatnonzero(chosen)
    return idx, float(len(np.unique(labels[idx])) / k)


def _search_configs(real: Trajectories, det, rng: np.random.Generator, n_configs: int, batch: int,
                    top: int) -> list[dict]:
    """Random search over one-part-per-family composite configurations; the ``top`` the detector scores lowest."""
    from deval.generators.composite import CompositeBot, part_names

    configs = []
    for _ in range(n_configs):
        configs.append({f"{fam}s": str(rng.choice(part_names(fam))) for fam in ("path", "speed", "noise", "timing")})
    results = []
    for cfg in configs:
        cond = real.endpoints().resample(batch, seed=int(rng.integers(2**31)))
        sample = CompositeBot(**cfg).sample(batch, cond=cond, seed=int(rng.integers(2**31)))
        results.append(float(np.mean(det.decision_function(sample))))
    order = np.argsort(results)[:top]
    return [{**configs[i], "mean_score": results[i]} for i in order]


def _without_rare_values(pool: dict, family: str, min_count: int = 3) -> dict:
    """``pool`` less the movements whose ``family`` value occurs fewer than ``min_count`` times over the whole
    pool (too few to hold out and test: mining can draw a part once or twice); sets left empty are dropped."""
    import pandas as pd

    values = [t.meta[family].astype(str) if family in t.meta else None for t in pool.values()]
    counts = pd.concat([v for v in values if v is not None]).value_counts() if any(
        v is not None for v in values) else pd.Series(dtype=int)
    rare_values = set(counts[counts < min_count].index)
    if rare_values:
        logger.info("family matrix: %s value(s) %s left out (fewer than %d movements)", family,
                    ", ".join(sorted(rare_values)), min_count)
    out = {}
    for (name, traj), col in zip(pool.items(), values):
        kept = traj if col is None else traj[~col.isin(rare_values).to_numpy()]
        if len(kept):
            out[name] = kept
    return out


def _family_matrix(real, pool, family, head, view, seed) -> list[dict]:
    """Leave-one-family-out on ``pool``: one row per held-out family (ROC-AUC, TPR at 1% FPR)."""
    from deval.detectors.evaluation import evaluate_holdout

    pool = _without_rare_values(pool, family)
    res = evaluate_holdout(real, pool, holdout="leave-one-family-out", family=family, head=head, views=(view,),
                           n_bootstrap=0, cross_logger=False, seed=seed)
    m = res.metrics
    held = m[(m["setting"] == "held-out") & (m["level"] == "movement")]
    return [{"family": str(r["style"]), "roc_auc": float(r["roc_auc"]), "tpr_at_fpr_1pct": float(r["tpr_at_fpr_1pct"])}
            for _, r in held.iterrows()]


def mine_negatives(
    real: Trajectories,
    negatives: "Trajectories | dict[str, Trajectories]",
    *,
    sources: Sequence[str] = ("composite",),
    rounds: int = 3,
    candidates: int = 10000,
    keep: float = 0.2,
    clusters: int = 32,
    adversarial: bool = True,
    search_configs: int = 48,
    head: str = "hgb",
    head_params: dict | None = None,
    view: str = "logger-robust",
    augment_loggers: int = 0,
    evaluate_family: str | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> MiningResult:
    """Mine hard negatives for ``rounds`` rounds (see the module docs).

    Parameters
    ----------
    real : Trajectories
        Human movements; their endpoints condition every candidate.
    negatives : Trajectories or mapping style -> Trajectories
        The starting pool.
    sources : sequence of str
        Generators the candidates come from (registry names, default settings).
    rounds, candidates, keep, clusters : int, int, float, int
        Rounds; candidates per round; share kept; k-means clusters of the diversity floor.
    adversarial : bool
        Run the random search over composite configurations each round.
    search_configs : int
        Configurations tried by the search (the best quarter are kept).
    head, head_params, view, augment_loggers
        The detector trained each round (see :func:`~deval.detectors.training.train_detector`).
    evaluate_family : str, optional
        After each round, a leave-one-family-out evaluation on the pool so far
        (``path``, ``speed``, ``timing`` or ``noise``: mined movements keep their
        part columns, so a held-out family is held out of them too); its
        per-family ROC-AUC and TPR at 1% FPR go in the round's ``family_matrix``.
    seed : int
        Seeds everything.
    """
    from deval.negatives import generate_negatives

    if rounds < 1 or candidates < 10 or not 0 < keep <= 1:
        raise ConfigError("mining needs rounds >= 1, candidates >= 10 and 0 < keep <= 1")
    step = progress or (lambda msg: None)
    pool = dict(negatives) if isinstance(negatives, dict) else {"negatives": negatives}
    rng = np.random.default_rng(seed)
    mined: list[Trajectories] = []
    log: list[dict] = []
    fz_cols = "all"
    for r in range(1, rounds + 1):
        current = {**pool, **({"mined": Trajectories.concat(mined)} if mined else {})}
        step(f"round {r}: training {head} on {sum(len(t) for t in current.values())} negatives")
        det = train_detector(real, current, head=head, view=view, augment_loggers=augment_loggers,
                             seed=seed + r, **(head_params or {})).detector
        threshold = float(np.quantile(det.decision_function(real), 0.99))
        configs: list[dict] = []
        parts = []
        n_plain = candidates if not adversarial else candidates // 2
        parts.append(generate_negatives(list(sources), like=real, n=max(1, n_plain // len(sources)),
                                        seed=int(rng.integers(2**31))))
        if adversarial:
            from deval.generators.composite import CompositeBot

            step(f"round {r}: searching {search_configs} composite configurations")
            configs = _search_configs(real, det, rng, search_configs, 64, max(1, search_configs // 4))
            per = max(1, (candidates - n_plain) // len(configs))
            for cfg in configs:
                gen = CompositeBot(**{k: v for k, v in cfg.items() if k != "mean_score"})
                parts.append(generate_negatives({"composite": gen}, like=real, n=per, seed=int(rng.integers(2**31))))
        cand = Trajectories.concat(parts)
        scores = det.decision_function(cand)
        feats = TrajectoryFeaturizer(fz_cols).fit(cand).transform(det.get_view().apply(cand))
        idx, coverage = select_diverse_hardest(scores, feats, int(round(keep * len(cand))), clusters, seed + r)
        chosen = cand[idx].with_meta(mined_round=np.full(len(idx), r))
        mined.append(chosen)
        log.append({"round": r, "candidates": len(cand), "kept": len(idx),
                    "pass_rate": float(np.mean(scores < threshold)), "mean_score": float(np.mean(scores)),
                    "kept_pass_rate": float(np.mean(scores[idx] < threshold)), "coverage": coverage,
                    "search": configs})
        if evaluate_family is not None:
            log[-1]["family_matrix"] = _family_matrix(real, {**pool, "mined": Trajectories.concat(mined)},
                                                      evaluate_family, head, view, seed + r)
        step(f"round {r}: {log[-1]['pass_rate']:.3f} of candidates pass as people; kept {len(idx)}")
    final = train_detector(real, {**pool, "mined": Trajectories.concat(mined)}, head=head, view=view,
                           augment_loggers=augment_loggers, seed=seed, **(head_params or {})).detector
    return MiningResult(Trajectories.concat(mined), log, final)
