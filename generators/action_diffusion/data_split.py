"""Training and validation sequences of an ``action-diffusion`` run: the data's own split, else a seeded one.

``data.val_split``:

``auto``    (default) when the sequences carry a ``split`` column (folders of
            ``*_actions.npy`` under ``train/`` and ``val/``, see
            :mod:`deval.io.actions`) with both ``train`` and ``validation``
            rows, those are the training and validation sets; otherwise as ``random``
``random``  a seeded random ``data.val_fraction`` of the sequences is held out
``user``    whole users are held out (:func:`~deval.generators.learned.split.train_val_split`)

Sequences of the ``test`` split are never used. ``data.max_train`` keeps at
most that many training sequences (drawn with ``numpy`` seed ``seed``).
"""

from __future__ import annotations

import logging

import numpy as np

from deval.errors import DataError
from deval.generators.learned.split import train_val_split
from deval.trajectories import Trajectories

__all__ = ["split_actions"]

log = logging.getLogger(__name__)


def split_actions(data: Trajectories, cfg) -> tuple[Trajectories, Trajectories, dict]:
    """``(train, validation, record)`` for ``split.json`` (see the module docstring).

    Raises
    ------
    DataError
        Invalid sequences, or fewer than 2 training / 1 validation sequences.
    """
    data = data.validate(min_points=2)
    d = cfg.data
    split = data.meta["split"].astype(str).to_numpy() if "split" in data.meta.columns else np.full(len(data), "")
    if d.val_split == "auto" and (split == "train").any() and (split == "validation").any():
        train_idx, val_idx = np.flatnonzero(split == "train"), np.flatnonzero(split == "validation")
        record = {"how": "data", "n_train": int(len(train_idx)), "n_val": int(len(val_idx))}
    else:
        how = "random" if d.val_split == "auto" else d.val_split
        if d.val_split == "auto":
            log.info("no train/validation split in the data: holding out a random %.0f%% of the sequences",
                     100 * d.val_fraction)
        pool = np.flatnonzero(split != "test")
        tr, va, record = train_val_split(data.take(pool), how, d.val_fraction, cfg.seed)
        train_idx, val_idx = pool[tr], pool[va]
    record["n_unused_test"] = int((split == "test").sum())
    if d.max_train and len(train_idx) > d.max_train:
        rng = np.random.default_rng(cfg.seed)
        train_idx = np.sort(rng.choice(train_idx, d.max_train, replace=False))
        record["n_train_used"] = int(len(train_idx))
    if len(train_idx) < 2 or len(val_idx) < 1:
        raise DataError(None, f"too few sequences to train on ({len(train_idx)} training, {len(val_idx)} validation)")
    return data.take(train_idx), data.take(val_idx), record
