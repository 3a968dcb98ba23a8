"""``score_movements``: the library call behind ``deval score`` (one verdict per movement, session or user)."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import pandas as pd
from scipy.special import expit

from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

POOL_LEVELS = ("movement", "session", "user")


def score_movements(detector, traj: "Trajectories | Iterable[Trajectories]", *, chunk: int = 4096, timing=None,
                    by: str = "movement", runner=None, progress: Callable[[str], None] | None = None,
                    source: str = "input") -> pd.DataFrame:
    """Score every movement of ``traj`` with a fitted detector.

    Parameters
    ----------
    detector : fitted detector (:func:`deval.detectors.load_detector`)
    traj : Trajectories (N movements), or an iterable of chunks of them read lazily
        (:func:`deval.io.streaming.iter_trajectories`: a parts folder one part at a time)
    chunk : movements scored at a time (the scores do not depend on it)
    timing : optional second detector trained on the raw view; its verdict on the logger's timing alone
        goes in ``timing_p_bot`` / ``timing_log_odds`` / ``timing_flag``
    by : ``movement`` (one row each), or ``session`` / ``user``: one row per group, whose decision is the
        mean log-odds of its movements (:func:`pool_scores`)
    runner : a :class:`deval.distributed.ShardRunner` that scores the chunks (here, or on Dask workers)
    progress : called with ``"done/total"`` (or ``"done"`` for a lazy source) after each chunk
    source : the input's name for error messages

    Returns
    -------
    DataFrame: ``index`` (row in the input), ``p_bot``, ``log_odds``, ``predicted_bot`` (log-odds >= 0, or >= the
    detector's calibrated threshold of this level, then given in a ``threshold`` column: :func:`decide`),
    the timing columns when ``timing`` is given, then the metadata; pooled as :func:`pool_scores` for ``by``.
    """
    from deval.distributed import ShardRunner
    from deval.io.streaming import chunks_of

    if by not in POOL_LEVELS:
        raise ConfigError(f"by must be one of {', '.join(POOL_LEVELS)}, not {by!r}")
    if timing is not None and timing.get_view().kind != "raw":
        raise ConfigError(f"the timing check must be trained on the raw view (train-detector --view raw), "
                          f"not {timing.get_view().name}")
    total = len(traj) if isinstance(traj, Trajectories) else None
    frames, done = [], 0
    for frame in (runner or ShardRunner()).run_frames(_score_frame, chunks_of(traj, chunk), detector, timing):
        frames.append(frame)
        done += len(frame)
        if progress is not None:
            progress(f"{done}/{total}" if total is not None else f"{done}")
    if not frames:
        frames = [_score_frame(Trajectories.empty(), detector, timing)]
        frames[0].insert(0, "index", np.zeros(0, dtype=np.int64))
    frame = pd.concat(frames, ignore_index=True)
    return decide(frame if by == "movement" else pool_scores(frame, by, source), detector, by)


def decide(frame: pd.DataFrame, detector, by: str) -> pd.DataFrame:
    """``predicted_bot`` at the detector's calibrated threshold of level ``by`` (``deval calibrate``), with a
    ``threshold`` column; unchanged (log-odds >= 0) for a detector without one."""
    thresholds = getattr(detector, "thresholds_", None)
    threshold = thresholds.for_level(by) if thresholds is not None else None
    if threshold is None:
        return frame
    out = frame.copy()
    out["predicted_bot"] = (out["log_odds"].to_numpy() >= threshold).astype(np.int64)
    out.insert(out.columns.get_loc("predicted_bot") + 1, "threshold", float(threshold))
    return out


def _score_frame(chunk: Trajectories, det, timing) -> pd.DataFrame:
    """Scores and metadata of one chunk of movements (a score shard; runs here or on a Dask worker)."""
    logit = det.decision_function(chunk) if len(chunk) else np.zeros(0)
    frame = pd.DataFrame({"p_bot": expit(logit), "log_odds": logit, "predicted_bot": (logit >= 0).astype(np.int64)})
    if timing is not None:
        t_logit = timing.decision_function(chunk) if len(chunk) else np.zeros(0)
        frame["timing_p_bot"] = expit(t_logit)
        frame["timing_log_odds"] = t_logit
        frame["timing_flag"] = (t_logit >= 0).astype(np.int64)
    return pd.concat([frame, chunk.meta.reset_index(drop=True)], axis=1)


def pool_scores(frame: pd.DataFrame, by: str, source: str = "input") -> pd.DataFrame:
    """One row per session or user of a per-movement score frame: movements, the mean log-odds (the fused
    decision), its p_bot and predicted_bot, the min and max log-odds and the first movement's index."""
    key = frame[by].astype(str)
    if by == "user" and (frame["user"] < 0).all() or by == "session" and (key == "").all():
        raise DataError(source, f"no {by} ids: cannot pool scores by {by} (give --by movement)")
    timed = "timing_log_odds" in frame
    extra = {"timing_log_odds": ("timing_log_odds", "mean")} if timed else {}
    pooled = frame.assign(key=key).groupby("key", sort=False).agg(
        movements=("log_odds", "size"), log_odds=("log_odds", "mean"), min_log_odds=("log_odds", "min"),
        max_log_odds=("log_odds", "max"), first_index=("index", "min"), **extra)
    pooled = pooled.reset_index().rename(columns={"key": by})
    pooled["p_bot"] = expit(pooled["log_odds"].to_numpy())
    pooled["predicted_bot"] = (pooled["log_odds"].to_numpy() >= 0).astype(np.int64)
    columns = [by, "movements", "p_bot", "log_odds", "predicted_bot", "min_log_odds", "max_log_odds", "first_index"]
    if timed:  # the timing check, pooled the same way
        t = pooled["timing_log_odds"].to_numpy()
        pooled["timing_p_bot"] = expit(t)
        pooled["timing_flag"] = (t >= 0).astype(np.int64)
        columns += ["timing_p_bot", "timing_log_odds", "timing_flag"]
    return pooled[columns]
