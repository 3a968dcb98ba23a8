"""``feature_table``: the features of a large set, chunk by chunk (the library call behind ``deval features``)."""

from __future__ import annotations

from typing import Iterable, Iterator

import pandas as pd

from deval.trajectories import Trajectories

__all__ = ["feature_table"]


def feature_table(source: Trajectories | Iterable[Trajectories], *, groups=None, spectral: bool = True,
                  rate_hz: float | None = None, chunk: int = 20_000, runner=None) -> Iterator[pd.DataFrame]:
    """One frame per chunk of movements: ``index`` (the movement's row in the whole input), its metadata
    columns, then its features (:func:`deval.features.extract_features`, ``groups`` / ``spectral`` /
    ``rate_hz`` as there).

    Parameters
    ----------
    source : Trajectories, or an iterable of them (:func:`deval.io.streaming.iter_trajectories`)
        Read lazily: only the chunks in flight are in memory.
    chunk : movements per frame at most (the source is cut into pieces of this size)
    runner : a :class:`deval.distributed.ShardRunner` (here, or on Dask workers); the frames are the same

    Yields
    ------
    DataFrame with ``len(chunk)`` rows, in input order; features as :func:`extract_features` returns them
    (the same numbers as for the whole set at once: every feature is per movement).
    """
    from deval.distributed import ShardRunner
    from deval.io.streaming import chunks_of

    yield from (runner or ShardRunner()).run_frames(_frame, chunks_of(source, chunk), groups, spectral, rate_hz)


def _frame(chunk: Trajectories, groups, spectral: bool, rate_hz: float | None) -> pd.DataFrame:
    """Metadata and features of one chunk (runs here or on a Dask worker)."""
    from deval.features import extract_features

    kw = {} if rate_hz is None else {"rate_hz": rate_hz}
    feats = extract_features(chunk, groups=groups, spectral=spectral, n_threads=1, **kw)
    return pd.concat([chunk.meta.reset_index(drop=True), feats], axis=1)
