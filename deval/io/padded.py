"""Padded ``[N, T, C]`` ``.npy`` arrays, the layout most sequence models use.

Row ``i`` holds movement ``i``; its real points come first and the rest of the
row is padding. Where the padding is, is told by (first match wins):

1. the ``lengths=`` option (an int array ``(N,)`` or the path of a ``.npy``);
2. the ``mask=`` option (a bool array ``(N, T)``, True on real points, or a path);
3. a sibling file ``<stem>_lengths.npy``, then ``<stem>_mask.npy``;
4. ``pad_value=`` (trailing rows whose channels all equal it are padding);
5. NaN padding: trailing rows whose channels are all NaN;
6. otherwise every row is full (``T`` points each).

Channels are named by ``channels=`` (``"x,y"``, ``"x,y,t"``, ``"dx,dy,dt"``,
``"x,y,t,press"``, ``"x,y,dt"`` (positions with the time step since the point
before)...; ``"_"`` skips a channel, and channels deval derives again --
``speed``, ``acceleration``, ``heading_sin``, ``angular_velocity``, ... -- are
accepted by name and ignored) or guessed from ``C``:
2 -> ``x,y``, 3 -> ``x,y,t``, 4 -> ``x,y,t,press``. Without a time channel the
points are ``1 / rate_hz`` seconds apart. Delta channels (``dx, dy[, dt]``) are
steps: a row of ``L`` real steps becomes ``L + 1`` points starting at ``(0, 0)``
and time 0 (the convention of :func:`deval.canonical.from_deltas`).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from deval.errors import DataError
from deval.trajectories import Trajectories


#: channel name sets accepted by :func:`parse_channels`
KNOWN_CHANNELS = ("x", "y", "t", "dx", "dy", "dt", "press", "_")
#: channels deval derives again from positions and times: accepted by name and ignored
DERIVED_CHANNELS = ("speed", "acceleration", "jerk", "heading", "heading_sin", "heading_cos", "angular_velocity",
                    "curvature", "distance")
DEFAULT_CHANNELS = {2: ("x", "y"), 3: ("x", "y", "t"), 4: ("x", "y", "t", "press")}
TIME_UNITS = {"s": 1.0, "ms": 1e-3}


def to_numpy(a: Any, dtype=None) -> np.ndarray:
    """A NumPy copy/view of an array-like or a torch tensor (detached, on the CPU)."""
    if hasattr(a, "detach") and hasattr(a, "cpu") and hasattr(a, "numpy"):
        a = a.detach().cpu()
        if dtype is not None and str(getattr(a, "dtype", "")) == "torch.bfloat16":
            a = a.float()
        a = a.numpy()
    return np.asarray(a, dtype=dtype)


def read_npy(path: str | os.PathLike, what: str = "array") -> np.ndarray:
    """Read a ``.npy`` file safely (no pickles) and check that it is numeric.

    Raises
    ------
    DataError
        Missing, empty, corrupt, pickled (object) or non-numeric file.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(p, f"no such {what} file" if not p.exists() else f"{what} path is not a file")
    if p.stat().st_size == 0:
        raise DataError(p, "empty file")
    try:
        arr = np.load(p, allow_pickle=False)
    except ValueError as exc:
        msg = str(exc)
        if "pickle" in msg.lower() or "object" in msg.lower():
            raise DataError(p, "contains a pickled object array, which deval refuses to load") from None
        raise DataError(p, f"not a readable .npy array ({msg})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(p, f"not a readable .npy array ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(arr, np.ndarray):
        raise DataError(p, "expected a single .npy array, found an .npz archive")
    if arr.dtype.kind not in "biuf":
        raise DataError(p, f"{what} must be numeric, found dtype {arr.dtype}")
    return arr


def parse_channels(channels: str | Sequence[str] | None, n_channels: int, source: str | os.PathLike) -> tuple[str, ...]:
    """Channel names for ``n_channels`` columns (``"x,y,t"`` or a sequence, or a guess).

    Raises
    ------
    DataError
        Unknown names, a count that does not match, or an inconsistent set
        (positions mixed with deltas, missing x/y, repeated names).
    """
    if channels is None:
        if n_channels not in DEFAULT_CHANNELS:
            raise DataError(
                source, f"cannot guess the meaning of {n_channels} channels; describe them in a layout file "
                        f"(layout.yaml next to the data, or deval --layout FILE) or name them with deval -O "
                        f"channels=x,y,t,... (in Python: channels=)"
            )
        return DEFAULT_CHANNELS[n_channels]
    names = tuple(c.strip().lower() for c in (channels.split(",") if isinstance(channels, str) else channels))
    unknown = [c for c in names if c not in KNOWN_CHANNELS and c not in DERIVED_CHANNELS]
    if unknown:
        raise DataError(source, f"unknown channel name(s) {unknown}; known: {', '.join(KNOWN_CHANNELS)} "
                                f"(and, ignored: {', '.join(DERIVED_CHANNELS)})")
    names = tuple("_" if c in DERIVED_CHANNELS else c for c in names)
    if len(names) != n_channels:
        raise DataError(source, f"channels {','.join(names)} name {len(names)} channels, the array has {n_channels}")
    named = [c for c in names if c != "_"]
    if len(set(named)) != len(named):
        raise DataError(source, f"repeated channel name in {','.join(names)}")
    s = set(named)
    if not ({"x", "y"} <= s or {"dx", "dy"} <= s):
        raise DataError(source, f"channels {','.join(names)} need x,y or dx,dy")
    if s & {"x", "y"} and s & {"dx", "dy"} or ("t" in s and s & {"dx", "dy", "dt"}):
        raise DataError(source, f"channels {','.join(names)} mix positions (x, y, t) with steps (dx, dy, dt)")
    return names


def _read_aux(value: np.ndarray | str | os.PathLike, what: str, source: Path) -> np.ndarray:
    """An option that is either an array or the path of a ``.npy`` file."""
    if isinstance(value, (str, os.PathLike)):
        p = Path(value)
        if not p.is_absolute() and not p.exists():
            p = source.parent / p  # relative to the data file
        return read_npy(p, what)
    return np.asarray(value)


def _lengths_from_pad(is_pad: np.ndarray) -> np.ndarray:
    """Real points per row when ``is_pad`` ``(N, T)`` marks padding (trailing run only)."""
    trailing = np.cumprod(is_pad[:, ::-1], axis=1).sum(axis=1)
    return is_pad.shape[1] - trailing


def _padding_mask(
    values: np.ndarray,
    p: Path,
    lengths: np.ndarray | str | os.PathLike | None,
    mask: np.ndarray | str | os.PathLike | None,
    pad_value: float | None,
) -> np.ndarray:
    """Boolean ``(N, T)`` mask of real points (see the module docstring for the rules)."""
    n, tmax, _ = values.shape
    sibling_len = p.with_name(f"{p.stem}_lengths.npy")
    sibling_mask = p.with_name(f"{p.stem}_mask.npy")
    if lengths is None and mask is None:
        if sibling_len.is_file():
            lengths = sibling_len
        elif sibling_mask.is_file():
            mask = sibling_mask
    if lengths is not None:
        src = lengths if isinstance(lengths, (str, os.PathLike)) else "lengths="
        lens = _read_aux(lengths, "lengths", p)
        if lens.shape != (n,):
            raise DataError(p, f"lengths ({src}) has shape {lens.shape}, expected ({n},)")
        if lens.dtype.kind == "f" and not np.all(np.isfinite(lens) & (lens == np.round(lens))):
            raise DataError(p, f"lengths ({src}) must be whole numbers")
        lens = lens.astype(np.int64)
        if lens.size and (lens.min() < 0 or lens.max() > tmax):
            raise DataError(p, f"lengths ({src}) must lie in 0..{tmax}; found {lens.min()}..{lens.max()}")
        return np.arange(tmax)[None, :] < lens[:, None]
    if mask is not None:
        src = mask if isinstance(mask, (str, os.PathLike)) else "mask="
        m = _read_aux(mask, "mask", p)
        if m.shape != (n, tmax):
            raise DataError(p, f"mask ({src}) has shape {m.shape}, expected ({n}, {tmax})")
        if m.dtype != bool and not np.isin(m, (0, 1)).all():
            raise DataError(p, f"mask ({src}) must hold booleans or 0/1")
        return m.astype(bool)
    if pad_value is not None and not np.isnan(pad_value):
        lens = _lengths_from_pad(np.all(values == float(pad_value), axis=2))
        return np.arange(tmax)[None, :] < lens[:, None]
    all_nan = np.all(np.isnan(values), axis=2)
    if all_nan.any():
        lens = _lengths_from_pad(all_nan)
        keep = np.arange(tmax)[None, :] < lens[:, None]
        inner = np.flatnonzero((all_nan & keep).any(axis=1))
        if inner.size:
            raise DataError(p, f"row {inner[0]} has NaN points before its last real point (NaN padding must be trailing)")
        return keep
    return np.ones((n, tmax), dtype=bool)


def load_padded(
    path: str | os.PathLike,
    *,
    lengths: np.ndarray | str | os.PathLike | None = None,
    mask: np.ndarray | str | os.PathLike | None = None,
    channels: str | Sequence[str] | None = None,
    rate_hz: float = 60.0,
    time_unit: str = "s",
    pad_value: float | None = None,
) -> Trajectories:
    """Read a padded ``[N, T, C]`` ``.npy`` file (see the module docstring).

    Parameters
    ----------
    path : path-like
        The ``.npy`` file, float or int, shape ``(N, T, C)``.
    lengths : int array (N,) or path, optional
        Real points per row.
    mask : bool array (N, T) or path, optional
        True on real points.
    channels : str or sequence of str, optional
        Meaning of the C channels, e.g. ``"x,y,t"`` or ``"dx,dy,dt,press"``.
    rate_hz : float
        Sampling rate used when there is no time channel (default 60 Hz).
    time_unit : {"s", "ms"}
        Unit of the ``t``/``dt`` channel.
    pad_value : float, optional
        Value that fills padded rows (e.g. 0), when no lengths or mask exist.

    Returns
    -------
    Trajectories
        Pixels and seconds from each movement's start; not yet validated.
    """
    p = Path(path)
    values = read_npy(p, "padded array")
    return padded_to_trajectories(values, p, lengths=lengths, mask=mask, channels=channels, rate_hz=rate_hz,
                                  time_unit=time_unit, pad_value=pad_value)


def padded_to_trajectories(
    values: np.ndarray,
    p: Path,
    *,
    lengths: np.ndarray | str | os.PathLike | None = None,
    mask: np.ndarray | str | os.PathLike | None = None,
    channels: str | Sequence[str] | None = None,
    rate_hz: float = 60.0,
    time_unit: str = "s",
    pad_value: float | None = None,
) -> Trajectories:
    """:func:`load_padded` on an array already read from ``p`` (the name used in messages)."""
    if values.ndim != 3:
        raise DataError(p, f"a padded array must be [N, T, C]; found shape {values.shape}")
    n, tmax, c = values.shape
    if n == 0 or tmax == 0:
        raise DataError(p, f"no movements (shape {values.shape})")
    names = parse_channels(channels, c, p)
    if rate_hz is None or not np.isfinite(rate_hz) or rate_hz <= 0:
        raise DataError(p, f"rate_hz must be a positive number, got {rate_hz}")
    if time_unit not in TIME_UNITS:
        raise DataError(p, f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}")
    values = values.astype(np.float64, copy=False)
    keep = _padding_mask(values, p, lengths, mask, pad_value)
    real = values[keep]
    if not np.isfinite(real).all():
        row = int(np.flatnonzero((~np.isfinite(values) & keep[..., None]).any(axis=(1, 2)))[0])
        raise DataError(p, f"non-finite value (NaN or inf) in movement {row}")
    idx = {name: i for i, name in enumerate(names) if name != "_"}
    press_steps = values[..., idx["press"]] > 0.5 if "press" in idx else None

    if "dx" in idx:
        from deval.canonical import from_deltas

        dt = (
            values[..., idx["dt"]] * TIME_UNITS[time_unit]
            if "dt" in idx
            else np.full((n, tmax), 1.0 / rate_hz)
        )
        steps = np.stack([values[..., idx["dx"]], values[..., idx["dy"]], dt], axis=2)
        traj = from_deltas(steps, keep)
        if press_steps is None:
            return traj
        full_keep = np.concatenate([np.ones((n, 1), dtype=bool), keep], axis=1)
        press = np.concatenate([press_steps[:, :1], press_steps], axis=1)[full_keep]
        return Trajectories(traj.x, traj.y, traj.t, traj.offsets, press, traj.meta)

    lens = keep.sum(axis=1)
    within = np.cumsum(keep, axis=1)[keep] - 1  # position of each real point in its movement
    if "t" in idx:
        t_all = values[..., idx["t"]] * TIME_UNITS[time_unit]
        t0 = t_all[np.arange(n), np.argmax(keep, axis=1)]  # time of each row's first real point
        t = t_all[keep] - np.repeat(t0, lens)
    elif "dt" in idx:  # positions with a per-point time step (the time since the point before)
        dt_all = np.where(keep, values[..., idx["dt"]] * TIME_UNITS[time_unit], 0.0)
        dt_all[np.arange(n), np.argmax(keep, axis=1)] = 0.0  # a row's first point starts its clock
        t = np.cumsum(dt_all, axis=1)[keep]
    else:
        t = within / float(rate_hz)
    press = press_steps[keep] if press_steps is not None else None
    return Trajectories.from_arrays(
        values[..., idx["x"]][keep], values[..., idx["y"]][keep], t, lengths=lens, press=press,
    )


def save_padded(
    traj: Trajectories,
    path: str | os.PathLike,
    channels: Sequence[str] = ("x", "y", "t"),
    force: bool = False,
) -> Path:
    """Write ``traj`` as a NaN-padded ``[N, T, C]`` ``.npy`` (atomic).

    Padding rows are NaN, so :func:`load_padded` finds the lengths by itself.
    """
    from deval.atomic import atomic_write

    values, mask = traj.to_padded(channels=channels, fill=np.nan)
    with atomic_write(path, "wb", force=force) as f:
        np.save(f, values, allow_pickle=False)
    return Path(path)
