"""Reading and writing trajectory files.

:func:`load_trajectories` reads every supported format into
:class:`~deval.trajectories.Trajectories` and validates it;
:func:`save_trajectories` writes the native ``.npz``. Each format lives in its
own module with a ``load_<format>(path, **options)`` function.

========  ===========================================  ==========================
format    what                                         detected by
========  ===========================================  ==========================
npz       native CSR archive (SapiMouse-dev layout)     ``.npz``
padded    ``[N, T, C]`` ``.npy`` (lengths/mask/NaN)     ``.npy`` with 3 dimensions
actions   flat ``[N*T, 3]`` x, y, press ``.npy``, or a  ``.npy`` with 2 dimensions;
          folder of ``*_actions.npy`` (train/val/...)   a folder with such files
csv       long CSV ``traj_id, t, x, y[, press]``        ``.csv`` with ``traj_id``
events    raw event log ``timestamp, button, state,     ``.csv``/``.log``/``.txt``
          x, y`` cut into movements                     with ``timestamp``
json      list of point lists                           ``.json``
========  ===========================================  ==========================
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from typing import Any, Callable

from deval.errors import DataError
from deval.io.actions import load_action_splits, save_actions
from deval.io.npz import load_npz, save_npz
from deval.trajectories import Trajectories

# format name -> (module, loader function name)
FORMATS: dict[str, tuple[str, str]] = {
    "npz": ("deval.io.npz", "load_npz"),
    "padded": ("deval.io.padded", "load_padded"),
    "actions": ("deval.io.actions", "load_actions"),
    "csv": ("deval.io.long_csv", "load_long_csv"),
    "events": ("deval.io.event_log", "load_event_log"),
    "json": ("deval.io.json_lists", "load_json_lists"),
}


def _loader(fmt: str) -> Callable[..., Trajectories]:
    module, func = FORMATS[fmt]
    return getattr(importlib.import_module(module), func)


def detect_format(path: str | os.PathLike) -> str:
    """Guess a file's format from its extension (and, for ``.npy``/``.csv``, its content)."""
    from deval.io.detect import detect_format as _detect

    return _detect(path)


def load_trajectories(
    path: str | os.PathLike,
    format: str | None = None,
    *,
    validate: bool = True,
    min_valid_points: int = 2,
    **options: Any,
) -> Trajectories:
    """Read a trajectory file of any supported format.

    Parameters
    ----------
    path : path-like
        The file to read (a folder for ``events``, or ``actions`` (detected)).
    format : str, optional
        One of :data:`FORMATS`; detected from the file when omitted.
    validate : bool
        Run :meth:`Trajectories.validate` (finite values, strictly increasing
        time, at least ``min_valid_points`` points per movement).
    **options
        Passed to the format's loader (e.g. ``seq_len`` for ``actions``).

    Raises
    ------
    DataError
        The file is missing, unreadable or malformed; the message names the file.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(p, "no such file")
    fmt = format or detect_format(p)
    if fmt not in FORMATS:
        raise DataError(p, f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    loader = _loader(fmt)
    try:
        inspect.signature(loader).bind(p, **options)
    except TypeError as exc:
        raise DataError(p, f"bad option for format {fmt!r}: {exc}") from None
    traj = loader(p, **options)
    if validate:
        traj.validate(p, min_points=min_valid_points)
    return traj


def save_trajectories(traj: Trajectories, path: str | os.PathLike, force: bool = False) -> None:
    """Write ``traj`` as a native ``.npz`` (atomic; refuses to overwrite without ``force``)."""
    save_npz(traj, path, force=force)


__all__ = [
    "FORMATS", "detect_format", "load_trajectories", "save_trajectories", "load_npz", "save_npz",
    "load_action_splits", "save_actions",
]
