"""Sessions: consecutive movements of one visitor, cut into windows of ``k`` (the unit detectors decide on).

:func:`session_windows` numbers windows of ``k`` consecutive movements of one
session; :func:`fuse_sessions` pools scores over them (mean log-odds), and
:mod:`deval.session_realism` pools features over them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["session_windows", "fuse_sessions"]


def session_windows(meta: pd.DataFrame, k: int, fallback_order: bool = True) -> np.ndarray:
    """Window id (or -1) of every movement: ``k`` consecutive movements of one session.

    Movements are grouped by ``session`` (empty sessions: one group of all
    such movements in the given order, when ``fallback_order``), ordered by
    ``t_start`` when present (else their position), and cut into
    non-overlapping windows of ``k``; the incomplete last window of a session
    is dropped (-1).
    """
    n = len(meta)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    session = meta["session"].astype(str).to_numpy() if "session" in meta else np.full(n, "", object)
    if not fallback_order:
        session = np.where(session == "", None, session)
    order_key = meta["t_start"].to_numpy(dtype=np.float64) if "t_start" in meta else np.full(n, np.nan)
    if np.isnan(order_key).any():  # no (complete) start times: keep the given order
        order_key = np.arange(n, dtype=np.float64)
    codes, _ = pd.factorize(session, use_na_sentinel=True)
    order = np.lexsort((np.arange(n), order_key, codes))
    sorted_codes = codes[order]
    rank = pd.Series(sorted_codes).groupby(sorted_codes).cumcount().to_numpy()
    sizes = np.bincount(np.maximum(sorted_codes, 0), minlength=max(int(codes.max(initial=-1)) + 1, 1))
    full = (rank // k) < (sizes[np.maximum(sorted_codes, 0)] // k)
    win = np.where(full & (sorted_codes >= 0), sorted_codes.astype(np.int64) * (n + 1) + rank // k, -1)
    out = np.full(n, -1, dtype=np.int64)
    out[order] = win
    valid = out >= 0
    out[valid] = pd.factorize(out[valid])[0]
    return out


def fuse_sessions(scores: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Mean log-odds of every window (``windows`` from :func:`session_windows`), (W,)."""
    valid = windows >= 0
    w = windows[valid]
    n_win = int(w.max(initial=-1)) + 1
    sums = np.bincount(w, weights=np.asarray(scores, dtype=np.float64)[valid], minlength=n_win)
    counts = np.bincount(w, minlength=n_win)
    return sums / np.maximum(counts, 1)
