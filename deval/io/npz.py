"""Native ``.npz`` format: ragged CSR arrays, compressed, no pickles.

Layout (the one of SapiMouse-dev, see ``shared/data/README.md``):

* ``x``, ``y``, ``t`` float64 (P,), ``offsets`` int64 (N+1,), optional ``press`` bool (P,);
* one array of length N per metadata column; a string column ``c`` is stored as
  int64 indices in ``c`` plus the names in ``c_names`` (e.g. ``session`` /
  ``session_names``);
* 0-d string arrays are file-level attributes (``source``, ``origin``, ``params``).
"""

from __future__ import annotations

import io as _io
import os
import zipfile

import numpy as np
import pandas as pd

from deval.atomic import atomic_write
from deval.errors import DataError
from deval.trajectories import Trajectories

CORE_KEYS = ("x", "y", "t", "offsets")
#: Metadata arrays that must hold one entry per movement (a length mismatch is an error, not a dropped column).
PER_MOVEMENT_KEYS = ("user", "session", "label", "style", "click_end", "drag", "t_start", "account")
#: Metadata arrays of integer ids.
INTEGER_KEYS = ("user", "account", "label")
FORMAT_KEY = "deval_format"
FORMAT_VERSION = "1"


def load_npz(path: str | os.PathLike) -> Trajectories:
    """Read a native ``.npz`` file into :class:`Trajectories` (not yet validated)."""
    if not os.path.isfile(path):
        raise DataError(path, "no such file")
    if not zipfile.is_zipfile(path):  # np.load would try to read anything else as a pickle
        raise DataError(path, "not a readable .npz archive (not a zip file)")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(path, f"not a readable .npz archive ({exc.__class__.__name__}: {exc})") from None
    except ValueError as exc:
        raise DataError(path, f"cannot read: {exc}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataError(path, "expected an .npz archive of named arrays, found a single array")
    with npz:
        try:
            arrays = {k: npz[k] for k in npz.files}
        except ValueError as exc:
            if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                raise DataError(path, "contains pickled object arrays, which deval refuses to load") from None
            raise DataError(path, f"cannot read: {exc}") from None
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DataError(path, f"corrupt .npz archive ({exc})") from None
    missing = [k for k in CORE_KEYS if k not in arrays]
    if missing:
        raise DataError(path, f"missing array(s) {', '.join(missing)}; found {', '.join(sorted(arrays)) or 'none'}")
    for k in ("x", "y", "t"):  # no silent coercion: booleans, complex numbers and strings are not coordinates
        if arrays[k].dtype.kind not in "fiu":
            raise DataError(path, f"{k} must be real numbers (float or int), found dtype {arrays[k].dtype}")
    x, y, t = (np.asarray(arrays[k], dtype=np.float64) for k in ("x", "y", "t"))
    offsets = np.asarray(arrays["offsets"])
    if any(a.ndim != 1 for a in (x, y, t, offsets)) or offsets.size == 0:
        raise DataError(path, "x, y, t and offsets must be 1-D arrays")
    if not np.issubdtype(offsets.dtype, np.integer):
        raise DataError(path, f"offsets must be integers, found {offsets.dtype}")
    p, n = len(x), len(offsets) - 1
    if len(y) != p or len(t) != p:
        raise DataError(path, f"x, y, t lengths differ ({len(x)}, {len(y)}, {len(t)})")
    if n < 0 or offsets[0] != 0 or offsets[-1] != p or np.any(np.diff(offsets) < 0):
        raise DataError(path, "offsets must start at 0, not decrease, and end at the number of points")
    press = None
    meta: dict[str, np.ndarray] = {}
    attrs: dict[str, str] = {}
    for key, arr in arrays.items():
        if key in CORE_KEYS or key == FORMAT_KEY:
            continue
        if key == "press":
            if arr.shape != (p,):
                raise DataError(path, f"press has shape {arr.shape}, expected ({p},)")
            if arr.dtype.kind == "f" and not np.isin(arr, (0.0, 1.0)).all():
                raise DataError(path, "press must be 0/1 or boolean")
            if arr.dtype.kind not in "biuf":
                raise DataError(path, f"press must be 0/1 or boolean, found dtype {arr.dtype}")
            press = arr.astype(bool)
        elif arr.ndim == 0:
            attrs[key] = str(arr)
        elif key.endswith("_names") and key[: -len("_names")] in arrays:
            continue
        elif arr.ndim == 1 and key in PER_MOVEMENT_KEYS and len(arr) != n:
            raise DataError(path, f"{key} has {len(arr)} entries for {n} movements")
        elif arr.ndim == 1 and len(arr) == n:
            names = arrays.get(key + "_names")
            if key in INTEGER_KEYS and arr.dtype.kind == "f":
                ok = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2.0**62)
                if not ok.all():
                    raise DataError(path, f"{key} must hold whole-number ids; movement {int(np.argmin(ok))} "
                                          f"has {arr[np.argmin(ok)]}")
                arr = arr.astype(np.int64)
            elif key in INTEGER_KEYS and arr.dtype.kind not in "iub" and names is None:
                raise DataError(path, f"{key} must hold integer ids, found dtype {arr.dtype}")
            if names is not None and np.issubdtype(arr.dtype, np.integer):
                if arr.size and (arr.min() < 0 or arr.max() >= len(names)):
                    raise DataError(path, f"{key} indexes outside {key}_names")
                meta[key] = np.asarray(names).astype(str)[arr].astype(object)
            elif arr.dtype.kind == "U":
                meta[key] = arr.astype(object)
            else:
                meta[key] = arr
        # arrays of other shapes are ignored: they are not per-movement data
    try:
        return Trajectories(x, y, t, offsets.astype(np.int64), press, pd.DataFrame(meta) if meta else None, attrs)
    except DataError as exc:
        raise DataError(path, exc.problem) from None


def save_npz(traj: Trajectories, path: str | os.PathLike, force: bool = False) -> None:
    """Write ``traj`` to ``path`` in the native compressed layout, atomically."""
    arrays: dict[str, np.ndarray] = {
        "x": traj.x, "y": traj.y, "t": traj.t, "offsets": traj.offsets,
        FORMAT_KEY: np.array(FORMAT_VERSION),
    }
    if traj.press is not None:
        arrays["press"] = traj.press
    for col in traj.meta.columns:
        if col in arrays or col == "press" or col.endswith("_names"):
            raise DataError(path, f"metadata column {col!r} clashes with a reserved array name")
        values = traj.meta[col].to_numpy()
        if values.dtype == object or values.dtype.kind in "US":
            names, idx = np.unique(values.astype(str), return_inverse=True)
            arrays[col] = idx.astype(np.int64)
            arrays[col + "_names"] = names
        else:
            arrays[col] = values
    for k, v in traj.attrs.items():
        if k not in arrays:
            arrays[k] = np.array(str(v))
    buf = _io.BytesIO()
    np.savez_compressed(buf, **arrays)
    with atomic_write(path, "wb", force=force) as f:
        f.write(buf.getvalue())
