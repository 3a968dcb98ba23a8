"""Flat action arrays: ``[N * seq_len, 3]`` rows of ``x, y, press`` in a ``.npy``.

This is how many GAN / imitation-learning harnesses store their output
(``*_actions.npy``): fixed-length sequences stacked on top of each other, one
row per time step, no timestamps. Rows ``i*seq_len .. (i+1)*seq_len - 1`` are
movement ``i``; steps are ``1 / rate_hz`` seconds apart. A ``[M, 2]`` array
(``x, y`` without press) is read too.

``seq_len`` comes from the ``seq_len=`` option or, failing that, from a sibling
JSON file with a ``seq_len`` (or ``sequence_length``, ``seq_length``) key:
``<stem>.json``, ``<stem>_meta.json``, ``<stem>_metadata.json``, and for
``<name>_actions.npy`` also ``<name>.json``, ``<name>_meta.json``,
``<name>_metadata.json``, then ``metadata.json`` in the same folder. The same
file may give ``rate_hz`` and ``screen`` (``[width, height]``).

Coordinates normalised to ``[0, 1]`` are scaled to pixels with
``screen=(width, height)``; without it the values are kept as they are.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from deval.errors import DataError
from deval.io.padded import read_npy
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

SEQ_LEN_KEYS = ("seq_len", "sequence_length", "seq_length")


def sidecar_candidates(path: Path) -> list[Path]:
    """JSON files that may describe ``path`` (in the order they are tried)."""
    stems = [path.stem]
    if path.stem.endswith("_actions"):
        stems.append(path.stem[: -len("_actions")])
    names = [f"{s}{suffix}.json" for s in stems for suffix in ("", "_meta", "_metadata")]
    return [path.with_name(n) for n in names] + [path.with_name("metadata.json")]


def _read_sidecar(path: Path) -> tuple[Path | None, dict[str, Any]]:
    for cand in sidecar_candidates(path):
        if not cand.is_file():
            continue
        try:
            data = json.loads(cand.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(cand, f"unreadable metadata JSON ({exc})") from None
        if isinstance(data, dict):
            return cand, data
    return None, {}


def parse_screen(screen: Any, source: str | os.PathLike) -> tuple[float, float]:
    """``(width, height)`` in pixels from a pair, ``"1920x1080"`` or ``"1920,1080"``."""
    if isinstance(screen, str):
        parts = re.split(r"[x,X* ]+", screen.strip())
    else:
        parts = list(screen) if isinstance(screen, (Sequence, np.ndarray)) else [screen]
    try:
        w, h = (float(v) for v in parts)
    except (TypeError, ValueError):
        raise DataError(source, f"screen must be (width, height), e.g. 1920x1080; got {screen!r}") from None
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        raise DataError(source, f"screen size must be positive, got {screen!r}")
    return w, h


def load_actions(
    path: str | os.PathLike,
    *,
    seq_len: int | None = None,
    rate_hz: float | None = None,
    screen: Sequence[float] | str | None = None,
) -> Trajectories:
    """Read a flat ``[N * seq_len, 3]`` (x, y, press) ``.npy`` (see the module docstring).

    Parameters
    ----------
    path : path-like
        The ``.npy`` file.
    seq_len : int, optional
        Steps per movement; required unless a sibling JSON file gives it.
    rate_hz : float, optional
        Sampling rate (default: the sidecar's, else 60 Hz).
    screen : (width, height) or str, optional
        Multiply x by width and y by height (for coordinates in ``[0, 1]``).

    Returns
    -------
    Trajectories
        N movements of ``seq_len`` points with ``press`` set; not yet validated.
    """
    p = Path(path)
    arr = read_npy(p, "action array")
    if arr.ndim != 2 or arr.shape[1] not in (2, 3):
        raise DataError(p, f"an action array must be [N*seq_len, 3] (x, y, press); found shape {arr.shape}")
    rows = arr.shape[0]
    if rows == 0:
        raise DataError(p, "no rows (empty action array)")
    side_path, side = _read_sidecar(p)
    if seq_len is None:
        seq_len = next((side[k] for k in SEQ_LEN_KEYS if k in side), None)
        if seq_len is None:
            raise DataError(p, "seq_len is needed to cut flat actions into movements (--seq-len N)")
        log.info("%s: seq_len=%s from %s", p, seq_len, side_path)
    if rate_hz is None:
        rate_hz = side.get("rate_hz", 60.0)
    if screen is None:
        screen = side.get("screen")
    try:
        seq_len_i = int(seq_len)
        if seq_len_i != seq_len:
            raise ValueError
    except (TypeError, ValueError):
        raise DataError(p, f"seq_len must be a whole number, got {seq_len!r}") from None
    if seq_len_i < 1:
        raise DataError(p, f"seq_len must be at least 1, got {seq_len_i}")
    if rows % seq_len_i:
        raise DataError(p, f"{rows} rows is not a multiple of seq_len={seq_len_i} ({rows % seq_len_i} left over)")
    try:
        rate = float(rate_hz)
    except (TypeError, ValueError):
        raise DataError(p, f"rate_hz must be a number, got {rate_hz!r}") from None
    if not np.isfinite(rate) or rate <= 0:
        raise DataError(p, f"rate_hz must be positive, got {rate_hz!r}")

    values = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise DataError(p, f"non-finite value (NaN or inf) in row {r} (movement {r // seq_len_i})")
    x, y = values[:, 0], values[:, 1]
    if screen is not None:
        w, h = parse_screen(screen, p)
        x, y = x * w, y * h
    elif x.size and min(x.min(), y.min()) >= 0 and max(x.max(), y.max()) <= 1:
        log.warning("%s: coordinates lie in [0, 1]; pass screen=(width, height) to get pixels", p)
    n = rows // seq_len_i
    t = np.tile(np.arange(seq_len_i, dtype=np.float64) / rate, n)
    press = values[:, 2] > 0.5 if values.shape[1] == 3 else None
    return Trajectories.from_arrays(x, y, t, lengths=np.full(n, seq_len_i), press=press)


def save_actions(traj: Trajectories, path: str | os.PathLike, force: bool = False) -> Path:
    """Write equal-length movements as a flat ``[N * seq_len, 3]`` x, y, press ``.npy`` (atomic).

    Raises
    ------
    DataError
        The movements do not all have the same number of points.
    """
    from deval.atomic import atomic_write

    lengths = np.unique(traj.lengths)
    if len(lengths) > 1:
        raise DataError(path, f"flat actions need equal-length movements; lengths range {lengths[0]}..{lengths[-1]}")
    press = np.zeros(traj.n_points) if traj.press is None else traj.press.astype(np.float64)
    arr = np.column_stack([traj.x, traj.y, press])
    with atomic_write(path, "wb", force=force) as f:
        np.save(f, arr, allow_pickle=False)
    return Path(path)
