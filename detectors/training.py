"""Train one detector on human movements against bot movements: the library call behind ``deval train-detector``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from deval.detectors.evaluation import style_sets, training_weights
from deval.detectors.registry import make_detector
from deval.detectors.views import parse_view
from deval.trajectories import Trajectories

__all__ = ["TrainedDetector", "train_detector"]


@dataclass
class TrainedDetector:
    """A fitted detector and what it was trained on.

    Attributes
    ----------
    detector : TrajectoryDetector
    n_real : int
    n_bot : dict of style -> int
    training_roc_auc : float or None
        ROC-AUC on its own training movements (informative only; None when it
        could not be computed).
    augment_loggers : int
        Random loggers each training movement was also seen through.
    """

    detector: object
    n_real: int
    n_bot: dict = field(default_factory=dict)
    training_roc_auc: float | None = None
    augment_loggers: int = 0


def train_detector(
    real: Trajectories,
    negatives: "Trajectories | Mapping[str, Trajectories] | Sequence[Trajectories]",
    *,
    head: str = "hgb",
    view: str = "logger-robust",
    resample_hz: float = 60.0,
    jitter: float = 0.1,
    augment_loggers: int = 0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    **head_params,
) -> TrainedDetector:
    """Fit a detector head: ``real`` (label 0) against ``negatives`` (label 1).

    Humans and bots carry equal total weight, and every bot style an equal
    share (:func:`~deval.detectors.evaluation.training_weights`).

    Parameters
    ----------
    real : Trajectories
        Human movements.
    negatives : Trajectories, mapping or sequence of them
        Bot movements; styles from the mapping keys or the ``style`` column.
    head : str
        ``hgb``, ``logistic``, ``cnn``, ``gru``.
    view : str
        ``raw``, ``resampled``, ``<rate>hz`` or ``logger-robust``.
    resample_hz, jitter : float
        Rate and jitter of the resampled views.
    augment_loggers : int
        With K > 0, every movement is also trained on re-recorded by one of K
        random loggers (:func:`deval.loggers.draw_loggers`), so that a
        logger's clock is not a cue.
    seed : int
        Seeds the view jitter, the augmentation and the head.
    progress : callable, optional
        Called with a message after each step (and each epoch of torch heads).
    **head_params
        Extra constructor parameters of the head.
    """
    step = progress or (lambda msg: None)
    v = parse_view(view, rate_hz=resample_hz, jitter=jitter, seed=seed)
    det = make_detector(head, view=v.kind, resample_hz=v.rate_hz, jitter=v.jitter, seed=seed, **head_params)
    bots = style_sets(negatives, "negatives")
    data = Trajectories.concat([real.with_meta(label=0, style="human"), *bots.values()])
    y = data.label
    w = training_weights(y, data.style.astype(str))
    if augment_loggers:
        from deval.loggers import draw_loggers, relog_each

        loggers = draw_loggers(augment_loggers, np.random.default_rng(seed + 7))
        data = Trajectories.concat([data, relog_each(data, loggers, seed + 7)])
        y, w = np.concatenate([y, y]), np.concatenate([w, w]) / 2.0
        step(f"re-recorded {len(y) // 2} movements through {augment_loggers} random loggers")
    inputs = det.prepare(data)
    step(f"prepared {len(data)} movements ({v.name})")
    det.fit_prepared(inputs, y, w, progress=progress if int(getattr(det, "epochs", 0) or 0) else None)
    auc = None
    try:
        from deval.detectors.metrics import roc_auc

        auc = float(roc_auc(y, det.decision_prepared(inputs)))
    except Exception:  # noqa: BLE001 - the training AUC is informative only
        pass
    return TrainedDetector(det, len(real), {s: len(t) for s, t in bots.items()}, auc, int(augment_loggers))
