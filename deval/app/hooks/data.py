"""Turn a training harness's movement batches into :class:`~deval.trajectories.Trajectories`.

A harness holds its validation movements (and its GAN's samples) in whatever
form its model uses. :func:`as_trajectories` accepts

* :class:`~deval.trajectories.Trajectories` (returned as is, coordinates scaled by ``xy_scale``);
* a NumPy array or a torch tensor ``[B, T, C]``, with a boolean ``mask`` ``[B, T]``
  (True = real entry) or ``lengths`` ``[B]``; without either, rows whose
  entries are NaN are padding (or, without NaN, every entry is real);
* a pair ``(values, mask_or_lengths)`` or a dict with keys ``values`` (or ``x``)
  and ``mask`` / ``lengths``.

Channel conventions (``channels``):

``"xyt"`` (default)
    Absolute positions: ``C == 2`` is ``x, y`` sampled every ``dt`` seconds;
    ``C >= 3`` is ``x, y, t`` (t in seconds; only differences matter; further
    channels, e.g. a button state, are ignored).
``"xy"``
    ``x, y`` sampled every ``dt`` seconds; further channels are ignored.
``"deltas"``
    Steps: ``dx, dy`` (``C == 2``, ``dt`` seconds each) or ``dx, dy, dt``
    (``C >= 3``). A movement of ``k`` real steps has ``k + 1`` points, starting
    at ``start`` (``[B, 2]``, default the origin).

Coordinates are multiplied by ``xy_scale`` (pixels per harness unit): deval's
features and diffusion models work in pixels and seconds. Torch is never
imported here; tensors are recognised by their methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deval.errors import ConfigError, DataError
from deval.io.padded import to_numpy
from deval.trajectories import Trajectories

__all__ = ["CHANNEL_CONVENTIONS", "as_trajectories", "to_numpy"]

CHANNEL_CONVENTIONS = ("xyt", "xy", "deltas")


def _unpack(data: Any, mask: Any, lengths: Any, source: str) -> tuple[Any, Any, Any]:
    if isinstance(data, dict):
        values = data.get("values", data.get("x"))
        if values is None:
            raise DataError(source, "a dict of data needs a 'values' (or 'x') entry")
        return values, data.get("mask", mask), data.get("lengths", lengths)
    if isinstance(data, (tuple, list)) and len(data) == 2 and not np.isscalar(data[0]):
        values, second = data
        s = to_numpy(second)
        if s.ndim == 2:
            return values, second, lengths
        if s.ndim == 1:
            return values, mask, second
        raise DataError(source, f"the second item of a (values, mask_or_lengths) pair has shape {s.shape}")
    return data, mask, lengths


def as_trajectories(
    data: Any,
    *,
    mask: Any = None,
    lengths: Any = None,
    channels: str = "xyt",
    dt: float = 1 / 60,
    xy_scale: float = 1.0,
    start: Any = None,
    source: str = "data",
) -> Trajectories:
    """Movements of a harness (array, tensor, pair, dict or Trajectories) as validated :class:`Trajectories`.

    Parameters
    ----------
    data : Trajectories, array-like or tensor ``[B, T, C]``, pair or dict
        See the module docstring.
    mask : array-like or tensor, bool, ``[B, T]``, optional
        True for real entries (points, or steps with ``channels="deltas"``).
    lengths : array-like or tensor, int, ``[B]``, optional
        Real entries per row (padding at the end).
    channels : {"xyt", "xy", "deltas"}
        Meaning of the channels (module docstring).
    dt : float
        Seconds between points when there is no time channel.
    xy_scale : float
        Pixels per unit of the harness's x, y.
    start : array-like ``[B, 2]``, optional
        First point of each movement with ``channels="deltas"`` (harness units).
    source : str
        Name used in error messages (e.g. ``"val_data"``).

    Returns
    -------
    Trajectories
        Pixels and seconds, each movement's time starting at 0.

    Raises
    ------
    ConfigError
        Unknown ``channels`` or a non-positive ``dt`` / ``xy_scale``.
    DataError
        Wrong shapes, fewer than 2 points in a movement, non-finite values or
        time not strictly increasing.
    """
    if channels not in CHANNEL_CONVENTIONS:
        raise ConfigError(f"channels must be one of {', '.join(CHANNEL_CONVENTIONS)}, got {channels!r}")
    if not (np.isfinite(dt) and dt > 0):
        raise ConfigError(f"dt must be a positive number of seconds, got {dt!r}")
    if not (np.isfinite(xy_scale) and xy_scale > 0):
        raise ConfigError(f"xy_scale must be a positive number, got {xy_scale!r}")
    if isinstance(data, Trajectories):
        traj = data if xy_scale == 1.0 else data.with_points(data.x * xy_scale, data.y * xy_scale)
        return traj.validate(source, min_points=2)
    values, mask, lengths = _unpack(data, mask, lengths, source)
    v = to_numpy(values, np.float64)
    if v.ndim != 3:
        raise DataError(source, f"expected a [B, T, C] array, got shape {v.shape}")
    b, t_len, c = v.shape
    if c < 2:
        raise DataError(source, f"expected at least 2 channels (x, y), got {c}")
    if mask is not None and lengths is not None:
        raise DataError(source, "give a mask or lengths, not both")
    if mask is not None:
        m = to_numpy(mask).astype(bool)
        if m.shape != (b, t_len):
            raise DataError(source, f"mask has shape {m.shape}, expected {(b, t_len)}")
    elif lengths is not None:
        n = to_numpy(lengths).astype(np.int64).reshape(-1)
        if n.shape != (b,):
            raise DataError(source, f"lengths has shape {n.shape}, expected ({b},)")
        if (n < 0).any() or (n > t_len).any():
            raise DataError(source, f"lengths must be between 0 and T={t_len}")
        m = np.arange(t_len)[None, :] < n[:, None]
    else:
        m = ~np.isnan(v).any(axis=2)
    use_t = channels != "xy" and c >= 3
    v = v[..., :3] if use_t else v[..., :2]
    if channels == "deltas":
        steps = np.where(m[..., None], v, 0.0)
        dts = steps[..., 2] if use_t else np.where(m, dt, 0.0)
        if use_t and (steps[..., 2][m] <= 0).any():
            raise DataError(source, "time steps (channel dt) must be positive")
        # compact real steps to the front of each row, then integrate
        order = np.argsort(~m, axis=1, kind="stable")
        steps = np.take_along_axis(steps, order[..., None], axis=1)
        dts = np.take_along_axis(dts, order, axis=1)
        k = m.sum(1)
        s0 = np.zeros((b, 2)) if start is None else to_numpy(start, np.float64).reshape(b, 2)
        xy = np.concatenate([s0[:, None, :], s0[:, None, :] + np.cumsum(steps[..., :2], axis=1)], axis=1)
        tt = np.concatenate([np.zeros((b, 1)), np.cumsum(dts, axis=1)], axis=1)
        pts = np.concatenate([xy, tt[..., None]], axis=-1)
        pm = np.arange(t_len + 1)[None, :] < (k + (k > 0))[:, None]
    else:
        if use_t:
            pts = v.copy()
        else:
            order = np.cumsum(m, axis=1) - 1  # index of each real point within its row
            pts = np.concatenate([v, (np.maximum(order, 0) * dt)[..., None]], axis=-1)
        pm = m
    if not np.isfinite(pts[pm]).all():
        raise DataError(source, "non-finite values (NaN or inf) in real entries")
    traj = Trajectories.from_padded(pts, mask=pm)
    short = np.flatnonzero(traj.lengths < 2)
    if short.size:
        raise DataError(source, f"movement {short[0]} has {traj.lengths[short[0]]} point(s); at least 2 needed"
                        + (f" ({short.size} such movements)" if short.size > 1 else ""))
    t0 = np.repeat(traj.t[traj.first_index], traj.lengths)
    traj = traj.with_points(traj.x * xy_scale, traj.y * xy_scale, traj.t - t0)
    return traj.validate(source, min_points=2)
