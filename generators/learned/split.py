"""Train/validation split of real movements: by person (default) or by movement."""

from __future__ import annotations

import logging
import math

import numpy as np

from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)


def train_val_split(traj: Trajectories, how: str = "user", fraction: float = 0.15, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Indices of the training and validation movements, and a record of the split.

    Parameters
    ----------
    traj : Trajectories
        All real movements.
    how : {"user", "random"}
        ``"user"`` holds out ``ceil(fraction * n_users)`` whole people (no
        person on both sides); ``"random"`` holds out a fraction of movements.
        Without user ids (all -1) ``"user"`` falls back to ``"random"`` with a
        warning.
    fraction : float
        Held-out share, in (0, 1).
    seed : int
        Seed of the draw.

    Returns
    -------
    train_idx, val_idx : int arrays
    info : dict
        ``how`` (as applied), ``fraction``, ``seed``, sizes and, by user, the
        held-out ``val_users``.
    """
    if how not in ("user", "random"):
        raise ConfigError(f"val split must be 'user' or 'random', got {how!r}")
    if not 0 < fraction < 1:
        raise ConfigError(f"validation fraction must be in (0, 1), got {fraction}")
    n = len(traj)
    if n < 4:
        raise DataError(None, f"need at least 4 movements to split into training and validation, got {n}")
    rng = np.random.default_rng(seed)
    info: dict = {"how": how, "fraction": float(fraction), "seed": int(seed)}
    users = np.unique(traj.user[traj.user >= 0])
    if how == "user" and len(users) < 2:
        log.warning("no user ids (or a single user): validation split falls back to random movements")
        how = info["how"] = "random"
    if how == "user":
        k = min(max(1, math.ceil(fraction * len(users))), len(users) - 1)
        val_users = np.sort(rng.choice(users, size=k, replace=False))
        is_val = np.isin(traj.user, val_users)
        info["val_users"] = [int(u) for u in val_users]
        info["n_users_train"] = int(len(users) - k)
        info["n_users_val"] = int(k)
    else:
        k = min(max(1, math.ceil(fraction * n)), n - 1)
        is_val = np.zeros(n, dtype=bool)
        is_val[rng.choice(n, size=k, replace=False)] = True
    train_idx, val_idx = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    info["n_train"], info["n_val"] = int(len(train_idx)), int(len(val_idx))
    return train_idx, val_idx, info
