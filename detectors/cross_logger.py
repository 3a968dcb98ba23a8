"""The cross-logger check of ``deval evaluate``: people behind loggers the detector never saw.

The held-out people are re-recorded by every named logger of
:data:`deval.loggers.LOGGERS` (every clock kind) and scored by the detector
trained on every style. Two thresholds, both set on people only:

* **per movement**: the score that flags ``target_fpr`` (1%) of the held-out
  people's movements as they were logged;
* **per session** of ``k`` movements (mean log-odds): the score that flags
  ``target_fpr`` of the held-out people's sessions *as logged and re-recorded
  session by session through random loggers* (:func:`deval.loggers.draw_loggers`,
  none of them a named logger). A session mean has a smaller spread than a
  movement, so a small per-movement shift from another logger moves whole
  sessions past a threshold set on one logger's sessions; a threshold set on
  sessions of many loggers absorbs that shift. Its share on people as logged
  is reported too (``session_fpr_as_logged``), as is the share flagged at the
  one-logger session threshold (``session_fpr_one_logger_threshold``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from deval.trajectories import Trajectories

__all__ = ["cross_logger_rows", "session_scores", "CALIBRATION_LOGGERS"]

#: Random loggers the session threshold is calibrated over.
CALIBRATION_LOGGERS = 12


def session_scores(det, traj: Trajectories, k: int, scores: np.ndarray | None = None) -> np.ndarray:
    """Mean log-odds of every complete window of ``k`` movements of one session, (W,)."""
    from deval.sessions import fuse_sessions, session_windows

    if scores is None:
        scores = det.decision_prepared(det.prepare(traj))
    return fuse_sessions(scores, session_windows(traj.meta, k))


def _share(flags: np.ndarray) -> tuple[float, float, float]:
    from deval.realism_meter import wilson_interval

    if len(flags) == 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = wilson_interval(int(flags.sum()), len(flags))
    return float(flags.mean()), lo, hi


def cross_logger_rows(det, relogged: Mapping[str, Trajectories], people: Trajectories, human_scores: np.ndarray,
                      vname: str, *, calibration: Trajectories | None = None, k: int = 10,
                      target_fpr: float = 0.01) -> list[dict]:
    """False alarms on people re-recorded by other loggers, per movement and per session of ``k``.

    Parameters
    ----------
    det : fitted detector
    relogged : logger name -> the held-out people re-recorded by it (same order and metadata as ``people``)
    people : the held-out people as logged; ``human_scores`` (N,) their scores
    vname : view name (a column of the rows)
    calibration : the same people re-recorded session by session through random loggers (see the module docs);
        without it the session threshold is set on the people as logged
    k : movements per session
    target_fpr : share of people flagged at each threshold

    Returns
    -------
    list of dict
        One row per logger: movement FPR with a 95% Wilson interval and its threshold, session FPR (and its
        interval) at the multi-logger session threshold, and at the one-logger (as logged) session threshold.
    """
    from deval.sessions import fuse_sessions, session_windows

    q = 1.0 - target_fpr
    threshold = float(np.quantile(human_scores, q))
    logged_sessions = fuse_sessions(human_scores, session_windows(people.meta, k))
    one_logger = float(np.quantile(logged_sessions, q)) if len(logged_sessions) else float("nan")
    pool = [logged_sessions]
    if calibration is not None:
        pool.append(session_scores(det, calibration, k))
    pooled = np.concatenate(pool)
    session_threshold = float(np.quantile(pooled, q)) if len(pooled) else float("nan")
    as_logged = float(np.mean(logged_sessions > session_threshold)) if len(logged_sessions) else float("nan")
    rows = []
    for name, relog in relogged.items():
        scores = det.decision_prepared(det.prepare(relog))
        fpr, lo, hi = _share(scores > threshold)
        sessions = session_scores(det, relog, k, scores)
        s_fpr, s_lo, s_hi = _share(sessions > session_threshold)
        rows.append({"view": vname, "logger": name, "n": len(scores), "fpr": fpr, "fpr_lo": lo, "fpr_hi": hi,
                     "threshold": threshold, "in_domain_fpr": target_fpr, "k": k, "n_sessions": len(sessions),
                     "session_fpr": s_fpr, "session_fpr_lo": s_lo, "session_fpr_hi": s_hi,
                     "session_threshold": session_threshold,
                     "session_fpr_as_logged": as_logged,
                     "session_fpr_one_logger_threshold": float(np.mean(sessions > one_logger))
                     if len(sessions) else float("nan")})
    return rows
