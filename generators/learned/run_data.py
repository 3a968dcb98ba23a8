"""The movements of a training run: validation split, training subset, movements a model can learn from."""

from __future__ import annotations

import logging

import numpy as np

from deval.errors import DataError
from deval.generators.diffusion.representation import MovementEncoder
from deval.trajectories import Trajectories

from .split import train_val_split

__all__ = ["split_for_training", "build_encoder"]

log = logging.getLogger(__name__)


def split_for_training(data: Trajectories, cfg) -> tuple[Trajectories, Trajectories, dict]:
    """Training and validation movements of a run, and the record written to ``split.json``.

    The split follows ``cfg.data.val_split`` / ``val_fraction`` with seed
    ``cfg.data.split_seed`` (``cfg.seed`` when it is -1) (:func:`~.split.train_val_split`: whole users by default); at
    most ``cfg.data.max_train`` training movements are kept (drawn with
    ``numpy.random.default_rng(cfg.seed)``, recorded as ``n_train_used``);
    movements without a net displacement are dropped from both sides (they have
    no direction to condition on).

    Raises
    ------
    DataError
        Invalid movements, or fewer than 2 training / 1 validation movements left.
    """
    data = data.validate(min_points=2)
    split_seed = cfg.seed if getattr(cfg.data, "split_seed", -1) < 0 else cfg.data.split_seed
    train_idx, val_idx, split = train_val_split(data, cfg.data.val_split, cfg.data.val_fraction, split_seed)
    rng = np.random.default_rng(cfg.seed)
    if cfg.data.max_train and len(train_idx) > cfg.data.max_train:
        train_idx = np.sort(rng.choice(train_idx, cfg.data.max_train, replace=False))
        split["n_train_used"] = int(len(train_idx))
    train, val = data.take(train_idx), data.take(val_idx)
    keep = train.endpoints().distance > 0
    if not keep.all():
        log.warning("dropping %d training movements with zero displacement", int((~keep).sum()))
        train = train[keep]
    val = val[val.endpoints().distance > 0]
    if len(train) < 2 or len(val) < 1:
        raise DataError(None, "too few movements with a net displacement to train on")
    return train, val, split


def build_encoder(cfg) -> MovementEncoder:
    """The (unfitted) :class:`MovementEncoder` described by ``cfg.data`` (a :class:`~.movement_config.DataConfig`)."""
    d = cfg.data
    return MovementEncoder(d.max_len, d.features, d.spatial_scale, d.dt_transform, d.use_duration, d.quantize_output,
                           d.moving_channel)
