"""Realism of sessions: do ``k`` movements of one visitor look like ``k`` movements of one person?

Detectors decide over sessions (``score --by session``), so negatives must be
realistic as sessions too: one person's movements share a hand (speed,
curvature, tremor, corrections), and independent draws do not. Each window of
``k`` consecutive movements of one session (:func:`deval.sessions.session_windows`)
becomes one row: the mean and the standard deviation, over its movements, of
every feature of :func:`deval.compare.prepare` (the same features as the
meter's feature probe). A C2ST on those rows says how well sessions of the two
sets can be told apart; the same measure between two halves of the real
people (split by user) is the people-vs-people baseline it is judged against.

A set without session ids is cut into windows of ``k`` consecutive movements
in file order (``pseudo_sessions`` in the result), which is what a generator
that draws every movement independently offers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from deval.errors import DataError
from deval.sessions import session_windows
from deval.trajectories import Trajectories

__all__ = ["SessionRealism", "session_rows", "session_realism"]

#: Windows used per set (drawn with the seed): the C2ST needs rows, not all of them.
MAX_WINDOWS = 2000


@dataclass(frozen=True)
class SessionRealism:
    """Session-level C2ST of a fake set against the real one, with the people-vs-people baseline."""

    k: int
    c2st_acc: float
    c2st_ci_low: float
    c2st_ci_high: float
    people_vs_people: float
    n_real_sessions: int
    n_fake_sessions: int
    pseudo_sessions: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _has_sessions(traj: Trajectories) -> bool:
    return "session" in traj.meta and (traj.meta["session"].astype(str) != "").any()


def _windows(traj: Trajectories, k: int, rng: np.random.Generator, pseudo: bool) -> tuple[Trajectories, np.ndarray]:
    """Up to :data:`MAX_WINDOWS` windows of ``k`` (drawn with ``rng``): their movements and window ids."""
    meta = traj.meta if not pseudo else pd.DataFrame({"session": np.full(len(traj), "all")})
    win = session_windows(meta, k)
    ids = np.unique(win[win >= 0])
    if len(ids) > MAX_WINDOWS:
        ids = np.sort(rng.choice(ids, MAX_WINDOWS, replace=False))
    keep = np.flatnonzero(np.isin(win, ids))
    return traj.take(keep), win[keep]


def session_rows(traj: Trajectories, windows: np.ndarray, settings) -> pd.DataFrame:
    """One row per window: ``<feature>_mean`` and ``<feature>_std`` over its movements (``settings``: the
    :class:`deval.compare.CompareSettings` whose features are pooled; no subsampling)."""
    from deval.compare import prepare

    feats = prepare(traj, "sessions", replace(settings, max_samples=None)).features
    g = feats.groupby(windows, sort=True)
    return pd.concat([g.mean().add_suffix("_mean"), g.std(ddof=0).add_suffix("_std")], axis=1)


def session_realism(real: Trajectories, fake: Trajectories, k: int = 10, settings=None) -> SessionRealism:
    """Session-level realism of ``fake`` against ``real`` (see the module docs).

    Parameters
    ----------
    real : Trajectories
        People with ``session`` ids (and ``user`` ids for the baseline).
    fake : Trajectories
        With ``session`` ids when the generator made sessions; else windows in file order.
    k : int
        Movements per session window (>= 2).
    settings : deval.compare.CompareSettings, optional
        Features, classifier, folds and seed.
    """
    from deval.compare import CompareSettings
    from deval.metrics.c2st import c2st_test
    from deval.realism_meter import wilson_interval

    settings = settings or CompareSettings()
    if k < 2:
        raise DataError(None, f"sessions need k >= 2 movements, got {k}")
    if not _has_sessions(real):
        raise DataError(None, "the real set has no session ids: session-level realism needs them")
    rng = np.random.default_rng(settings.seed)
    pseudo = not _has_sessions(fake)
    r_traj, r_win = _windows(real, k, rng, False)
    f_traj, f_win = _windows(fake, k, rng, pseudo)
    if len(np.unique(r_win)) < 20 or len(np.unique(f_win)) < 20:
        raise DataError(None, f"too few sessions of {k} movements to compare ({len(np.unique(r_win))} real, "
                              f"{len(np.unique(f_win))} fake; at least 20 each)")
    r_rows, f_rows = session_rows(r_traj, r_win, settings), session_rows(f_traj, f_win, settings)
    users = r_traj.meta.groupby(r_win)["user"].first().to_numpy() if "user" in r_traj.meta else None
    res = c2st_test(r_rows.to_numpy(), f_rows[r_rows.columns].to_numpy(), classifier=settings.c2st_classifier,
                    folds=settings.c2st_folds, groups_real=users, seed=settings.seed)
    baseline = float("nan")
    if users is not None and len(np.unique(users)) >= 4:
        u = np.unique(users)
        half = np.isin(users, rng.permutation(u)[: len(u) // 2])
        base = c2st_test(r_rows.to_numpy()[half], r_rows.to_numpy()[~half], classifier=settings.c2st_classifier,
                         folds=settings.c2st_folds, groups_real=users[half], groups_fake=users[~half],
                         seed=settings.seed)
        baseline = float(base.accuracy)
    lo, hi = wilson_interval(res.n_correct, res.n_evaluated)
    return SessionRealism(int(k), float(res.accuracy), float(lo), float(hi), baseline,
                          len(r_rows), len(f_rows), bool(pseudo))
