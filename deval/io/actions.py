"""Flat action arrays: ``[N * seq_len, 3]`` rows of ``x, y, press`` in a ``.npy``.

This is how many GAN / imitation-learning harnesses store their data and
output (``*_actions.npy``): fixed-length sequences stacked on top of each
other, one row per time step, no timestamps. Rows ``i*seq_len .. (i+1)*seq_len - 1``
are sequence ``i``; steps are ``1 / rate_hz`` seconds apart. ``x, y`` are
usually screen coordinates normalised to ``[0, 1]`` and ``press`` is 0 or 1
(button or finger down). A ``[M, 2]`` array (``x, y`` without press) is read too.

``seq_len`` comes from the ``seq_len=`` option or, failing that, from a sibling
JSON file with a ``seq_len`` (or ``sequence_length``, ``seq_length``) key:
``<stem>.json``, ``<stem>_meta.json``, ``<stem>_metadata.json``, and for
``<name>_actions.npy`` also ``<name>.json``, ``<name>_meta.json``,
``<name>_metadata.json``, then ``metadata.json`` in the same folder (and, when
a whole folder is read, ``metadata.json`` at its top). The same file may give
``rate_hz``, ``screen`` (``[width, height]``) and ``meta`` (per-sequence
columns as lists of N values, as :func:`save_actions` writes them).

Coordinates normalised to ``[0, 1]`` are scaled to pixels with
``screen=(width, height)``; without it the values are kept as they are.
``press`` must be 0 or 1; model outputs with press probabilities are read with
``press_threshold=0.5`` (press is then ``value > threshold``).

Folders
-------
:func:`load_actions` on a folder reads every ``*_actions.npy`` in it and its
subfolders (sorted by relative path) into one batch. Per-sequence metadata:

==============  ==================================================================
column          meaning
==============  ==================================================================
``split``       ``train``, ``validation`` or ``test`` from the first folder on the
                file's path named ``train``/``training``, ``val``/``valid``/
                ``validation`` or ``test`` (any case); ``""`` when there is none
``source_file`` the file's path relative to the folder
``session``     the same path without ``_actions.npy`` (e.g. ``train/user3``), unless
                the file's sidecar ``meta`` gives sessions
``user``        ``N`` when the file name holds ``user<N>`` (``user3_actions.npy``), else
                the sidecar's ``user`` column, else -1
==============  ==================================================================

Every file must give the same ``seq_len`` and the same number of columns.
:func:`load_action_splits` returns the splits as separate batches.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from deval.errors import DataError
from deval.io.padded import read_npy
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

SEQ_LEN_KEYS = ("seq_len", "sequence_length", "seq_length")
#: file names read from a folder
ACTIONS_GLOB = "*_actions.npy"
#: folder name (lower case) -> split name
SPLIT_FOLDERS = {
    "train": "train", "training": "train",
    "val": "validation", "valid": "validation", "validation": "validation",
    "test": "test",
}
#: split names in the order :func:`load_action_splits` returns them
SPLITS = ("train", "validation", "test")
_USER = re.compile(r"(?:^|[^a-z])user[_-]?(\d+)")


def sidecar_candidates(path: Path) -> list[Path]:
    """JSON files that may describe ``path`` (in the order they are tried)."""
    stems = [path.stem]
    if path.stem.endswith("_actions"):
        stems.append(path.stem[: -len("_actions")])
    names = [f"{s}{suffix}.json" for s in stems for suffix in ("", "_meta", "_metadata")]
    return [path.with_name(n) for n in names] + [path.with_name("metadata.json")]


def sidecar_path(path: str | os.PathLike) -> Path:
    """Where :func:`save_actions` writes the JSON that describes ``path``: ``<stem>_meta.json``."""
    p = Path(path)
    return p.with_name(f"{p.stem}_meta.json")


def _read_sidecar(path: Path, extra: Sequence[Path] = ()) -> tuple[Path | None, dict[str, Any]]:
    for cand in [*sidecar_candidates(path), *extra]:
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


def _whole_number(value: Any, what: str, source: Path) -> int:
    try:
        out = int(value)
        if out != value:
            raise ValueError
    except (TypeError, ValueError):
        raise DataError(source, f"{what} must be a whole number, got {value!r}") from None
    if out < 1:
        raise DataError(source, f"{what} must be at least 1, got {out}")
    return out


def _sidecar_meta(side: dict[str, Any], side_path: Path | None, n: int) -> pd.DataFrame | None:
    """Per-sequence columns stored in a sidecar's ``meta`` (None when absent or for another cut)."""
    meta = side.get("meta")
    if meta is None:
        return None
    if not isinstance(meta, dict) or not all(isinstance(v, list) for v in meta.values()):
        raise DataError(side_path, "'meta' must map column names to lists of per-sequence values")
    sizes = {len(v) for v in meta.values()}
    if sizes != {n}:
        log.warning("%s: 'meta' lists have %s entries for %d sequences; ignored", side_path, sorted(sizes), n)
        return None
    return pd.DataFrame(meta)


def _read_action_file(
    p: Path,
    seq_len: int | None,
    rate_hz: float | None,
    screen: Sequence[float] | str | None,
    press_threshold: float | None,
    extra_sidecars: Sequence[Path] = (),
) -> tuple[Trajectories, int, int, bool]:
    """One flat file -> (movements, seq_len, columns, coordinates all in [0, 1] without a screen)."""
    arr = read_npy(p, "action array")
    if arr.ndim != 2 or arr.shape[1] not in (2, 3):
        raise DataError(p, f"an action array must be [N*seq_len, 3] (x, y, press); found shape {arr.shape}")
    rows = arr.shape[0]
    if rows == 0:
        raise DataError(p, "no rows (empty action array)")
    side_path, side = _read_sidecar(p, extra_sidecars)
    if seq_len is None:
        seq_len = next((side[k] for k in SEQ_LEN_KEYS if k in side), None)
        if seq_len is None:
            raise DataError(p, "seq_len is needed to cut flat actions into movements (--seq-len N)")
        log.info("%s: seq_len=%s from %s", p, seq_len, side_path)
    if rate_hz is None:
        rate_hz = side.get("rate_hz", 60.0)
    if screen is None:
        screen = side.get("screen")
    seq_len_i = _whole_number(seq_len, "seq_len", p)
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
    press = None
    if values.shape[1] == 3:
        col = values[:, 2]
        if press_threshold is None:
            off = np.flatnonzero((col != 0) & (col != 1))
            if off.size:
                r = int(off[0])
                raise DataError(
                    p, f"press must be 0 or 1; row {r} (movement {r // seq_len_i}) holds {col[r]:g} "
                    f"({off.size} such rows; pass press_threshold=0.5 to binarise press probabilities)",
                )
            press = col == 1
        else:
            press = col > float(press_threshold)
    x, y = values[:, 0], values[:, 1]
    unit = False
    if screen is not None:
        w, h = parse_screen(screen, p)
        x, y = x * w, y * h
    else:
        unit = bool(min(x.min(), y.min()) >= 0 and max(x.max(), y.max()) <= 1)
    n = rows // seq_len_i
    t = np.tile(np.arange(seq_len_i, dtype=np.float64) / rate, n)
    meta = _sidecar_meta(side, side_path, n)
    traj = Trajectories.from_arrays(x, y, t, lengths=np.full(n, seq_len_i), press=press, meta=meta)
    return traj, seq_len_i, values.shape[1], unit


def find_action_files(folder: str | os.PathLike) -> list[Path]:
    """Every ``*_actions.npy`` under ``folder`` (any depth, hidden names skipped), sorted by relative path."""
    root = Path(folder)
    files = [f for f in root.rglob(ACTIONS_GLOB)
             if f.is_file() and not any(part.startswith(".") for part in f.relative_to(root).parts)]
    return sorted(files, key=lambda f: f.relative_to(root).as_posix())


def split_of(relative: Path) -> str:
    """Split name of a file from the folders on its relative path (``""`` when none is recognised)."""
    for part in relative.parts[:-1]:
        split = SPLIT_FOLDERS.get(part.lower())
        if split is not None:
            return split
    return ""


def _user_of(stem: str) -> int:
    m = _USER.search(stem.lower())
    return int(m.group(1)) if m else -1


def _load_action_folder(
    root: Path,
    seq_len: int | None,
    rate_hz: float | None,
    screen: Sequence[float] | str | None,
    press_threshold: float | None,
) -> Trajectories:
    files = find_action_files(root)
    if not files:
        raise DataError(root, f"no {ACTIONS_GLOB} files in this folder or its subfolders")
    top = [root / "metadata.json"]
    parts, first = [], None
    all_unit = True
    for f in files:
        traj, length, cols, unit = _read_action_file(f, seq_len, rate_hz, screen, press_threshold, top)
        rel = f.relative_to(root)
        if first is None:
            first = (rel, length, cols)
        elif length != first[1]:
            raise DataError(root, f"mixed seq_len: {first[0]} has {first[1]} steps per sequence, {rel} has {length}")
        elif cols != first[2]:
            raise DataError(root, f"mixed column counts: {first[0]} has {first[2]} columns, {rel} has {cols}")
        cols_meta: dict[str, Any] = {"split": split_of(rel), "source_file": rel.as_posix()}
        if (traj.meta["session"] == "").all():  # a sidecar's sessions are kept
            cols_meta["session"] = rel.as_posix()[: -len("_actions.npy")]
        stem_user = _user_of(rel.name[: -len("_actions.npy")])
        if stem_user >= 0 or (traj.user < 0).all():
            cols_meta["user"] = stem_user
        parts.append(traj.with_meta(**cols_meta))
        all_unit = all_unit and unit
    if all_unit:
        log.warning("%s: coordinates lie in [0, 1]; pass screen=(width, height) to get pixels", root)
    log.info("%s: %d files, %d sequences", root, len(files), sum(len(t) for t in parts))
    return Trajectories.concat(parts)


def load_actions(
    path: str | os.PathLike,
    *,
    seq_len: int | None = None,
    rate_hz: float | None = None,
    screen: Sequence[float] | str | None = None,
    press_threshold: float | None = None,
) -> Trajectories:
    """Read a flat ``[N * seq_len, 3]`` (x, y, press) ``.npy``, or a folder of them (see the module docstring).

    Parameters
    ----------
    path : path-like
        The ``.npy`` file, or a folder whose ``*_actions.npy`` files (any depth) are read.
    seq_len : int, optional
        Steps per sequence; required unless a sibling JSON file gives it.
    rate_hz : float, optional
        Sampling rate (default: the sidecar's, else 60 Hz).
    screen : (width, height) or str, optional
        Multiply x by width and y by height (for coordinates in ``[0, 1]``).
    press_threshold : float, optional
        Read press as ``value > press_threshold`` (for press probabilities);
        without it press must be exactly 0 or 1.

    Returns
    -------
    Trajectories
        N sequences of ``seq_len`` points (pixels with ``screen``, seconds)
        with ``press`` set (for 3 columns); folders add ``split``,
        ``source_file``, ``session`` and ``user`` metadata. Not yet validated.

    Raises
    ------
    DataError
        Wrong shape, a row count that is not a multiple of ``seq_len``, no
        ``seq_len``, non-finite values, press not in {0, 1}, or (folders) no
        ``*_actions.npy`` files, mixed ``seq_len`` or mixed column counts.
    """
    p = Path(path)
    if p.is_dir():
        return _load_action_folder(p, seq_len, rate_hz, screen, press_threshold)
    traj, _, _, unit = _read_action_file(p, seq_len, rate_hz, screen, press_threshold)
    if unit:
        log.warning("%s: coordinates lie in [0, 1]; pass screen=(width, height) to get pixels", p)
    return traj


def load_action_splits(
    directory: str | os.PathLike,
    seq_len: int | None = None,
    *,
    validate: bool = True,
    **options: Any,
) -> dict[str, Trajectories]:
    """The train / validation / test splits of a folder of ``*_actions.npy`` files.

    Files under a ``train/`` (or ``training/``), ``val/`` (``valid/``,
    ``validation/``) or ``test/`` subfolder, at any depth and in any case, go
    to that split; files outside every split folder are refused.

    Parameters
    ----------
    directory : path-like
        The dataset folder.
    seq_len : int, optional
        Steps per sequence (else from sidecar JSON files).
    validate : bool
        Run :meth:`Trajectories.validate` on every split.
    **options
        ``rate_hz``, ``screen``, ``press_threshold`` (see :func:`load_actions`).

    Returns
    -------
    dict
        ``split name -> Trajectories`` for the splits present, in the order
        ``train``, ``validation``, ``test``; each has a ``split`` column.

    Raises
    ------
    DataError
        Not a folder, no split folder, files outside the split folders, two
        folders for one split (``val/`` and ``validation/``), or any error of
        :func:`load_actions`.
    """
    root = Path(directory)
    if not root.is_dir():
        raise DataError(root, "not a folder (expected a folder with train/ and val/ subfolders of *_actions.npy)")
    files = find_action_files(root)
    if not files:
        raise DataError(root, f"no {ACTIONS_GLOB} files in this folder or its subfolders")
    outside = [f.relative_to(root) for f in files if not split_of(f.relative_to(root))]
    if len(outside) == len(files):
        raise DataError(root, "no train/, val/ (valid/, validation/) or test/ subfolder holds *_actions.npy files; "
                              "read an unsplit folder with load_trajectories(folder, format='actions')")
    if outside:
        raise DataError(root, f"{outside[0]} is outside the train/, val/ and test/ folders "
                              f"({len(outside)} such files); move or remove them")
    folders: dict[str, set[str]] = {}
    for f in files:
        rel = f.relative_to(root)
        for part in rel.parts[:-1]:
            if part.lower() in SPLIT_FOLDERS:
                folders.setdefault(SPLIT_FOLDERS[part.lower()], set()).add(part)
                break
    for split, names in folders.items():
        if len(names) > 1:
            raise DataError(root, f"two folders for the {split} split: {', '.join(sorted(names))}")
    traj = load_actions(root, seq_len=seq_len, **options)
    out: dict[str, Trajectories] = {}
    for split in SPLITS:
        m = traj.meta["split"].to_numpy() == split
        if m.any():
            out[split] = traj[m]
            if validate:
                out[split].validate(root / next(iter(folders[split])))
    return out


def to_action_array(
    traj: Trajectories, screen: Sequence[float] | str | None = None, max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Movements as padded ``[N, T, 3]`` ``x, y, press`` arrays, normalised by a screen size.

    Parameters
    ----------
    traj : Trajectories
        Movements in pixels (``press`` False everywhere when absent).
    screen : (width, height) or str, optional
        Divide x by width and y by height (pixels -> ``[0, 1]``); kept as is without it.
    max_len : int, optional
        Pad or truncate to this many steps (default: the longest movement).

    Returns
    -------
    values : ndarray, float64, (N, T, 3)
        x, y (normalised screen units, or pixels) and press (0.0 or 1.0); 0 on padding.
    mask : ndarray, bool, (N, T)
        True on real points.
    """
    values, mask = traj.to_padded(max_len=max_len, channels=("x", "y", "press"))
    if screen is not None:
        w, h = parse_screen(screen, "screen")
        values[..., 0] /= w
        values[..., 1] /= h
        values[~mask] = 0.0
    return values, mask


def _sampling_rate(traj: Trajectories) -> float:
    """Median sampling rate of ``traj`` in Hz (60 when it cannot be told)."""
    dt = np.diff(traj.t)
    inner = np.ones(len(dt), dtype=bool)
    inner[traj.offsets[1:-1] - 1] = False
    dt = dt[inner & (dt > 0)]
    return float(1.0 / np.median(dt)) if dt.size else 60.0


def _json_column(values: np.ndarray) -> list | None:
    if values.dtype == object or values.dtype.kind in "US":
        return [str(v) for v in values]
    if values.dtype.kind in "biu":
        return [int(v) for v in values]
    if values.dtype.kind == "f":
        return [None if not np.isfinite(v) else float(v) for v in values]
    return None


def save_actions(
    traj: Trajectories,
    path: str | os.PathLike,
    force: bool = False,
    *,
    screen: Sequence[float] | str | None = None,
    sidecar: bool = False,
) -> Path:
    """Write equal-length movements as a flat ``[N * seq_len, 3]`` x, y, press ``.npy`` (atomic).

    Parameters
    ----------
    traj : Trajectories
        Movements that all have the same number of points (``press`` 0 when absent).
    path : path-like
        The ``.npy`` to write (name it ``*_actions.npy`` so folders of them are found).
    force : bool
        Overwrite existing files.
    screen : (width, height) or str, optional
        Normalise: x / width, y / height (pixels -> ``[0, 1]``). Without it
        the pixel values are written as they are.
    sidecar : bool
        Also write ``<stem>_meta.json`` (:func:`sidecar_path`) with ``seq_len``,
        ``rate_hz`` (median of the movements), ``screen``, ``columns`` and the
        per-sequence metadata (``meta``: column -> list), which
        :func:`load_actions` reads back (pixels and metadata restored).

    Returns
    -------
    Path
        The ``.npy`` written.

    Raises
    ------
    DataError
        No movements, or movements of different lengths (resample first,
        e.g. :func:`deval.canonical.resample` with ``n_points``).
    OutputExistsError
        A file exists and ``force`` is false (nothing is written).
    """
    from deval.atomic import atomic_write, check_writable, write_text

    if len(traj) == 0:
        raise DataError(path, "no movements to write")
    lengths = np.unique(traj.lengths)
    if len(lengths) > 1:
        raise DataError(path, f"flat actions need equal-length movements; lengths range {lengths[0]}..{lengths[-1]} "
                              "(resample them to one point count first)")
    side = sidecar_path(path)
    check_writable(path, force)
    if sidecar:
        check_writable(side, force)
    x, y = traj.x, traj.y
    wh = None
    if screen is not None:
        wh = parse_screen(screen, path)
        x, y = x / wh[0], y / wh[1]
        outside = (x < 0) | (x > 1) | (y < 0) | (y > 1)
        if outside.any():
            log.warning("%s: %d of %d points lie outside the %gx%g screen (normalised values outside [0, 1])",
                        path, int(outside.sum()), len(x), *wh)
    press = np.zeros(traj.n_points) if traj.press is None else traj.press.astype(np.float64)
    arr = np.column_stack([x, y, press])
    with atomic_write(path, "wb", force=force) as f:
        np.save(f, arr, allow_pickle=False)
    if sidecar:
        meta = {c: v for c in traj.meta.columns if (v := _json_column(traj.meta[c].to_numpy())) is not None}
        info = {
            "format": "deval flat actions", "columns": ["x", "y", "press"], "seq_len": int(lengths[0]),
            "rate_hz": _sampling_rate(traj), "screen": None if wh is None else list(wh),
            "n_sequences": len(traj), "meta": meta,
        }
        write_text(side, json.dumps(info), force=force)
    return Path(path)
