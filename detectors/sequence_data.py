"""Inputs of the sequence heads: canonical movements, padded to normalised step arrays per batch.

A :class:`DeltaBatch` keeps the canonical movements (:func:`deval.canonical.canonicalize`)
in their ragged layout and pads only the movements a mini-batch needs, with
:func:`deval.canonical.to_deltas` (steps ``dx, dy, dt``) and a fitted
:class:`deval.canonical.Normalizer`, so that a large set never has to exist as
one ``[N, max_len, 3]`` array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deval.canonical import Normalizer, canonicalize, to_deltas
from deval.errors import DataError
from deval.trajectories import Trajectories

__all__ = ["DeltaBatch", "flat_steps"]


def flat_steps(traj: Trajectories) -> np.ndarray:
    """Every step ``(dx, dy, dt)`` of every movement, concatenated, (S, 3) float64.

    The same steps as :func:`deval.canonical.to_deltas` without padding or
    truncation (used to fit a :class:`~deval.canonical.Normalizer`).
    """
    if traj.n_points < 2:
        return np.zeros((0, 3))
    d = np.stack([np.diff(traj.x), np.diff(traj.y), np.diff(traj.t)], axis=1)
    keep = np.ones(len(d), dtype=bool)
    inner_starts = traj.offsets[1:-1]
    keep[inner_starts[(inner_starts > 0) & (inner_starts <= len(d))] - 1] = False
    return d[keep]


@dataclass(frozen=True, eq=False)
class DeltaBatch:
    """Canonical movements, indexable like an array, padded on demand.

    Attributes
    ----------
    canon : Trajectories
        Canonical movements (start at the origin, net displacement along +x).
    """

    canon: Trajectories

    @classmethod
    def from_trajectories(cls, traj: Trajectories) -> "DeltaBatch":
        """Canonicalise ``traj`` (metadata dropped); every movement needs at least 2 points."""
        short = np.flatnonzero(traj.lengths < 2)
        if short.size:
            raise DataError("<X>", f"movement {short[0]} has {traj.lengths[short[0]]} point(s); "
                                   "sequence heads need at least 2")
        bare = Trajectories(traj.x, traj.y, traj.t, traj.offsets)
        return cls(canonicalize(bare)[0])

    def __len__(self) -> int:
        return len(self.canon)

    def __getitem__(self, idx) -> "DeltaBatch":
        idx = np.arange(len(self))[idx] if isinstance(idx, slice) else np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return DeltaBatch(self.canon.take(idx.astype(np.int64)))

    @property
    def n_steps(self) -> np.ndarray:
        """Steps per movement, (N,) int64."""
        return self.canon.lengths - 1

    def steps(self) -> np.ndarray:
        """All steps, (S, 3) float64 (for fitting a normaliser)."""
        return flat_steps(self.canon)

    def padded(self, idx: np.ndarray, max_len: int, normalizer: Normalizer) -> tuple[np.ndarray, np.ndarray]:
        """Normalised steps of movements ``idx``: ``(values float32 (B, T, 3), mask bool (B, T))``.

        ``T`` is the longest selected movement's step count, capped at ``max_len``
        (longer movements keep their first ``max_len`` steps).
        """
        idx = np.asarray(idx, dtype=np.int64)
        sub = self.canon.take(idx)
        t = int(min(max_len, max(int(sub.lengths.max(initial=2)) - 1, 1)))
        values, mask = to_deltas(sub, t)
        return normalizer.transform(values, mask).astype(np.float32), mask
