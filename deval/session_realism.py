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

__all__ = ["SessionRealism", "SessionReference", "session_reference", "session_rows", "session_realism"]

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


@dataclass(frozen=True, eq=False)
class SessionReference:
    """The real side of :func:`session_realism`, prepared once for every fake set: the rows of its session
    windows, their people, the people-vs-people baseline, and the random state the fake windows are drawn from."""

    k: int
    rows: pd.DataFrame
    users: np.ndarray | None
    people_vs_people: float
    rng_state: dict


def session_reference(real: Trajectories, k: int = 10, settings=None) -> SessionReference:
    """The real side of :func:`session_realism` (see :class:`SessionReference`)."""
    from deval.compare import CompareSettings
    from deval.metrics.c2st import c2st_test

    settings = settings or CompareSettings()
    if k < 2:
        raise DataError(None, f"sessions need k >= 2 movements, got {k}")
    if not _has_sessions(real):
        raise DataError(None, "the real set has no session ids: session-level realism needs them")
    rng = np.random.default_rng(settings.seed)
    r_traj, r_win = _windows(real, k, rng, False)
    rows = session_rows(r_traj, r_win, settings)
    users = r_traj.meta.groupby(r_win)["user"].first().to_numpy() if "user" in r_traj.meta else None
    baseline = float("nan")
    if users is not None and len(np.unique(users)) >= 4:  # two halves of the people, split by person
        u = np.unique(users)
        half = np.isin(users, np.random.default_rng(settings.seed + 1).permutation(u)[: len(u) // 2])
        values = rows.to_numpy()
        baseline = float(c2st_test(values[half], values[~half], classifier=settings.c2st_classifier,
                                   folds=settings.c2st_folds, groups_real=users[half], groups_fake=users[~half],
                                   seed=settings.seed).accuracy)
    return SessionReference(int(k), rows, users, baseline, rng.bit_generator.state)


def session_realism(real: Trajectories, fake: Trajectories, k: int = 10, settings=None,
                    reference: SessionReference | None = None) -> SessionRealism:
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
    reference : SessionReference, optional
        ``session_reference(real, k, settings)``, made once when several fake sets are judged.
    """
    from deval.compare import CompareSettings
    from deval.metrics.c2st import c2st_test
    from deval.realism_meter import wilson_interval

    settings = settings or CompareSettings()
    ref = reference if reference is not None else session_reference(real, k, settings)
    rng = np.random.default_rng(settings.seed)
    rng.bit_generator.state = ref.rng_state
    pseudo = not _has_sessions(fake)
    f_traj, f_win = _windows(fake, ref.k, rng, pseudo)
    n_real, n_fake = len(ref.rows), len(np.unique(f_win))
    if n_real < 20 or n_fake < 20:
        raise DataError(None, f"too few sessions of {ref.k} movements to compare ({n_real} real, {n_fake} fake; "
                              "at least 20 each)")
    f_rows = session_rows(f_traj, f_win, settings)
    res = c2st_test(ref.rows.to_numpy(), f_rows[ref.rows.columns].to_numpy(), classifier=settings.c2st_classifier,
                    folds=settings.c2st_folds, groups_real=ref.users, seed=settings.seed)
    lo, hi = wilson_interval(res.n_correct, res.n_evaluated)
    return SessionRealism(ref.k, float(res.accuracy), float(lo), float(hi), ref.people_vs_people, n_real,
                          len(f_rows), bool(pseudo))
