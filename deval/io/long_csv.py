"""Long-format CSV: one row per point, ``traj_id, t, x, y[, press]`` plus metadata.

* A header row is required; column names are case-insensitive.
* Rows are grouped by ``traj_id`` in order of first appearance; within a
  movement the file order is kept (time must increase).
* ``t`` is in seconds (``time_unit="ms"`` for milliseconds); it is made relative
  to each movement's first point.
* Any other column that is constant within every movement (``style``, ``user``,
  ``session``, ``label``...) becomes per-movement metadata; columns that vary
  within a movement are ignored with a warning. ``traj_id`` itself is kept as
  the metadata column ``traj_id``.

:func:`save_long_csv` writes the same layout, so a file round-trips.
"""

from __future__ import annotations

import csv
import io as _io
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from deval.atomic import atomic_write
from deval.errors import DataError
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

REQUIRED = ("traj_id", "t", "x", "y")
TIME_UNITS = {"s": 1.0, "ms": 1e-3}
LABEL_NAMES = {"human": 0, "real": 0, "bot": 1, "fake": 1, "0": 0, "1": 1}


def sniff_delimiter(first_line: str) -> str:
    """``","`` unless the header line only uses tabs or semicolons."""
    if "," in first_line:
        return ","
    if "\t" in first_line:
        return "\t"
    if ";" in first_line:
        return ";"
    return ","


def read_csv_table(
    path: str | os.PathLike, required: Sequence[str], what: str, aliases: dict[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """Read a CSV with a header into a DataFrame with lower-case, stripped column names.

    Parameters
    ----------
    path : path-like
        The file.
    required : sequence of str
        Columns that must be present (after applying ``aliases``).
    what : str
        Name of the layout with its article, for error messages (e.g. ``"a long-format CSV"``).
    aliases : dict, optional
        ``{canonical name: [other accepted names, in order of preference]}``.

    Raises
    ------
    DataError
        Missing/empty/binary/unparsable file, no header, missing columns.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(p, "no such file" if not p.exists() else "is not a file")
    if p.stat().st_size == 0:
        raise DataError(p, "empty file")
    try:
        with open(p, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise DataError(p, f"cannot read ({exc})") from None
    if b"\x00" in head:
        raise DataError(p, f"not a text file (binary content); expected {what}")
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    if not first.strip():
        raise DataError(p, "empty file" if not head.strip() else "first line is empty; expected a header row")
    try:
        df = pd.read_csv(
            p, sep=sniff_delimiter(first), skipinitialspace=True, keep_default_na=False, na_values=[],
            encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL, low_memory=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(p, f"cannot parse as CSV ({msg})") from None
    df.columns = [str(c).strip().strip('"').strip().lower() for c in df.columns]
    for name, alts in (aliases or {}).items():
        if name not in df.columns:
            for alt in alts:
                if alt in df.columns:
                    df = df.rename(columns={alt: name})
                    break
    missing = [c for c in required if c not in df.columns]
    if missing:
        if all(_is_number(c) for c in df.columns):
            raise DataError(p, f"no header row; {what} needs the columns {', '.join(required)}")
        raise DataError(
            p, f"missing column(s) {', '.join(missing)} for {what}; found {', '.join(map(str, df.columns))}"
        )
    if len(df) == 0:
        raise DataError(p, "no data rows (header only)")
    return df


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def numeric_column(df: pd.DataFrame, col: str, source: str | os.PathLike) -> np.ndarray:
    """Column ``col`` as float64; raises naming the first line with a missing or bad value."""
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raw = df[col].iloc[row]
        kind = "missing" if str(raw).strip() == "" else ("non-finite" if _is_number(str(raw)) else "non-numeric")
        raise DataError(source, f"{kind} {col} value {str(raw)!r} on line {row + 2}")
    return values


def bool_column(df: pd.DataFrame, col: str, source: str | os.PathLike) -> np.ndarray:
    """Column ``col`` as bool: True/False, 1/0, yes/no (case-insensitive)."""
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy()
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=np.float64) > 0.5
    mapped = s.astype(str).str.strip().str.lower().map(
        {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False, "yes": True, "no": False}
    )
    if mapped.isna().any():
        row = int(np.flatnonzero(mapped.isna().to_numpy())[0])
        raise DataError(source, f"{col} must be true/false or 1/0; found {s.iloc[row]!r} on line {row + 2}")
    return mapped.to_numpy(dtype=bool)


def coerce_meta(meta: pd.DataFrame, source: str | os.PathLike) -> pd.DataFrame:
    """Make the standard columns fit the data model.

    ``label`` may be 0/1 or ``human``/``bot``; a ``user`` column that is not
    integer is moved to ``user_name`` (and ``user`` stays unknown, -1).
    """
    meta = meta.copy()
    for col, default in (("style", "human"), ("user", -1), ("session", ""), ("label", 0)):
        if col in meta.columns and meta[col].isna().any():  # e.g. a key that only some JSON movements have
            meta[col] = meta[col].where(meta[col].notna(), default)
            if col in ("user", "label"):
                meta[col] = meta[col].infer_objects()
    if "label" in meta.columns:
        lab = meta["label"]
        if not pd.api.types.is_integer_dtype(lab) and not pd.api.types.is_bool_dtype(lab):
            mapped = lab.astype(str).str.strip().str.lower().map(LABEL_NAMES)
            if mapped.isna().any():
                bad = lab[mapped.isna()].iloc[0]
                raise DataError(source, f"label must be 0/1 or human/bot; found {bad!r}")
            meta["label"] = mapped.astype(np.int64)
        elif not lab.isin([0, 1]).all():
            raise DataError(source, f"label must be 0 (human) or 1 (bot); found {sorted(set(lab) - {0, 1})[:3]}")
    if "user" in meta.columns and not pd.api.types.is_integer_dtype(meta["user"]):
        as_num = pd.to_numeric(meta["user"], errors="coerce")
        if as_num.notna().all() and (as_num == np.round(as_num)).all():
            meta["user"] = as_num.astype(np.int64)
        else:
            meta["user_name"] = meta["user"].astype(str)
            meta = meta.drop(columns="user")
    for col in ("style", "session"):
        if col in meta.columns:
            meta[col] = meta[col].astype(str)
    return meta


def load_long_csv(path: str | os.PathLike, *, time_unit: str = "s") -> Trajectories:
    """Read a long-format CSV (see the module docstring).

    Parameters
    ----------
    path : path-like
        The CSV file (``,``, ``;`` or tab separated).
    time_unit : {"s", "ms"}
        Unit of the ``t`` column.

    Returns
    -------
    Trajectories
        Movements in order of first appearance; not yet validated.
    """
    p = Path(path)
    if time_unit not in TIME_UNITS:
        raise DataError(p, f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}")
    df = read_csv_table(p, REQUIRED, "a long-format CSV (traj_id, t, x, y[, press])")
    ids = df["traj_id"]
    empty_id = ids.astype(str).str.strip() == ""
    if empty_id.any():
        raise DataError(p, f"missing traj_id on line {int(np.flatnonzero(empty_id.to_numpy())[0]) + 2}")
    codes, uniques = pd.factorize(ids, sort=False)
    order = np.argsort(codes, kind="stable")  # group rows by movement, keep file order inside
    df = df.iloc[order].reset_index(drop=True)
    codes = codes[order]
    t, x, y = (numeric_column(df, c, p) for c in ("t", "x", "y"))
    t = t * TIME_UNITS[time_unit]
    lengths = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = t - np.repeat(t[first], lengths)
    press = bool_column(df, "press", p) if "press" in df.columns else None

    extra = [c for c in df.columns if c not in REQUIRED and c != "press"]
    meta = pd.DataFrame({"traj_id": np.asarray(uniques)})
    if extra:
        varies = df[extra].groupby(codes, sort=True).nunique(dropna=False).max(axis=0) > 1
        for col in varies[varies].index:
            log.warning("%s: column %r varies within movements; it is not per-movement metadata and is ignored", p, col)
        const = [c for c in extra if not varies[c]]
        for col in const:
            meta[col] = df[col].to_numpy()[first]
    meta = coerce_meta(meta, p)
    try:
        return Trajectories.from_arrays(x, y, t, lengths=lengths, press=press, meta=meta)
    except DataError as exc:
        raise DataError(p, exc.problem) from None


def save_long_csv(traj: Trajectories, path: str | os.PathLike, force: bool = False) -> Path:
    """Write ``traj`` as long-format CSV (atomic; refuses to overwrite without ``force``).

    Columns: ``traj_id, t, x, y``, ``press`` when recorded, then every metadata
    column repeated on each row. ``traj_id`` is the metadata column of that name
    when its values are unique, else the movement index.
    """
    n = len(traj)
    ids = traj.meta["traj_id"].to_numpy() if "traj_id" in traj.meta.columns else None
    if ids is None or pd.Series(ids).duplicated().any():
        ids = np.arange(n)
    seg = traj.segment_ids
    cols: dict[str, np.ndarray] = {"traj_id": ids[seg], "t": traj.t, "x": traj.x, "y": traj.y}
    if traj.press is not None:
        cols["press"] = traj.press.astype(np.int8)
    for col in traj.meta.columns:
        if col not in cols:
            cols[col] = traj.meta[col].to_numpy()[seg]
    buf = _io.StringIO()
    pd.DataFrame(cols).to_csv(buf, index=False, lineterminator="\n")
    with atomic_write(path, "w", force=force) as f:
        f.write(buf.getvalue())
    return Path(path)
