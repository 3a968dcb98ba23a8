"""Read a trajectory file in chunks: a parts folder one part at a time, so memory stays bounded.

:func:`iter_trajectories` yields :class:`~deval.trajectories.Trajectories` of at most ``chunk`` movements,
in file order, each read and checked as :func:`~deval.io.load_trajectories` reads a file. A parts folder
(``deval generate-negatives --out DIR/``) is streamed: only one part is in memory at a time. Any other file
is read whole (its format has no random access) and cut into chunks, so what follows it (features,
scores) still works chunk by chunk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

__all__ = ["chunks_of", "count_movements", "iter_trajectories", "load_subsample"]


def iter_trajectories(path: str | os.PathLike, format: str | None = None, *, chunk: int = 20_000,
                      **options: Any) -> Iterator[Trajectories]:
    """Movements of ``path`` in chunks of at most ``chunk``, in order (options as :func:`load_trajectories`)."""
    from deval.io import detect_format, load_trajectories
    from deval.io.parts import meta_columns, read_manifest

    if int(chunk) < 1:
        raise ConfigError(f"chunk must be >= 1, got {chunk}")
    p = Path(path)
    fmt = format or (detect_format(p) if p.exists() else None)
    if fmt == "parts":
        manifest = read_manifest(p)  # the manifest and every part are there, before any work
        columns = meta_columns(manifest)
        for part in manifest.files:
            traj = load_trajectories(part, "npz", **options)
            # every chunk has the whole folder's metadata columns (a part without one: missing values)
            meta = traj.meta.reindex(columns=columns)
            yield from chunks_of(Trajectories(traj.x, traj.y, traj.t, traj.offsets, traj.press, meta, traj.attrs),
                                 chunk)
    else:
        yield from chunks_of(load_trajectories(p, fmt, **options), chunk)


def chunks_of(source: "Trajectories | Iterable[Trajectories]", chunk: int) -> Iterator[Trajectories]:
    """``source`` (one set, or sets read lazily) cut into consecutive pieces of at most ``chunk`` movements."""
    for traj in [source] if isinstance(source, Trajectories) else source:
        for start in range(0, len(traj), chunk):
            yield traj[start:start + chunk]


def count_movements(path: str | os.PathLike, format: str | None = None) -> int | None:
    """Movements in ``path`` without reading them, when the file says (a parts manifest); else None."""
    from deval.io import detect_format
    from deval.io.parts import read_manifest

    p = Path(path)
    if (format or detect_format(p)) != "parts":
        return None
    try:
        return read_manifest(p).movements
    except DataError:  # reading the folder says what is wrong with it
        return None


def load_subsample(path: str | os.PathLike, format: str | None = None, *, n: int | None, seed: int | None = 0,
                   **options: Any) -> Trajectories:
    """``load_trajectories(path).subsample(n, seed)``, the same movements, without holding the whole file when it is
    a parts folder: the rows are drawn from the manifest's count and taken part by part."""
    import numpy as np

    from deval.io import detect_format, load_trajectories
    from deval.io.parts import read_manifest

    p = Path(path)
    fmt = format or detect_format(p)
    manifest = read_manifest(p) if fmt == "parts" else None
    total = manifest.movements if manifest is not None else None
    if n is None or total is None or n >= total:
        traj = load_trajectories(p, fmt, **options)
        return traj if n is None else traj.subsample(n, seed=seed)
    rows = np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))  # as Trajectories.subsample
    picked, start = [], 0
    for part in manifest.files:
        traj = load_trajectories(part, "npz", **options)
        lo, hi = np.searchsorted(rows, [start, start + len(traj)])
        if hi > lo:
            picked.append(traj.take(rows[lo:hi] - start))
        start += len(traj)
    if start != total:
        raise DataError(p, f"the manifest lists {total} movements, the parts hold {start}")
    return Trajectories.concat(picked)
