"""Output files shared by the report writers: the output folder and standard JSON.

:func:`prepare_report_dir` refuses (before anything is written) to overwrite
any of a report's files unless ``force`` is given, then creates the folder;
:func:`report_json` writes a payload as standard JSON (numpy scalars and
arrays as plain values, NaN and infinities as ``null``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from deval.atomic import check_files_writable

__all__ = ["json_ready", "prepare_report_dir", "report_json"]


def prepare_report_dir(out_dir: str | os.PathLike, names: Iterable[str], force: bool = False) -> Path:
    """Check that none of the files ``names`` exists in ``out_dir`` (unless ``force``), then create it.

    Raises :class:`~deval.errors.OutputExistsError` before creating or writing anything.
    """
    out = check_files_writable(out_dir, names, force)
    out.mkdir(parents=True, exist_ok=True)
    return out


def json_ready(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays as Python values, paths as strings and NaN/inf as None."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def report_json(payload: Any) -> str:
    """``payload`` as indented, standard JSON text (see :func:`json_ready`)."""
    return json.dumps(json_ready(payload), indent=2)
