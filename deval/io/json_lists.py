"""JSON lists of movements.

Accepted layouts of the top level:

* a list of movements;
* an object whose ``"movements"`` key holds that list (its other string/number
  keys become file-level ``attrs``);
* **one movement** as an object (``{"x": [...], "y": [...], "t": [...]}`` or
  ``{"points": [...]}``), as loggers write one file per movement;
* a **dict of sessions** keyed by id, each value a list of movements or one
  movement; the key becomes the ``session`` metadata of its movements;
* a **folder** of such ``.json`` files (read in name order; the file name
  becomes the ``session`` of movements that carry none).

Movements:

* a movement is a list of points ``[x, y]``, ``[x, y, t]`` or ``[x, y, t, press]``;
* or an object ``{"points": [...], "style": ..., "user": ..., ...}`` whose other
  keys become per-movement metadata;
* or an object of columns ``{"x": [...], "y": [...], "t": [...]}`` (``t`` and
  ``press`` optional), again with metadata keys.

All movements must use the same point width. ``t`` is in seconds
(``time_unit="ms"`` for milliseconds) and is made relative to each movement's
first point; without ``t`` the points are ``1 / rate_hz`` seconds apart.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deval.atomic import atomic_write
from deval.errors import DataError
from deval.io.long_csv import coerce_meta
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

TIME_UNITS = {"s": 1.0, "ms": 1e-3}
POINT_KEYS = ("points", "x", "y", "t", "press")


def _movement_points(mv: Any, i: int, source: Path) -> tuple[Any, dict]:
    """The point rows (a list of lists, or a column dict) and metadata of movement ``i``."""
    if isinstance(mv, list):
        return mv, {}
    if isinstance(mv, dict):
        meta = {k: v for k, v in mv.items() if k not in POINT_KEYS}
        if "points" in mv:
            if not isinstance(mv["points"], list):
                raise DataError(source, f"movement {i}: 'points' must be a list of [x, y(, t)] points")
            return mv["points"], meta
        if "x" in mv and "y" in mv:
            cols = [mv["x"], mv["y"]] + [mv[k] for k in ("t", "press") if k in mv]
            if "press" in mv and "t" not in mv:
                raise DataError(source, f"movement {i}: a 'press' column needs a 't' column")
            if not all(isinstance(c, list) for c in cols) or len({len(c) for c in cols}) != 1:
                raise DataError(source, f"movement {i}: x, y(, t, press) must be lists of the same length")
            return [list(r) for r in zip(*cols)], meta
        raise DataError(source, f"movement {i}: an object needs 'points' or 'x' and 'y'")
    raise DataError(
        source, f"movement {i}: expected a list of [x, y] / [x, y, t] points or an object with 'points'; "
        f"found {type(mv).__name__}"
    )


def _is_movement(obj: Any) -> bool:
    return isinstance(obj, dict) and ("points" in obj or ("x" in obj and "y" in obj))


def _read_json(p: Path) -> Any:
    if p.stat().st_size == 0:
        raise DataError(p, "empty file")
    try:
        with open(p, "r", encoding="utf-8-sig") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise DataError(p, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise DataError(p, "JSON nested too deeply to be a list of movements") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise DataError(p, f"cannot read as UTF-8 JSON text ({exc.__class__.__name__})") from None


def _movements_of(data: Any, p: Path, attrs: dict) -> list:
    """The list of movements of one parsed JSON document (see the module docstring)."""
    if isinstance(data, list):
        return data
    if _is_movement(data):
        return [data]
    if isinstance(data, dict) and "movements" in data:
        attrs.update({str(k): str(v) for k, v in data.items()
                      if k != "movements" and isinstance(v, (str, int, float))})
        if not isinstance(data["movements"], list):
            raise DataError(p, f"'movements' must be a list, found {type(data['movements']).__name__}")
        return data["movements"]
    def session_like(v: Any) -> bool:
        return _is_movement(v) or (isinstance(v, list) and bool(v) and isinstance(v[0], (list, dict)))

    if isinstance(data, dict) and data and all(session_like(v) for v in data.values()):
        out = []
        for key, value in data.items():  # a dict of sessions
            for mv in (value if isinstance(value, list) and not _is_movement(value) else [value]):
                if isinstance(mv, dict):
                    mv = {"session": str(key), **mv}
                elif isinstance(mv, list):
                    mv = {"session": str(key), "points": mv}
                out.append(mv)
        return out
    if isinstance(data, dict):
        raise DataError(p, "a JSON object must be one movement ('x' and 'y', or 'points'), have a 'movements' "
                           "list, or map session ids to movements; found keys " + ", ".join(map(str, list(data)[:8])))
    raise DataError(p, f"expected a list of movements, found {type(data).__name__}")


def load_json_lists(path: str | os.PathLike, *, rate_hz: float = 60.0, time_unit: str = "s") -> Trajectories:
    """Read JSON movements: one file or a folder of files (see the module docstring).

    Parameters
    ----------
    path : path-like
        A ``.json`` file, or a folder of them.
    rate_hz : float
        Sampling rate when points have no time (default 60 Hz).
    time_unit : {"s", "ms"}
        Unit of the point times.

    Returns
    -------
    Trajectories
        Not yet validated.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(p, "no such file")
    if time_unit not in TIME_UNITS:
        raise DataError(p, f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}")
    if rate_hz is None or not np.isfinite(rate_hz) or rate_hz <= 0:
        raise DataError(p, f"rate_hz must be a positive number, got {rate_hz}")
    attrs: dict[str, str] = {}
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".json" and f.is_file())
        if not files:
            raise DataError(p, "a folder of JSON movements holds no .json files")
        data = []
        for f in files:
            for mv in _movements_of(_read_json(f), f, {}):
                if isinstance(mv, dict) and "session" not in mv:
                    mv = {"session": f.stem, **mv}
                elif isinstance(mv, list):
                    mv = {"session": f.stem, "points": mv}
                data.append(mv)
    else:
        data = _movements_of(_read_json(p), p, attrs)
    if not data:
        raise DataError(p, "no movements (empty list)")

    parsed = [_movement_points(mv, i, p) for i, mv in enumerate(data)]
    lengths = np.fromiter((len(pts) for pts, _ in parsed), dtype=np.int64, count=len(parsed))
    flat = list(itertools.chain.from_iterable(pts for pts, _ in parsed))
    if not flat:
        raise DataError(p, "every movement is empty")
    try:
        arr = np.array(flat, dtype=np.float64)
    except (TypeError, ValueError):
        widths = {len(pt) if isinstance(pt, (list, tuple)) else -1 for pt in flat}
        if len(widths) > 1:
            raise DataError(p, f"points have different sizes {sorted(widths)}; use [x, y] or [x, y, t] throughout") from None
        raise DataError(p, "points must be lists of numbers ([x, y] or [x, y, t])") from None
    if arr.ndim != 2 or arr.shape[1] not in (2, 3, 4):
        raise DataError(p, f"points must be [x, y], [x, y, t] or [x, y, t, press]; found shape {arr.shape[1:]}")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        mv = int(np.searchsorted(np.cumsum(lengths), bad, side="right"))
        raise DataError(p, f"non-finite or null value in movement {mv}")
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    if arr.shape[1] >= 3:
        t = arr[:, 2] * TIME_UNITS[time_unit]
        t = t - np.repeat(t[np.minimum(first, len(t) - 1)], lengths)
    else:
        t = (np.arange(len(arr)) - np.repeat(first, lengths)) / float(rate_hz)
    press = arr[:, 3] > 0.5 if arr.shape[1] == 4 else None
    metas = [m for _, m in parsed]
    meta = coerce_meta(pd.DataFrame(metas), p) if any(metas) else None
    try:
        return Trajectories.from_arrays(arr[:, 0], arr[:, 1], t, lengths=lengths, press=press, meta=meta, attrs=attrs)
    except (DataError, ValueError, TypeError) as exc:
        raise DataError(p, f"bad movement metadata ({getattr(exc, 'problem', exc)})") from None


def save_json_lists(traj: Trajectories, path: str | os.PathLike, force: bool = False) -> Path:
    """Write ``traj`` as ``{"movements": [{"points": [[x, y, t], ...], <meta>}, ...]}`` (atomic)."""
    meta = traj.meta.to_dict(orient="records")
    movements = []
    for i, m in enumerate(meta):  # JSON is built per movement; this is an export, not a hot path
        s = slice(traj.offsets[i], traj.offsets[i + 1])
        pts = np.column_stack([traj.x[s], traj.y[s], traj.t[s]]).tolist()
        movements.append({"points": pts, **{k: (v.item() if hasattr(v, "item") else v) for k, v in m.items()}})
    text = json.dumps({"movements": movements, **traj.attrs})
    with atomic_write(path, "w", force=force) as f:
        f.write(text)
    return Path(path)
