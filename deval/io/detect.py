"""Guess a trajectory file's format from its extension and first bytes."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from deval.errors import DataError


def _csv_header(path: Path) -> list[str]:
    with open(path, "r", encoding="utf-8-sig", errors="replace") as f:
        first = f.readline(65536)
    return [c.strip().strip('"').lower() for c in first.replace(";", ",").replace("\t", ",").split(",")]


def detect_format(path: str | os.PathLike) -> str:
    """Return the name of the format of ``path`` (a key of :data:`deval.io.FORMATS`).

    ``.npz`` -> ``npz``; ``.npy`` -> ``padded`` (3-D) or ``actions`` (2-D);
    a folder holding ``*_actions.npy`` files (at any depth) -> ``actions``; a folder of ``.json`` files
    -> ``json``;
    ``.json`` -> ``json``; ``.csv``/``.txt``/``.log``/``.tsv`` -> ``csv`` when the header
    has ``traj_id``, ``events`` when it has ``timestamp`` (or ``client timestamp``);
    a file without extension is sniffed the same way (Balabit logs have none).

    Raises
    ------
    DataError
        Missing or empty file, a folder without ``*_actions.npy``, an unknown extension, an unreadable
        or pickled ``.npy``, or a CSV whose header fits no layout.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(p, "no such file")
    if p.is_dir():
        from deval.io.actions import ACTIONS_GLOB, find_action_files
        from deval.io.parts import is_parts_dir

        if is_parts_dir(p):
            return "parts"
        if find_action_files(p):
            return "actions"
        if any(f.suffix.lower() == ".json" for f in p.iterdir()):
            return "json"
        raise DataError(p, f"is a directory without parts.json, {ACTIONS_GLOB} or .json files; "
                           "for a folder of event logs "
                           "use --format events")
    if p.stat().st_size == 0:
        raise DataError(p, "empty file")
    ext = p.suffix.lower()
    if ext == ".npz":
        return "npz"
    if ext == ".npy":
        try:
            arr = np.load(p, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                raise DataError(p, "contains a pickled object array, which deval refuses to load") from None
            raise DataError(p, f"not a readable .npy array ({exc})") from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(p, f"not a readable .npy array ({exc})") from None
        if not isinstance(arr, np.ndarray):
            raise DataError(p, "is an .npz archive with a .npy extension; rename it to .npz")
        if arr.ndim == 3:
            return "padded"
        if arr.ndim == 2:
            return "actions"
        raise DataError(p, f"a .npy array must be [N, T, C] or [N*T, 3]; found shape {arr.shape}")
    if ext == ".json":
        return "json"
    if ext in (".csv", ".txt", ".log", ".tsv", ""):
        with open(p, "rb") as f:
            if b"\x00" in f.read(4096):
                raise DataError(p, "not a text file (binary content); expected a CSV with a header row")
        header = _csv_header(p)
        if ext == "" and not ("traj_id" in header or any("timestamp" in h for h in header)):
            raise DataError(p, f"no file extension and no known CSV header; use --format ({_format_names()})")
        if "traj_id" in header:
            return "csv"
        if any("timestamp" in h for h in header):
            return "events"
        raise DataError(
            p, "cannot tell the CSV layout: expected a header with traj_id, t, x, y "
            "(long format) or timestamp, button, state, x, y (event log); use --format"
        )
    from deval.io.formats import plugin_format_for

    plugin = plugin_format_for(ext)
    if plugin is not None:
        return plugin
    raise DataError(p, f"unknown file extension {ext or '(none)'!r}; use --format ({_format_names()})")


def _format_names() -> str:
    """The formats ``--format`` takes, built-ins and plugins (the file-format registry)."""
    from deval.io.formats import FORMATS

    return ", ".join(FORMATS.available())
