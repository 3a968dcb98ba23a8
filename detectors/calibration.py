"""Thresholds calibrated to a site: set from the site's own unlabelled traffic (``deval calibrate``).

A detector's log-odds are learned on one reference of people; a site's people
(their devices, loggers, habits) score a little differently, and pooling a
session's movements turns a small per-movement shift into many flagged
sessions. :func:`calibrate` scores a sample of the site's own traffic and sets,
per level (movement, session, user, as ``deval score --by`` pools them), the
threshold that flags ``target_fpr`` of its people, tolerating a stated share
of bots in the traffic (:func:`robust_quantile`). :func:`save_thresholds`
stores them in the detector's ``detector.json``; :func:`deval.detectors.load_detector`
reads them back (``det.thresholds_``) and ``score`` decides with them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from deval.atomic import write_text
from deval.errors import CheckpointError, ConfigError, DataError, OutputExistsError
from deval.trajectories import Trajectories

__all__ = ["Thresholds", "robust_quantile", "calibrate", "save_thresholds"]


@dataclass(frozen=True)
class Thresholds:
    """Log-odds thresholds per level (None: the traffic had no ids of that level), and how they were set."""

    movement: float
    session: float | None
    user: float | None
    target_fpr: float
    bot_share: float
    n_movements: int
    n_sessions: int
    n_users: int
    source: str = "traffic"

    def for_level(self, by: str) -> float | None:
        """The threshold of ``movement``, ``session`` or ``user`` scores."""
        return {"movement": self.movement, "session": self.session, "user": self.user}[by]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Thresholds":
        try:
            return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
        except TypeError as exc:
            raise CheckpointError(f"invalid thresholds record ({exc})") from None


def robust_quantile(scores: np.ndarray, target_fpr: float, bot_share: float) -> float:
    """The score that flags ``target_fpr`` of the people in traffic holding up to ``bot_share`` bots.

    If the bots are among the highest scores, flagging ``target_fpr * (1 - bot_share) + bot_share`` of the
    traffic flags ``target_fpr`` of its people; bots scoring lower only make the threshold stricter for people.
    """
    scores = np.asarray(scores, dtype=np.float64)
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        raise DataError(None, "no scores to calibrate on")
    flagged = target_fpr * (1.0 - bot_share) + bot_share
    return float(np.quantile(scores, 1.0 - flagged))


def calibrate(detector, traffic: Trajectories, *, target_fpr: float = 0.01, bot_share: float = 0.02,
              min_movements: int = 200, source: str = "traffic") -> Thresholds:
    """Thresholds of ``detector`` from unlabelled ``traffic`` (see the module docs).

    Parameters
    ----------
    detector : fitted detector
    traffic : Trajectories
        A sample of the site's movements (at least ``min_movements``); ``session`` / ``user`` metadata give
        the session and user thresholds (scores pooled as :func:`deval.detectors.scoring.pool_scores`).
    target_fpr : float
        Share of people to flag, in (0, 0.5).
    bot_share : float
        Share of bots the traffic may hold, in [0, 0.5).
    """
    from deval.detectors.scoring import pool_scores, score_movements

    if not 0.0 < target_fpr < 0.5:
        raise ConfigError(f"target_fpr must be in (0, 0.5), got {target_fpr}")
    if not 0.0 <= bot_share < 0.5:
        raise ConfigError(f"bot_share must be in [0, 0.5), got {bot_share}")
    if len(traffic) < min_movements:
        raise DataError(source, f"{len(traffic)} movements are too few to calibrate on (at least {min_movements})")
    frame = score_movements(detector, traffic, source=source)
    levels: dict[str, tuple[float | None, int]] = {}
    for by in ("session", "user"):
        has = by in frame and (frame[by].astype(str) != "").any() and not (by == "user" and (frame[by] < 0).all())
        if has:
            pooled = pool_scores(frame, by, source)
            levels[by] = (robust_quantile(pooled["log_odds"], target_fpr, bot_share), len(pooled))
        else:
            levels[by] = (None, 0)
    return Thresholds(robust_quantile(frame["log_odds"], target_fpr, bot_share), levels["session"][0],
                      levels["user"][0], float(target_fpr), float(bot_share), len(frame), levels["session"][1],
                      levels["user"][1], source)


def save_thresholds(detector_dir: str | os.PathLike, thresholds: Thresholds, *, force: bool = False) -> Path:
    """Store ``thresholds`` in the detector's ``detector.json`` (atomically); refuses to replace earlier ones
    without ``force``."""
    from deval.detectors.persistence import read_detector_info

    path = Path(detector_dir)
    path = path / "detector.json" if path.is_dir() else path
    record = read_detector_info(path)
    if record.get("thresholds") and not force:
        raise OutputExistsError(path, "already holds calibrated thresholds (use --force to replace them)")
    record["thresholds"] = thresholds.to_dict()
    return write_text(path, json.dumps(record, indent=2), force=True)
