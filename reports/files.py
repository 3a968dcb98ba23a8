"""Output files shared by the report writers: the output folder and standard JSON.

:func:`prepare_report_dir` refuses (before anything is written) to overwrite
any of a report's files unless ``force`` is given, then creates the folder;
:func:`report_json` writes a payload as standard JSON (numpy scalars and
arrays as plain values, NaN and infinities as ``null``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable


from deval.atomic import check_files_writable, json_ready, json_text

__all__ = ["json_ready", "prepare_report_dir", "report_json"]


def prepare_report_dir(out_dir: str | os.PathLike, names: Iterable[str], force: bool = False) -> Path:
    """Check that none of the files ``names`` exists in ``out_dir`` (unless ``force``), then create it.

    Raises :class:`~deval.errors.OutputExistsError` before creating or writing anything.
    """
    out = check_files_writable(out_dir, names, force)
    out.mkdir(parents=True, exist_ok=True)
    return out


def report_json(payload: Any) -> str:
    """``payload`` as indented, standard JSON text (see :func:`json_ready`)."""
    return json_text(payload, indent=2)
