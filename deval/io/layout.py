"""Layout descriptions: read the padded arrays research pipelines already made, scaling and all.

A preprocessing pipeline leaves arrays such as ``X_val.npy`` of shape
``(B, T, 8)`` -- position relative to the start, speed, acceleration, heading
sin/cos, angular velocity, dt -- min-max scaled to [-1, 1], with the scaling
parameters and the valid lengths in files of their own. A small layout file
says what they are, and every reading command then takes the arrays as they
are::

    # layout.yaml (picked up automatically next to the data, or given with deval --layout FILE)
    channels: [x, y, speed, acceleration, heading_sin, heading_cos, angular_velocity, dt]
    scaling: {kind: minmax, range: [-1, 1], params: scaling.json}   # min/max per channel (or mean/std)
    lengths: L_{stem}.npy           # {stem} is the data file's name without suffix (X_val -> L_X_val.npy)
    units: {space: px, time: s}     # space: px | screen (with screen: [1920, 1080]); time: s | ms
    rate_hz: 60                     # spacing of the points when there is no time channel

Keys (all optional but ``channels``):

``channels``
    One name per channel, in order: ``x, y`` (positions, absolute or relative to
    the start), ``dx, dy`` (steps), ``t`` (time), ``dt`` (time step), ``press``,
    ``_`` (skip), or a derivable quantity (``speed``, ``acceleration``,
    ``heading``, ``heading_sin``, ``heading_cos``, ``angular_velocity``, ...),
    accepted and ignored: deval derives them again from positions and times.
``scaling``
    ``kind: minmax`` (``range`` default [-1, 1]) with ``min``/``max`` lists, or
    ``kind: standard`` with ``mean``/``std`` lists, one number per channel;
    the lists may come from ``params``: a ``.json`` (keys ``min``/``max`` or
    ``mean``/``std``), an ``.npz`` (the same keys) or an ``.npy`` of shape (2, C).
    Pickled files are refused with a message that says how to re-save them.
    ``params`` may also be an inline mapping of lists, and ``keys: "{channel}_{stat}"``
    reads one number per channel and statistic from a parameter dict keyed like
    ``dx_min``, ``dx_max``... (JSON, YAML or ``.npz``).
``lengths`` / ``mask``
    ``.npy`` of valid lengths ``(B,)`` or a boolean mask ``(B, T)``; else ``pad_value``
    (the scaled value that fills padded rows), else NaN padding.
``data``
    The pattern of the data files' names, e.g. ``X_{part}.npy``: each ``{name}``
    captured from the data file's name fills the same {name} field in the
    companion files (``lengths: L_{part}.npy`` reads ``L_val.npy`` for
    ``X_val.npy``); ``{stem}`` is always the data file's name without suffix.
``transforms``
    Non-linear per-channel encodings under the scaling: ``{dt: {kind: log1p,
    scale: 1000}}`` means the channel stores ``log1p(v) / log1p(1000)`` (with
    ``units: {time: ms}``: ``log(dt_ms + 1) / log(1001)``).
``units``, ``rate_hz``
    As above.
``relative``
    Positions are relative to each movement's start (used when writing;
    reading works either way).

Companion files are looked for next to the data file, then relative to the
layout file. Every key is checked when the layout is read: a wrong type, an
empty or reversed range, an unknown key or {field} ends in one line that
names the layout file and the key.

**Writing** (:meth:`Layout.write`; ``deval --layout FILE convert neg.npz --out
X_neg.npy``, or ``generate-negatives --out X_neg.npy`` under ``--layout``)
produces the same layout: the channels computed from positions and times
(``speed`` = step length / dt, ``acceleration`` = d speed / dt, ``heading`` =
atan2 of the step, ``angular_velocity`` = d heading / dt, each at the point that
ends its step, 0 at a movement's first point; ``dt`` = time since the point
before), scaled forward with the same parameters (values outside the real
data's range are not clipped), zero (or ``pad_value``) padding, and the
lengths file named by ``lengths``. Derived channels follow these definitions,
which may differ in detail from a pipeline's own.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deval.errors import DataError
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

__all__ = ["Layout", "find_layout", "LAYOUT_NAMES"]

#: File names picked up next to a data file.
LAYOUT_NAMES = ("layout.yaml", "layout.yml", "layout.json")
_KEYS = {"channels", "scaling", "lengths", "mask", "pad_value", "units", "rate_hz", "format", "relative", "data",
         "transforms"}
_SCALING_KEYS = {"kind", "range", "params", "keys", "min", "max", "mean", "std"}
_STATS = ("min", "max", "mean", "std")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _read_params(path: Path, source: Path, every_key: bool = False) -> dict[str, np.ndarray]:
    """Scaling parameters from a .json, .yaml, .npz or .npy (2, C) file, without pickles (``every_key``: all the
    file's numeric entries, for a ``keys`` pattern; else ``min``/``max``/``mean``/``std``)."""
    if not path.is_file():
        raise DataError(source, f"scaling parameters {path}: no such file")
    suffix = path.suffix.lower()
    wanted = (lambda k: True) if every_key else (lambda k: k in _STATS)
    try:
        if suffix in (".json", ".yaml", ".yml"):
            text = path.read_text(encoding="utf-8")
            if suffix == ".json":
                raw = json.loads(text)
            else:
                import yaml

                raw = yaml.safe_load(text)
            if not isinstance(raw, dict):
                raise DataError(path, "scaling parameters must be a mapping of names to numbers or lists")
            return {str(k): np.asarray(v, dtype=np.float64) for k, v in raw.items() if wanted(str(k))}
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: np.asarray(z[k], dtype=np.float64) for k in z.files if wanted(k)}
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
            if arr.ndim != 2 or arr.shape[0] != 2:
                raise DataError(path, f"an .npy of scaling parameters must have shape (2, C), found {arr.shape}")
            return {"a": arr[0].astype(np.float64), "b": arr[1].astype(np.float64)}
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise DataError(path, "holds pickled objects, which deval refuses to load; re-save the parameters "
                                  "with numpy.savez(path, min=..., max=...) or as JSON") from None
        raise DataError(path, f"unreadable scaling parameters ({exc})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(path, f"unreadable scaling parameters ({str(exc).splitlines()[0]})") from None
    raise DataError(path, "scaling parameters must be a .json, .yaml, .npz or .npy file (a pickle such as .pkl is "
                          "refused; re-save with numpy.savez(path, min=..., max=...))")


def _check_numbers(value: Any, src: Path, key: str) -> None:
    """``value`` is a number or a flat list of finite numbers (else a one-line error naming the layout key)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                            for v in items):
        raise DataError(src, f"{key} must be a finite number or a list of them, got {value!r}")


def _check_scaling(sc: Any, src: Path) -> dict:
    """The ``scaling`` mapping, checked key by key."""
    if not isinstance(sc, dict):
        raise DataError(src, f"scaling must be a mapping (kind, range, params...), got {type(sc).__name__}")
    unknown = set(sc) - _SCALING_KEYS
    if unknown:
        raise DataError(src, f"unknown scaling key(s) {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(sorted(_SCALING_KEYS))}")
    if sc.get("kind") not in ("minmax", "standard"):
        raise DataError(src, f"scaling.kind must be 'minmax' or 'standard', got {sc.get('kind')!r}")
    rng = sc.get("range", [-1.0, 1.0])
    if not (isinstance(rng, (list, tuple)) and len(rng) == 2):
        raise DataError(src, f"scaling.range must be [low, high], got {rng!r}")
    _check_numbers(list(rng), src, "scaling.range")
    if not rng[0] < rng[1]:
        raise DataError(src, f"scaling.range must rise (low < high), got {list(rng)}"
                             + (" (reversed)" if rng[0] > rng[1] else " (empty)"))
    for k in _STATS:
        if k in sc:
            _check_numbers(sc[k], src, f"scaling.{k}")
    params = sc.get("params")
    if params is not None and not isinstance(params, (str, dict)):
        raise DataError(src, f"scaling.params must be a file name or a mapping of lists, got {params!r}")
    if isinstance(params, dict):
        for k, v in params.items():
            _check_numbers(v, src, f"scaling.params.{k}")
    keys = sc.get("keys")
    if keys is not None and not (isinstance(keys, str) and "{channel}" in keys and "{stat}" in keys):
        raise DataError(src, f"scaling.keys must be a pattern with {{channel}} and {{stat}} (e.g. "
                             f"'{{channel}}_{{stat}}'), got {keys!r}")
    return dict(sc)


def _check_transforms(tr: Any, channels: tuple[str, ...], src: Path) -> dict:
    """``transforms``: channel -> {kind: log1p, scale: S} (the stored value is log1p(v) / log1p(S))."""
    if tr is None:
        return {}
    if not isinstance(tr, dict):
        raise DataError(src, f"transforms must map channel names to a transform, got {type(tr).__name__}")
    out = {}
    for ch, spec in tr.items():
        if str(ch).lower() not in channels:
            raise DataError(src, f"transforms.{ch}: no such channel (channels: {', '.join(channels)})")
        if not isinstance(spec, dict) or spec.get("kind") != "log1p":
            raise DataError(src, f"transforms.{ch} must be {{kind: log1p, scale: S}}, got {spec!r}")
        scale = spec.get("scale", math.e - 1)
        _check_numbers(scale, src, f"transforms.{ch}.scale")
        if not scale > 0:
            raise DataError(src, f"transforms.{ch}.scale must be > 0, got {scale}")
        out[str(ch).lower()] = float(scale)
    return out


@dataclass(frozen=True)
class Layout:
    """A parsed layout description (see the module docs)."""

    channels: tuple[str, ...]
    scaling: dict = field(default_factory=dict)
    lengths: str | None = None
    mask: str | None = None
    pad_value: float | None = None
    space: str = "px"
    screen: tuple[float, float] | None = None
    time_unit: str = "s"
    rate_hz: float = 60.0
    base: Path = Path(".")
    source: Path = Path("layout")
    relative: bool = True
    data: str | None = None
    transforms: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Any, source: str | os.PathLike = "layout", base: str | os.PathLike = ".") -> "Layout":
        src = Path(source)
        if not isinstance(d, dict):
            raise DataError(src, f"a layout must be a mapping of keys, found {type(d).__name__}")
        unknown = set(d) - _KEYS
        if unknown:
            raise DataError(src, f"unknown layout key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_KEYS))}")
        ch = d.get("channels")
        if isinstance(ch, str):
            ch = [c.strip() for c in ch.split(",")]
        if not isinstance(ch, list) or not ch:
            raise DataError(src, "'channels' must list one name per channel (e.g. [x, y, speed, dt])")
        units = d.get("units") or {}
        space, time_unit = units.get("space", "px"), units.get("time", "s")
        if space not in ("px", "screen") or time_unit not in ("s", "ms"):
            raise DataError(src, f"units: space must be px or screen and time s or ms, got {space!r}, {time_unit!r}")
        screen = units.get("screen")
        if space == "screen" and (not isinstance(screen, list) or len(screen) != 2):
            raise DataError(src, "units: space 'screen' needs screen: [width, height] in pixels")
        scaling = _check_scaling(d["scaling"], src) if d.get("scaling") else {}
        for key in ("lengths", "mask", "data"):
            if d.get(key) is not None and not isinstance(d[key], str):
                raise DataError(src, f"{key} must be a file name pattern (e.g. L_{{part}}.npy), got {d[key]!r}")
        if d.get("pad_value") is not None:
            _check_numbers(d["pad_value"], src, "pad_value")
        rate = d.get("rate_hz", 60.0)
        _check_numbers(rate, src, "rate_hz")
        if not rate > 0:
            raise DataError(src, f"rate_hz must be > 0, got {rate}")
        names = tuple(str(c).strip().lower() for c in ch)
        return cls(names, scaling, d.get("lengths"), d.get("mask"), d.get("pad_value"), space,
                   tuple(screen) if screen else None, time_unit, float(rate), Path(base), src,
                   bool(d.get("relative", True)), d.get("data"), _check_transforms(d.get("transforms"), names, src))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Layout":
        """Read a layout file (YAML or JSON)."""
        p = Path(path)
        if not p.is_file():
            raise DataError(p, "no such layout file")
        try:
            text = p.read_text(encoding="utf-8")
            if p.suffix.lower() == ".json":
                d = json.loads(text)
            else:
                import yaml

                d = yaml.safe_load(text)
        except Exception as exc:  # yaml and json raise many kinds; all mean "unreadable"
            raise DataError(p, f"unreadable layout ({exc.__class__.__name__}: {str(exc).splitlines()[0]})") from None
        return cls.from_dict(d, p, p.parent)

    def names(self, data: Path) -> dict[str, str]:
        """Placeholder values for companion files of ``data``: ``{stem}``, and each ``{name}`` of the ``data``
        pattern captured from its file name (``data: X_{part}.npy`` reads ``X_val.npy`` as part = val)."""
        out = {"stem": data.stem}
        if self.data:
            pieces = _PLACEHOLDER.split(self.data)
            rx = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(pieces))
            m = re.fullmatch(rx, data.name)
            if m is not None:
                out.update(m.groupdict())
        return out

    def _fill(self, value: str, data: Path) -> str:
        names = self.names(data)

        def sub(m: re.Match) -> str:
            if m.group(1) not in names:
                why = (f"the file name {data.name} does not match data: {self.data!r}" if self.data else
                       "no data: pattern names it (e.g. data: X_{part}.npy)")
                raise DataError(self.source, f"{value!r}: no value for {{{m.group(1)}}} ({why})")
            return names[m.group(1)]

        return _PLACEHOLDER.sub(sub, value)

    def _path(self, value: str, data: Path) -> Path:
        """A companion file: next to the data file when it is there, else relative to the layout file."""
        name = self._fill(value, data)
        near = data.parent / name
        return near if near.exists() or not (self.base / name).exists() else self.base / name

    def _params(self, data: Path) -> dict:
        """Scaling parameters from ``scaling.params`` (a file or an inline mapping), by ``scaling.keys`` when
        it gives one name per channel and statistic (``{channel}_{stat}``: dx_min, dx_max...)."""
        sc = self.scaling
        raw = sc.get("params")
        pattern = sc.get("keys")
        if raw is None:
            return {}
        if isinstance(raw, dict):
            params = {str(k): np.asarray(v, dtype=np.float64) for k, v in raw.items()}
        else:
            params = _read_params(self._path(raw, data), self.source, every_key=pattern is not None)
        if pattern is None:
            return params
        out = {}
        for stat in _STATS:
            names = [pattern.replace("{channel}", c).replace("{stat}", stat) for c in self.channels]
            found = [n for n in names if n in params]
            if not found:
                continue
            if len(found) != len(names):
                missing = [n for n in names if n not in params]
                raise DataError(self.source, f"scaling.keys {pattern!r}: the parameters have no "
                                             f"{', '.join(missing[:4])}{'...' if len(missing) > 4 else ''}")
            out[stat] = np.array([float(np.asarray(params[n]).reshape(-1)[0]) for n in names])
        return out

    def _scale_vectors(self, c: int, data: Path) -> tuple[str, dict, tuple[float, float]]:
        sc = self.scaling
        params = self._params(data)
        kind = sc["kind"]
        keys = ("min", "max") if kind == "minmax" else ("mean", "std")
        vec = {}
        for i, k in enumerate(keys):
            v = sc.get(k, params.get(k, params.get("ab"[i])))
            if v is None:
                raise DataError(self.source, f"scaling {kind} needs {keys[0]} and {keys[1]} (inline or in params)")
            if np.size(v) not in (1, c):
                raise DataError(self.source, f"scaling {k} must hold 1 or {c} numbers (one per channel)")
            vec[k] = np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (c,))
        lo, hi = (float(r) for r in sc.get("range", (-1.0, 1.0)))
        return kind, vec, (lo, hi)

    def _unscale(self, values: np.ndarray, data: Path) -> np.ndarray:
        if self.scaling:
            kind, vec, (lo, hi) = self._scale_vectors(values.shape[-1], data)
            if kind == "minmax":
                values = (values - lo) / (hi - lo) * (vec["max"] - vec["min"]) + vec["min"]
            else:
                values = values * vec["std"] + vec["mean"]
        for ch, scale in self.transforms.items():  # stored log1p(v) / log1p(scale)
            j = self.channels.index(ch)
            values[..., j] = np.expm1(values[..., j] * np.log1p(scale))
        return values

    def _scale(self, values: np.ndarray, data: Path) -> np.ndarray:
        for ch, scale in self.transforms.items():
            j = self.channels.index(ch)
            values[..., j] = np.log1p(np.maximum(values[..., j], 0.0)) / np.log1p(scale)
        if not self.scaling:
            return values
        kind, vec, (lo, hi) = self._scale_vectors(values.shape[-1], data)
        span = np.where(vec["max"] - vec["min"] == 0, 1.0, vec["max"] - vec["min"]) if kind == "minmax" else None
        if kind == "minmax":
            return (values - vec["min"]) / span * (hi - lo) + lo
        return (values - vec["mean"]) / np.where(vec["std"] == 0, 1.0, vec["std"])

    def to_array(self, traj: Trajectories, max_len: int | None = None, path: str | os.PathLike | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """``traj`` in this layout: ``(values (N, T, C) float32, scaled and padded; lengths (N,))``.

        Movements longer than ``max_len`` (default: the longest) are truncated. ``path``: the array's file
        (its name fills the {fields} of companion file names such as ``scaling.params``)."""
        n = len(traj)
        lengths = traj.lengths if max_len is None else np.minimum(traj.lengths, max_len)
        tmax = int(lengths.max(initial=1))
        seg = traj.segment_ids
        first = np.zeros(traj.n_points, dtype=bool)
        first[traj.offsets[:-1][traj.lengths > 0]] = True
        x, y, t = traj.x.copy(), traj.y.copy(), traj.t
        if self.relative:
            x -= np.repeat(traj.x[traj.offsets[:-1]], traj.lengths)
            y -= np.repeat(traj.y[traj.offsets[:-1]], traj.lengths)
        scale = (self.screen if self.space == "screen" else (1.0, 1.0))
        tu = 1e-3 if self.time_unit == "ms" else 1.0

        def back(v):  # difference to the point before, 0 at a movement's first point
            d = np.zeros_like(v)
            d[1:] = np.diff(v)
            d[first] = 0.0
            return d

        dx, dy, dt = back(x), back(y), back(t)
        safe = np.where(dt > 0, dt, np.inf)
        speed = np.hypot(dx, dy) / safe
        heading = np.where(first, 0.0, np.arctan2(dy, dx))
        turn = np.angle(np.exp(1j * back(heading)))
        cols = {"x": x / scale[0], "y": y / scale[1], "dx": dx / scale[0], "dy": dy / scale[1], "t": t / tu,
                "dt": dt / tu, "press": (traj.press.astype(float) if traj.press is not None else np.zeros_like(x)),
                "speed": speed, "acceleration": back(speed) / safe, "heading": heading,
                "heading_sin": np.where(first, 0.0, np.sin(heading)), "heading_cos": np.where(first, 1.0, np.cos(heading)),
                "angular_velocity": turn / safe, "distance": np.cumsum(np.hypot(dx, dy)) - np.repeat(
                    np.cumsum(np.hypot(dx, dy))[traj.offsets[:-1]], traj.lengths), "_": np.zeros_like(x)}
        missing = [c for c in self.channels if c not in cols]
        if missing:
            raise DataError(self.source, f"cannot write channel(s) {', '.join(missing)}")
        within = np.arange(traj.n_points) - np.repeat(traj.offsets[:-1], traj.lengths)
        ok = within < tmax
        out = np.full((n, tmax, len(self.channels)), np.nan)
        for j, c in enumerate(self.channels):
            out[seg[ok], within[ok], j] = cols[c][ok]
        valid = np.arange(tmax)[None, :] < lengths[:, None]
        scaled = self._scale(out, Path(path) if path is not None else self.source)
        scaled[~valid] = 0.0 if self.pad_value is None else self.pad_value
        return scaled.astype(np.float32), lengths.astype(np.int64)

    def write(self, traj: Trajectories, path: str | os.PathLike, force: bool = False,
              max_len: int | None = None) -> list[Path]:
        """Write ``traj`` as this layout's array at ``path`` and its lengths file (atomic); returns the paths."""
        from deval.atomic import atomic_write, check_writable

        p = Path(path)
        values, lengths = self.to_array(traj, max_len, p)
        out = [p]
        targets = [(p, values)]
        if self.lengths:  # next to the array, where reading it back looks first
            lp = p.parent / Path(self._fill(self.lengths, p)).name
            targets.append((lp, lengths))
            out.append(lp)
        for q, _ in targets:
            check_writable(q, force)
        for q, arr in targets:
            with atomic_write(q, "wb", force=force) as f:
                np.save(f, arr, allow_pickle=False)
        return out

    def read(self, path: str | os.PathLike) -> Trajectories:
        """The movements of the padded array ``path`` in pixels and seconds (not yet validated)."""
        from deval.io.padded import read_npy

        p = Path(path)
        lengths = read_npy(self._path(self.lengths, p), "lengths") if self.lengths else None
        mask = read_npy(self._path(self.mask, p), "mask") if self.mask else None
        return self.from_array(read_npy(p, "padded array"), p, lengths=lengths, mask=mask)

    def from_array(self, raw: Any, source: str | os.PathLike = "array", *, lengths: Any = None,
                   mask: Any = None) -> Trajectories:
        """Movements from an in-memory ``[N, T, C]`` array or tensor in this layout (a training loop's batch);
        ``lengths`` / ``mask`` as arrays (else ``pad_value`` or NaN padding)."""
        from deval.io.padded import _padding_mask, padded_to_trajectories, to_numpy

        p = Path(source)
        raw = to_numpy(raw, dtype=np.float64)
        if raw.ndim != 3:
            raise DataError(p, f"a layout describes [N, T, C] arrays; found shape {raw.shape}")
        if raw.shape[-1] != len(self.channels):
            raise DataError(p, f"the layout {self.source} names {len(self.channels)} channels, the array has "
                               f"{raw.shape[-1]}")
        lengths = None if lengths is None else to_numpy(lengths)
        mask = None if mask is None else to_numpy(mask)
        keep = _padding_mask(raw, p, lengths, mask, self.pad_value)  # in the scaled values
        values = self._unscale(raw, p)
        if self.space == "screen":
            w, h = self.screen
            for name, scale in (("x", w), ("dx", w), ("y", h), ("dy", h)):
                if name in self.channels:
                    values[..., self.channels.index(name)] *= scale
        return padded_to_trajectories(values, p, mask=keep, channels=self.channels, rate_hz=self.rate_hz,
                                      time_unit=self.time_unit)


def find_layout(data: str | os.PathLike) -> Path | None:
    """A layout file next to ``data`` (:data:`LAYOUT_NAMES`), or None."""
    folder = Path(data).parent
    for name in LAYOUT_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None
