"""Index arithmetic for ragged (CSR) point arrays built by generators.

Generators build all movements at once as flat point arrays: a movement-level
value is broadcast to its points with ``value[index.seg]``, and running sums
restart at each movement with :meth:`RaggedIndex.cumsum`. This keeps the hot
path free of per-movement Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RaggedIndex"]


@dataclass(frozen=True, eq=False)
class RaggedIndex:
    """Where each point of a ragged batch sits.

    Attributes
    ----------
    lengths : ndarray, int64, (N,)
        Points per movement.
    offsets : ndarray, int64, (N+1,)
        CSR offsets.
    seg : ndarray, int64, (P,)
        Movement of each point.
    pos : ndarray, int64, (P,)
        Position of each point within its movement (0 for the first point).
    """

    lengths: np.ndarray
    offsets: np.ndarray
    seg: np.ndarray
    pos: np.ndarray

    @classmethod
    def from_lengths(cls, lengths: np.ndarray) -> "RaggedIndex":
        """Build from the number of points of each movement (int, (N,))."""
        lengths = np.asarray(lengths, dtype=np.int64)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        seg = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        pos = np.arange(offsets[-1], dtype=np.int64) - offsets[:-1][seg]
        return cls(lengths, offsets, seg, pos)

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def n_points(self) -> int:
        """Total number of points P."""
        return int(self.offsets[-1])

    @property
    def first(self) -> np.ndarray:
        """Flat index of each movement's first point, (N,)."""
        return self.offsets[:-1]

    @property
    def last(self) -> np.ndarray:
        """Flat index of each movement's last point, (N,) (movements must be non-empty)."""
        return self.offsets[1:] - 1

    def is_last(self) -> np.ndarray:
        """Boolean (P,): the point is the last of its movement."""
        return self.pos == self.lengths[self.seg] - 1

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Running sum of ``values`` (P,) or (P, K) that restarts at every movement (inclusive).

        Implemented as one global cumulative sum minus each movement's offset,
        so it costs two passes over the points.
        """
        values = np.asarray(values, dtype=np.float64)
        c = np.cumsum(values, axis=0)
        before = np.concatenate([np.zeros((1,) + values.shape[1:]), c])[self.offsets[:-1]]
        return c - before[self.seg]

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (P,) per movement, (N,)."""
        return np.bincount(self.seg, weights=values, minlength=len(self))

    def select(self, keep: np.ndarray) -> "RaggedIndex":
        """The index of the points where ``keep`` (bool, (P,)) is true."""
        return RaggedIndex.from_lengths(np.bincount(self.seg[keep], minlength=len(self)))
