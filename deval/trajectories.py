"""deval's one data type: a batch of variable-length pointer movements.

:class:`Trajectories` stores N movements in a ragged (CSR) layout: the points
of all movements are concatenated in flat float64 arrays ``x``, ``y`` (screen
pixels, y grows downwards) and ``t`` (seconds from each movement's own start),
and ``offsets`` (int64, length N+1) says where each movement begins: movement
``i`` is ``slice(offsets[i], offsets[i+1])``. An optional boolean ``press``
marks points where a button is held. Per-movement metadata live in a
:class:`pandas.DataFrame` ``meta`` with N rows; the standard columns are

========  =======  ===========================================================
column    dtype    meaning
========  =======  ===========================================================
style     str      generator / source name (``"human"`` for real data)
user      int64    person id, -1 when unknown
session   str      session name, ``""`` when unknown
label     int64    0 = human, 1 = bot
========  =======  ===========================================================

and any further columns (``click_end``, ``t_start``...) are carried along.
File-level strings (``source``, ``origin``, ``params``) are kept in ``attrs``.

Arrays are treated as immutable: every operation returns a new object and
may share memory with the old one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from deval.errors import DataError

HUMAN, BOT = 0, 1
STANDARD_META = ("style", "user", "session", "label")


def _default_meta(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "style": np.full(n, "human", dtype=object),
            "user": np.full(n, -1, dtype=np.int64),
            "session": np.full(n, "", dtype=object),
            "label": np.zeros(n, dtype=np.int64),
        }
    )


def _complete_meta(meta: pd.DataFrame | dict | None, n: int) -> pd.DataFrame:
    """Return a fresh DataFrame with N rows and the standard columns first."""
    if (
        isinstance(meta, pd.DataFrame) and len(meta) == n and tuple(meta.columns[:4]) == STANDARD_META
        and meta["user"].dtype == np.int64 and meta["label"].dtype == np.int64
        and meta["style"].dtype == object and meta["session"].dtype == object
        and isinstance(meta.index, pd.RangeIndex) and meta.index.start == 0 and meta.index.step == 1
    ):
        return meta  # already complete (the common case when slicing): share it, frames are not mutated
    base = _default_meta(n)
    if meta is None:
        return base
    meta = pd.DataFrame(meta).reset_index(drop=True)
    if len(meta) != n and len(meta.columns):
        raise DataError(None, f"metadata has {len(meta)} rows for {n} movements")
    for col in meta.columns:
        base[col] = meta[col].to_numpy()
    base["style"] = base["style"].astype(str).astype(object)
    base["session"] = base["session"].astype(str).astype(object)
    base["user"] = base["user"].astype(np.int64)
    base["label"] = base["label"].astype(np.int64)
    return base


@dataclass(frozen=True, eq=False)
class Trajectories:
    """A batch of N pointer movements in CSR layout (see module docstring).

    Build one with :meth:`from_arrays` (flat arrays + offsets),
    :meth:`from_list` (a list of per-movement ``(T_i, 2 or 3)`` arrays) or
    :meth:`from_padded`; read one from a file with :func:`deval.io.load_trajectories`.

    Attributes
    ----------
    x, y : ndarray, float64, shape (P,)
        Screen coordinates in pixels of all points.
    t : ndarray, float64, shape (P,)
        Seconds since the start of the point's movement.
    offsets : ndarray, int64, shape (N+1,)
        CSR offsets; ``offsets[0] == 0`` and ``offsets[-1] == P``.
    press : ndarray of bool, shape (P,), or None
        Button held at each point, if recorded.
    meta : DataFrame, N rows
        Per-movement metadata (``style``, ``user``, ``session``, ``label``, ...).
    attrs : dict of str
        File-level descriptive strings (``source``, ``origin``, ``params``).
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    offsets: np.ndarray
    press: np.ndarray | None = None
    meta: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    attrs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "x", np.asarray(self.x, dtype=np.float64).reshape(-1))
        set_(self, "y", np.asarray(self.y, dtype=np.float64).reshape(-1))
        set_(self, "t", np.asarray(self.t, dtype=np.float64).reshape(-1))
        set_(self, "offsets", np.asarray(self.offsets, dtype=np.int64).reshape(-1))
        if self.press is not None:
            set_(self, "press", np.asarray(self.press).astype(bool).reshape(-1))
        if len(self.offsets) == 0:
            raise DataError(None, "offsets must have at least one entry")
        n = len(self.offsets) - 1
        set_(self, "meta", _complete_meta(self.meta, n))
        set_(self, "attrs", {str(k): str(v) for k, v in dict(self.attrs).items()})
        p = len(self.x)
        if len(self.y) != p or len(self.t) != p:
            raise DataError(None, f"x, y, t lengths differ ({p}, {len(self.y)}, {len(self.t)})")
        if self.press is not None and len(self.press) != p:
            raise DataError(None, f"press has {len(self.press)} points, x has {p}")
        if self.offsets[0] != 0 or self.offsets[-1] != p or np.any(np.diff(self.offsets) < 0):
            raise DataError(None, "offsets must start at 0, end at the number of points and not decrease")

    # ------------------------------------------------------------------ build
    @classmethod
    def from_arrays(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        t: np.ndarray,
        offsets: np.ndarray | None = None,
        *,
        lengths: np.ndarray | None = None,
        press: np.ndarray | None = None,
        meta: pd.DataFrame | dict | None = None,
        attrs: dict | None = None,
    ) -> "Trajectories":
        """Build from flat point arrays and either ``offsets`` or ``lengths``."""
        if offsets is None:
            if lengths is None:
                raise ValueError("give offsets or lengths")
            offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
        return cls(x, y, t, offsets, press, meta, attrs or {})

    @classmethod
    def from_list(
        cls,
        movements: Sequence[np.ndarray],
        *,
        press: Sequence[np.ndarray] | None = None,
        meta: pd.DataFrame | dict | None = None,
        attrs: dict | None = None,
        dt: float = 1 / 60,
    ) -> "Trajectories":
        """Build from a list of ``(T_i, 2)`` (x, y) or ``(T_i, 3)`` (x, y, t) arrays.

        Without a time column, points are spaced ``dt`` seconds apart.
        """
        arrs = [np.asarray(m, dtype=np.float64) for m in movements]
        lengths = np.array([len(a) for a in arrs], dtype=np.int64)
        if not arrs:
            return cls.empty()
        cols = {a.shape[1] if a.ndim == 2 else -1 for a in arrs}
        if len(cols) != 1 or cols.pop() not in (2, 3):
            raise DataError(None, "every movement must be a (T, 2) or (T, 3) array")
        flat = np.concatenate(arrs, axis=0)
        if flat.shape[1] == 3:
            t = flat[:, 2]
        else:
            starts = np.repeat(np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
            t = (np.arange(len(flat)) - starts) * dt
        pr = None if press is None else np.concatenate([np.asarray(p, bool) for p in press])
        return cls.from_arrays(flat[:, 0], flat[:, 1], t, lengths=lengths, press=pr, meta=meta, attrs=attrs)

    @classmethod
    def from_padded(
        cls,
        values: np.ndarray,
        lengths: np.ndarray | None = None,
        *,
        mask: np.ndarray | None = None,
        channels: Sequence[str] = ("x", "y", "t"),
        meta: pd.DataFrame | dict | None = None,
        attrs: dict | None = None,
    ) -> "Trajectories":
        """Inverse of :meth:`to_padded`: ``values`` is ``[N, T, C]`` with a mask or lengths.

        ``channels`` names each channel among ``x``, ``y``, ``t``, ``press``.
        Padding must sit at the end of each row.
        """
        values = np.asarray(values, dtype=np.float64)
        n, tmax, _ = values.shape
        if mask is None:
            if lengths is None:
                lengths = np.full(n, tmax, dtype=np.int64)
            lengths = np.asarray(lengths, dtype=np.int64)
            mask = np.arange(tmax)[None, :] < lengths[:, None]
        mask = np.asarray(mask, dtype=bool)
        lengths = mask.sum(axis=1)
        idx = {c: i for i, c in enumerate(channels)}
        flat = values[mask]
        press = flat[:, idx["press"]] > 0.5 if "press" in idx else None
        return cls.from_arrays(
            flat[:, idx["x"]], flat[:, idx["y"]], flat[:, idx["t"]], lengths=lengths,
            press=press, meta=meta, attrs=attrs,
        )

    @classmethod
    def empty(cls) -> "Trajectories":
        """A batch with no movements."""
        z = np.zeros(0)
        return cls(z, z, z, np.zeros(1, dtype=np.int64))

    @classmethod
    def concat(cls, parts: Iterable["Trajectories"]) -> "Trajectories":
        """Concatenate batches; metadata columns are unioned, ``attrs`` taken from the first."""
        parts = list(parts)
        if not parts:
            return cls.empty()
        lengths = np.concatenate([p.lengths for p in parts])
        has_press = any(p.press is not None for p in parts)
        press = (
            np.concatenate([p.press if p.press is not None else np.zeros(p.n_points, bool) for p in parts])
            if has_press
            else None
        )
        meta = pd.concat([p.meta for p in parts], ignore_index=True)
        for col in meta.columns:  # a column missing in some parts
            missing = meta[col].isna()
            if missing.any() and col not in STANDARD_META:
                present = meta.loc[~missing, col]
                if len(present) and all(isinstance(v, str) for v in present):
                    meta[col] = meta[col].where(~missing, "").astype(str)  # a text column: empty, not "nan"
                elif not pd.api.types.is_float_dtype(meta[col]):
                    meta[col] = meta[col].astype(object)  # keeps integer values where present (floats keep NaN)
        return cls.from_arrays(
            np.concatenate([p.x for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.t for p in parts]),
            lengths=lengths, press=press, meta=meta, attrs=parts[0].attrs,
        )

    # ------------------------------------------------------------------ sizes
    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_points(self) -> int:
        """Total number of points P."""
        return int(self.offsets[-1])

    @property
    def lengths(self) -> np.ndarray:
        """Points per movement, int64 (N,)."""
        return np.diff(self.offsets)

    @property
    def segment_ids(self) -> np.ndarray:
        """Movement index of every point, int64 (P,)."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    @property
    def first_index(self) -> np.ndarray:
        """Index of each movement's first point, (N,)."""
        return self.offsets[:-1]

    @property
    def last_index(self) -> np.ndarray:
        """Index of each movement's last point, (N,); -1 for empty movements."""
        return self.offsets[1:] - 1

    @property
    def durations(self) -> np.ndarray:
        """Seconds from first to last point of each movement, (N,)."""
        out = np.zeros(len(self))
        ok = self.lengths > 0
        out[ok] = self.t[self.last_index[ok]] - self.t[self.first_index[ok]]
        return out

    @property
    def start(self) -> np.ndarray:
        """First point of each movement in pixels, (N, 2)."""
        i = self.first_index
        return np.column_stack([self.x[i], self.y[i]])

    @property
    def end(self) -> np.ndarray:
        """Last point of each movement in pixels, (N, 2)."""
        i = self.last_index
        return np.column_stack([self.x[i], self.y[i]])

    def endpoints(self) -> "Endpoints":
        """Start/end points, durations and point counts as an :class:`Endpoints`."""
        return Endpoints(self.start, self.end, self.durations, self.lengths.copy())

    @property
    def style(self) -> np.ndarray:
        """Style name of every movement, (N,) object array."""
        return self.meta["style"].to_numpy()

    @property
    def label(self) -> np.ndarray:
        """0 = human, 1 = bot, (N,) int64."""
        return self.meta["label"].to_numpy()

    @property
    def user(self) -> np.ndarray:
        """User id of every movement, (N,) int64 (-1 unknown)."""
        return self.meta["user"].to_numpy()

    def movement(self, i: int) -> np.ndarray:
        """Points of movement ``i`` as a ``(T_i, 3)`` array of x, y, t."""
        s = slice(self.offsets[i], self.offsets[i + 1])
        return np.column_stack([self.x[s], self.y[s], self.t[s]])

    def __iter__(self):
        for i in range(len(self)):
            yield self.movement(i)

    def __repr__(self) -> str:
        styles = ", ".join(f"{k}: {v}" for k, v in self.meta["style"].value_counts().items())
        return f"Trajectories(n={len(self)}, points={self.n_points}, styles={{{styles}}})"

    # --------------------------------------------------------------- indexing
    def __getitem__(self, key: Any) -> "Trajectories":
        """Select movements by int, slice, boolean mask or integer array."""
        n = len(self)
        if isinstance(key, (int, np.integer)):
            k = int(key)
            if not -n <= k < n:
                raise IndexError(f"movement {key} out of range for {n} movements")
            idx = np.array([k % n])
        elif isinstance(key, slice):
            idx = np.arange(n)[key]
        else:
            key = np.asarray(key)
            if key.dtype == bool:
                if key.shape != (n,):
                    raise IndexError(f"boolean mask of shape {key.shape} for {n} movements")
                idx = np.flatnonzero(key)
            else:
                idx = key.astype(np.int64).reshape(-1)
                if idx.size and (idx.min() < -n or idx.max() >= n):
                    raise IndexError(f"movement index out of range for {n} movements")
                idx = idx % n if idx.size else idx
        return self.take(idx)

    def take(self, idx: np.ndarray) -> "Trajectories":
        """Movements ``idx`` (int array, any order, repeats allowed)."""
        idx = np.asarray(idx, dtype=np.int64)
        lengths = self.lengths[idx]
        if idx.size and np.array_equal(idx, np.arange(idx[0], idx[0] + len(idx))):
            pts = slice(self.offsets[idx[0]], self.offsets[idx[-1] + 1])  # contiguous: views
        else:
            starts = np.repeat(self.offsets[idx], lengths)
            within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            pts = starts + within
        return Trajectories(
            self.x[pts], self.y[pts], self.t[pts],
            np.concatenate([[0], np.cumsum(lengths)]),
            None if self.press is None else self.press[pts],
            self.meta.iloc[idx].reset_index(drop=True), self.attrs,
        )

    def subsample(self, n: int, seed: int | None = 0) -> "Trajectories":
        """At most ``n`` movements drawn without replacement (order kept)."""
        if n >= len(self):
            return self
        rng = np.random.default_rng(seed)
        return self.take(np.sort(rng.choice(len(self), size=n, replace=False)))

    def with_meta(self, **columns: Any) -> "Trajectories":
        """A copy with metadata columns set (scalars are broadcast)."""
        meta = self.meta.copy()
        for k, v in columns.items():
            arr = np.asarray(v)
            if arr.ndim == 0:
                arr = np.full(len(self), v, dtype=object if isinstance(v, str) else arr.dtype)
            meta[k] = arr
        return Trajectories(self.x, self.y, self.t, self.offsets, self.press, meta, self.attrs)

    def with_points(self, x: np.ndarray, y: np.ndarray, t: np.ndarray | None = None) -> "Trajectories":
        """A copy with new point arrays (same offsets, press and metadata)."""
        return Trajectories(x, y, self.t if t is None else t, self.offsets, self.press, self.meta, self.attrs)

    # ---------------------------------------------------------------- export
    def to_padded(
        self,
        max_len: int | None = None,
        channels: Sequence[str] = ("x", "y", "t"),
        fill: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pad to ``[N, T, C]`` with a boolean ``[N, T]`` mask (True = real point).

        Movements longer than ``max_len`` are truncated.
        """
        n = len(self)
        lengths = self.lengths
        tmax = int(lengths.max(initial=0)) if max_len is None else int(max_len)
        cols = []
        for c in channels:
            if c == "press":
                cols.append(np.zeros(self.n_points) if self.press is None else self.press.astype(np.float64))
            else:
                cols.append(getattr(self, c))
        flat = np.stack(cols, axis=1) if cols else np.zeros((self.n_points, 0))
        within = np.arange(self.n_points) - np.repeat(self.offsets[:-1], lengths)
        keep = within < tmax
        out = np.full((n, tmax, len(channels)), fill, dtype=np.float64)
        mask = np.zeros((n, tmax), dtype=bool)
        seg = self.segment_ids[keep]
        out[seg, within[keep]] = flat[keep]
        mask[seg, within[keep]] = True
        return out, mask

    # ------------------------------------------------------------ repeated timestamps
    def drop_repeated_times(self) -> tuple["Trajectories", np.ndarray]:
        """Drop samples whose timestamp does not advance (as a logger that keeps the first sample of a tick).

        A sample with the same time as the sample before it in its movement is
        dropped; time running backwards is left for :meth:`validate` to report.
        Returns the new set, with the metadata column ``repeated_time_share``
        (dropped samples / the movement's steps) when anything was dropped (the
        set itself otherwise), and the number dropped per movement (N,).
        """
        n = len(self)
        seg = self.segment_ids
        same = np.zeros(self.n_points, dtype=bool)
        if self.n_points > 1:
            same[1:] = (seg[1:] == seg[:-1]) & (np.diff(self.t) == 0)
        dropped = np.bincount(seg[same], minlength=n).astype(np.int64)
        steps = np.maximum(self.lengths - 1, 1)
        if not same.any():
            return self, dropped
        keep = ~same
        counts = np.bincount(seg[keep], minlength=n)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        meta = self.meta.copy()
        meta["repeated_time_share"] = dropped / steps
        press = None if self.press is None else self.press[keep]
        return Trajectories(self.x[keep], self.y[keep], self.t[keep], offsets, press, meta, self.attrs), dropped

    # ------------------------------------------------------------ validation
    def validate(self, source: str | os.PathLike | None = None, min_points: int = 2) -> "Trajectories":
        """Check values; raise :class:`DataError` naming ``source`` on the first problem.

        Checks: at least one movement, every movement has ``min_points`` points,
        all values finite, time strictly increasing within each movement.
        Returns ``self`` so that it chains.
        """
        if len(self) == 0:
            raise DataError(source, "no movements (empty file)")
        short = np.flatnonzero(self.lengths < min_points)
        if short.size:
            raise DataError(
                source, f"movement {short[0]} has {self.lengths[short[0]]} point(s); at least {min_points} needed"
                + (f" ({short.size} such movements)" if short.size > 1 else ""),
            )
        for name in ("x", "y", "t"):
            bad = ~np.isfinite(getattr(self, name))
            if bad.any():
                mv = int(self.segment_ids[np.flatnonzero(bad)[0]])
                raise DataError(source, f"non-finite {name} (NaN or inf) in movement {mv}")
        dt = np.diff(self.t)
        inner = np.ones(len(dt), dtype=bool)
        inner[self.offsets[1:-1] - 1] = False  # no step across a movement boundary
        bad = inner & (dt <= 0)
        if bad.any():
            mv = int(self.segment_ids[np.flatnonzero(bad)[0]])
            raise DataError(source, f"time is not strictly increasing in movement {mv}")
        return self

    # -------------------------------------------------------------------- io
    def save(self, path: str | os.PathLike, force: bool = False) -> None:
        """Write the native compressed ``.npz`` (see :func:`deval.io.save_trajectories`)."""
        from deval.io import save_trajectories

        save_trajectories(self, path, force=force)

    @classmethod
    def load(cls, path: str | os.PathLike, **kwargs: Any) -> "Trajectories":
        """Read any supported file (see :func:`deval.io.load_trajectories`)."""
        from deval.io import load_trajectories

        return load_trajectories(path, **kwargs)


@dataclass(frozen=True, eq=False)
class Endpoints:
    """Start and end points (pixels) of N movements, with optional timing.

    This is the condition a generator follows: movement ``i`` must start at
    ``start[i]`` and end exactly at ``end[i]``.

    Attributes
    ----------
    start, end : ndarray, float64, shape (N, 2)
        Pixel coordinates.
    duration : ndarray, float64, shape (N,), or None
        Desired duration in seconds (generators that model timing may use it).
    n_points : ndarray, int64, shape (N,), or None
        Desired number of points.
    """

    start: np.ndarray
    end: np.ndarray
    duration: np.ndarray | None = None
    n_points: np.ndarray | None = None

    def __post_init__(self) -> None:
        s = np.asarray(self.start, dtype=np.float64).reshape(-1, 2)
        e = np.asarray(self.end, dtype=np.float64).reshape(-1, 2)
        if s.shape != e.shape:
            raise DataError(None, f"start {s.shape} and end {e.shape} shapes differ")
        object.__setattr__(self, "start", s)
        object.__setattr__(self, "end", e)
        if self.duration is not None:
            object.__setattr__(self, "duration", np.asarray(self.duration, np.float64).reshape(-1))
        if self.n_points is not None:
            object.__setattr__(self, "n_points", np.asarray(self.n_points, np.int64).reshape(-1))
        for name in ("duration", "n_points"):
            v = getattr(self, name)
            if v is not None and len(v) != len(s):
                raise DataError(None, f"{name} has {len(v)} entries for {len(s)} endpoints")
        if not (np.isfinite(s).all() and np.isfinite(e).all()):
            raise DataError(None, "endpoints must be finite")

    def __len__(self) -> int:
        return len(self.start)

    @property
    def displacement(self) -> np.ndarray:
        """``end - start``, (N, 2) pixels."""
        return self.end - self.start

    @property
    def distance(self) -> np.ndarray:
        """Net displacement length, (N,) pixels."""
        return np.hypot(*self.displacement.T)

    @property
    def angle(self) -> np.ndarray:
        """Direction of the net displacement in radians (screen frame, y down), (N,)."""
        d = self.displacement
        return np.arctan2(d[:, 1], d[:, 0])

    def take(self, idx: np.ndarray) -> "Endpoints":
        """Endpoints ``idx``."""
        idx = np.asarray(idx, dtype=np.int64)
        return Endpoints(
            self.start[idx], self.end[idx],
            None if self.duration is None else self.duration[idx],
            None if self.n_points is None else self.n_points[idx],
        )

    def resample(self, n: int, seed: int | None = None) -> "Endpoints":
        """``n`` endpoints drawn from these (without replacement when possible)."""
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(self), size=n, replace=n > len(self))
        return self.take(idx)

    @classmethod
    def from_trajectories(cls, traj: Trajectories) -> "Endpoints":
        """Endpoints, durations and point counts of real movements."""
        return traj.endpoints()
