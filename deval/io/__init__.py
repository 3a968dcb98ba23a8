"""Reading and writing trajectory files.

:func:`load_trajectories` reads every supported format into
:class:`~deval.trajectories.Trajectories` and validates it;
:func:`save_trajectories` writes by suffix. Each format lives in its own module with a
``load_<format>(path, **options)`` function and is registered in :data:`FORMATS`
(:mod:`deval.io.formats`; plugins through the entry-point group ``deval.formats``).

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

import inspect
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from deval.errors import DataError
from deval.io.actions import load_action_splits, save_actions
from deval.io.formats import FORMATS, FileFormat, write_formats
from deval.io.npz import load_npz, save_npz
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)


def detect_format(path: str | os.PathLike) -> str:
    """Guess a file's format from its extension (and, for ``.npy``/``.csv``, its content)."""
    from deval.io.detect import detect_format as _detect

    return _detect(path)


#: What :func:`load_trajectories` does with samples whose timestamp does not advance: ``"drop"`` them (with a
#: one-line warning) or raise an ``"error"``. ``deval --on-repeated-time`` sets it for a command.
REPEATED_TIME_POLICIES = ("drop", "error")
repeated_time_policy = "drop"
#: Unit plausibility findings (:mod:`deval.io.plausibility`) are errors instead of warnings (``deval --strict``).
strict_units = False


#: A layout file (:mod:`deval.io.layout`) for every padded ``.npy`` input of this process (``deval --layout``).
default_layout: str | None = None


def set_default_layout(path: str | os.PathLike | None) -> None:
    """Make :func:`load_trajectories` read every padded ``.npy`` with the layout file ``path`` (None: only
    layout files found next to the data)."""
    global default_layout
    default_layout = None if path is None else os.fspath(path)


#: Loader options for every input of this process (``deval -O KEY=VALUE``), used where the file's loader takes
#: them (``time_unit`` for JSON and CSV, ``channels`` for padded arrays...).
default_read_options: dict = {}


def set_default_read_options(options: dict | None) -> None:
    """Make :func:`load_trajectories` pass ``options`` to every loader that takes them (None: none)."""
    global default_read_options
    default_read_options = dict(options or {})


def set_strict_units(strict: bool) -> None:
    """Make :func:`load_trajectories`'s unit plausibility warnings errors (or warnings again) for this process."""
    global strict_units
    strict_units = bool(strict)


def set_repeated_time_policy(policy: str) -> None:
    """Set the default of ``load_trajectories(on_repeated_time=...)`` for this process."""
    global repeated_time_policy
    if policy not in REPEATED_TIME_POLICIES:
        raise DataError(None, f"on_repeated_time must be one of {', '.join(REPEATED_TIME_POLICIES)}, got {policy!r}")
    repeated_time_policy = policy


def load_trajectories(
    path: str | os.PathLike,
    format: str | None = None,
    *,
    validate: bool = True,
    min_valid_points: int = 2,
    on_repeated_time: str | None = None,
    layout: Any = None,
    **options: Any,
) -> Trajectories:
    """Read a trajectory file of any supported format.

    Parameters
    ----------
    path : path-like
        The file to read (a folder for ``events``, or ``actions`` (detected)).
    format : str, optional
        A name in :data:`FORMATS` (the file-format registry, :mod:`deval.io.formats`); detected from the
        file when omitted.
    validate : bool
        Run :meth:`Trajectories.validate` (finite values, strictly increasing
        time, at least ``min_valid_points`` points per movement).
    on_repeated_time : {"drop", "error"}, optional
        Samples whose timestamp does not advance (browsers and 1 ms loggers
        coalesce events): ``"drop"`` keeps the first sample of each timestamp,
        logs one warning with the count and records the share per movement in
        the metadata column ``repeated_time_share``; ``"error"`` refuses the
        file. Default: :data:`repeated_time_policy` (``"drop"``).

    With ``validate``, units are checked too (:mod:`deval.io.plausibility`):
    impossible values are errors, implausible units one-line warnings (errors
    after :func:`set_strict_units`).
    layout : path or Layout, optional
        For a padded ``.npy``: the layout description (:mod:`deval.io.layout`: channel meanings,
        scaling to undo, lengths file, units). Default: :data:`default_layout`, else a
        ``layout.yaml``/``layout.json`` next to the file (logged), else the loader's own options.
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
        raise DataError(p, f"unknown format {fmt!r}; known: {', '.join(FORMATS.available())}")
    from deval.io.layout import Layout, find_layout

    if default_read_options:  # deval -O KEY=VALUE: the keys this format's loader takes, under explicit ones
        accepted = inspect.signature(FORMATS.get(fmt).loader()).parameters
        options = {**{k: v for k, v in default_read_options.items() if k in accepted}, **options}
    if fmt == "padded" and layout is None and not options:
        layout = default_layout or find_layout(p)
        if layout is not None:
            log.info("%s: reading with the layout %s", p, layout)
    if fmt == "padded" and layout is not None:
        traj = (layout if isinstance(layout, Layout) else Layout.load(layout)).read(p)
    else:
        loader = FORMATS.get(fmt).loader()
        try:
            inspect.signature(loader).bind(p, **options)
        except TypeError as exc:
            raise DataError(p, f"bad option for format {fmt!r}: {exc}") from None
        traj = loader(p, **options)
    policy = on_repeated_time or repeated_time_policy
    if policy not in REPEATED_TIME_POLICIES:
        raise DataError(p, f"on_repeated_time must be one of {', '.join(REPEATED_TIME_POLICIES)}, got {policy!r}")
    if policy == "drop" and len(traj):
        traj, dropped = traj.drop_repeated_times()
        if dropped.any():
            log.warning("%s: dropped %d samples whose timestamp repeats the one before (%d of %d movements; "
                        "--on-repeated-time error refuses such files)", p, int(dropped.sum()),
                        int(np.count_nonzero(dropped)), len(traj))
    if validate:
        traj.validate(p, min_points=min_valid_points)
        if fmt != "actions":  # action sequences are screen fractions by design; their loader says so itself
            from deval.io.plausibility import check_plausible

            check_plausible(traj, p, strict=strict_units)
    return traj


def save_trajectories(traj: Trajectories, path: str | os.PathLike, force: bool = False,
                      format: str | None = None, layout: Any = None) -> None:
    """Write ``traj`` atomically (refuses to overwrite without ``force``) in the format of the file's suffix.

    ``.npz`` the native archive; ``.csv`` long CSV (``traj_id, t, x, y[, press]`` plus metadata columns);
    ``.json`` a list of movement objects; ``.npy`` a NaN-padded ``[N, T, 3]`` array of ``x, y, t`` (the
    padding marks the lengths; :func:`load_trajectories` reads it back) -- or, with a ``layout`` (a layout
    file or :class:`~deval.io.layout.Layout`; default :data:`default_layout`), that layout's scaled array and
    lengths file. ``format`` overrides the suffix.
    """
    p = Path(path)
    suffixes = write_formats()
    fmt = format or suffixes.get(p.suffix.lower())
    if fmt is None:
        raise DataError(p, f"cannot tell the output format from the suffix {p.suffix!r}; use one of "
                           f"{', '.join(suffixes)}")
    if fmt == "padded" and (layout or default_layout) is not None:
        from deval.io.layout import Layout

        layout = layout or default_layout
        (layout if isinstance(layout, Layout) else Layout.load(layout)).write(traj, p, force=force)
        return
    saver = FORMATS.get(fmt).saver() if fmt in FORMATS else None
    if saver is None:
        writable = sorted({*suffixes.values()})
        raise DataError(p, f"cannot write format {fmt!r}; writable: {', '.join(writable)}")
    saver(traj, p, force=force)


__all__ = [
    "FORMATS", "FileFormat", "write_formats", "detect_format", "load_trajectories", "save_trajectories", "load_npz",
    "save_npz", "load_action_splits", "save_actions",
]
