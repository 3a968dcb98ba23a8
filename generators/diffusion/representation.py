"""The movement representation of the diffusion model and its exact way back to pixels.

Encoding (training data):

1. :func:`deval.canonical.canonicalize`: each movement starts at (0, 0) and
   ends at (distance, 0); with ``spatial_scale="distance"`` coordinates are
   then divided by the distance, so every movement ends at (1, 0).
2. Movements with more than ``max_len + 1`` points are resampled (linear
   interpolation along the point index, duration kept) to ``max_len + 1``.
3. Steps ``(dx, dy, dt)`` (``dt`` as ``log(dt)`` by default, so that decoded
   time steps are positive) padded to ``max_len`` with a mask; optionally the
   8-channel "rich" representation adds speed, acceleration, heading sin/cos
   and angular velocity. A :class:`deval.canonical.Normalizer` fitted on the
   training split standardises each channel.
4. The goal condition ``[distance_norm, cos(angle), sin(angle)]`` (+
   ``duration_norm``): ``distance_norm`` and ``duration_norm`` are
   standardised logs, ``angle`` is the screen direction of the movement.

Decoding (generated steps): de-normalise, integrate, then apply the one
similarity transform (rotation + scale) per movement that sends the generated
end point onto the requested target, so that every movement ends exactly on
it; timestamps are made strictly increasing and, when the training data were
integer pixels / milliseconds, interior points are quantised the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from deval.canonical import Normalizer, canonicalize
from deval.errors import ConfigError, DataError
from deval.trajectories import Endpoints, Trajectories

log = logging.getLogger(__name__)

DELTA_CHANNELS = ("dx", "dy", "dt")
RICH_CHANNELS = ("dx", "dy", "dt", "speed", "accel", "sin_heading", "cos_heading", "ang_vel")
FEATURE_KINDS = ("deltas", "rich")
MIN_DT_FLOOR = 1e-4  # s, lower bound of decoded time steps when the data have no clear resolution
TABLE_SIZE = 8192


@dataclass
class CanonicalBatch:
    """Movements in the model's canonical frame, padded, as tensors.

    Attributes
    ----------
    points : Tensor, float32, (N, max_len + 1, 3)
        ``x, y`` in canonical units (divided by the distance when
        ``spatial_scale="distance"``) and ``t`` in seconds; rows are padded after
        their last point with that point's x, y and increasing t.
    n_points : LongTensor, (N,)
        Points per movement (2 .. max_len + 1).
    distance : Tensor, float32, (N,)
        Net displacement in pixels.
    angle : Tensor, float32, (N,)
        Screen direction of the displacement, radians.
    duration : Tensor, float32, (N,)
        Seconds.
    """

    points: torch.Tensor
    n_points: torch.Tensor
    distance: torch.Tensor
    angle: torch.Tensor
    duration: torch.Tensor

    def __len__(self) -> int:
        return len(self.n_points)

    def take(self, idx: torch.Tensor) -> "CanonicalBatch":
        """Rows ``idx``."""
        return CanonicalBatch(self.points[idx], self.n_points[idx], self.distance[idx], self.angle[idx],
                              self.duration[idx])

    def to(self, device) -> "CanonicalBatch":
        """Move every tensor to ``device``."""
        return CanonicalBatch(*(getattr(self, f).to(device) for f in
                                ("points", "n_points", "distance", "angle", "duration")))


def pad_points(points: torch.Tensor, n_points: torch.Tensor) -> torch.Tensor:
    """Fill positions after each row's last point: same x, y; t increasing by 1 s per step.

    Keeps rows sorted in time (for :func:`torch.searchsorted`) and makes padded
    steps harmless. ``points`` (N, P, 3), ``n_points`` (N,) -> (N, P, 3).
    """
    n, p, _ = points.shape
    k = torch.arange(p, device=points.device)
    last = (n_points - 1).clamp(min=0)
    last_pt = points[torch.arange(n, device=points.device), last]  # (N, 3)
    after = k[None, :] >= n_points[:, None]
    filled = last_pt[:, None, :].expand(n, p, 3).clone()
    filled[..., 2] = filled[..., 2] + (k[None, :] - last[:, None]).clamp(min=0).to(points.dtype)
    return torch.where(after[..., None], filled, points)


def resample_by_index(points: torch.Tensor, n_points: torch.Tensor, new_n: torch.Tensor, out_len: int) -> torch.Tensor:
    """Re-cut each movement into ``new_n`` points evenly spaced along its point index.

    Point ``k`` of the result is the linear interpolation of the input at index
    ``k * (n - 1) / (new_n - 1)`` (x, y and t alike), so the first and last
    points and the duration are kept. Vectorised over rows.

    Parameters
    ----------
    points : Tensor, (N, P, C)
    n_points, new_n : LongTensor, (N,)
        Current and wanted number of points (>= 2).
    out_len : int
        Padded length of the output (>= max(new_n)).

    Returns
    -------
    Tensor, (N, out_len, C), padded with :func:`pad_points` when C == 3.
    """
    dev = points.device
    k = torch.arange(out_len, device=dev, dtype=torch.float64)
    frac = (k[None, :] / (new_n[:, None] - 1).clamp(min=1).double()).clamp(max=1.0)
    u = frac * (n_points[:, None] - 1).double()
    i0 = u.floor().long().clamp(min=0)
    i0 = torch.minimum(i0, (n_points[:, None] - 2).clamp(min=0))
    w = (u - i0.double()).to(points.dtype)[..., None]
    c = points.shape[2]
    p0 = torch.gather(points, 1, i0[..., None].expand(-1, -1, c))
    p1 = torch.gather(points, 1, (i0 + 1).clamp(max=points.shape[1] - 1)[..., None].expand(-1, -1, c))
    out = p0 * (1 - w) + p1 * w
    return pad_points(out, new_n) if c == 3 else out


def canonical_batch(traj: Trajectories, max_len: int, spatial_scale: str = "distance") -> CanonicalBatch:
    """Canonicalise real movements into a :class:`CanonicalBatch` (see module docstring).

    Raises
    ------
    DataError
        When a movement has fewer than 2 points or no net displacement.
    """
    if spatial_scale not in ("distance", "pixels"):
        raise ConfigError(f"spatial_scale must be 'distance' or 'pixels', got {spatial_scale!r}")
    if len(traj) == 0:
        raise DataError(None, "no movements to encode")
    if (traj.lengths < 2).any():
        raise DataError(None, "every movement needs at least 2 points")
    ep = traj.endpoints()
    dist = ep.distance
    if (dist <= 0).any():
        raise DataError(None, f"{int((dist <= 0).sum())} movement(s) end where they start; "
                              "the goal direction is undefined for them")
    canon, frame = canonicalize(traj)
    full, _ = canon.to_padded()  # (N, Tmax, 3) x, y, t
    lengths = torch.as_tensor(traj.lengths, dtype=torch.long)
    pts = torch.as_tensor(full, dtype=torch.float64)
    if spatial_scale == "distance":
        pts[..., :2] /= torch.as_tensor(dist)[:, None, None]
    pts = pad_points(pts, lengths)
    cap = max_len + 1
    new_n = lengths.clamp(max=cap)
    if (lengths > cap).any():
        pts = resample_by_index(pts, lengths, new_n, cap)
    else:
        pts = pts[:, :cap] if pts.shape[1] >= cap else pad_points(
            torch.cat([pts, torch.zeros(len(pts), cap - pts.shape[1], 3, dtype=pts.dtype)], dim=1), lengths)
    return CanonicalBatch(pts.float(), new_n, torch.as_tensor(dist, dtype=torch.float32),
                          torch.as_tensor(frame.angle, dtype=torch.float32),
                          torch.as_tensor(ep.duration, dtype=torch.float32))


def points_to_features(points: torch.Tensor, n_points: torch.Tensor, kind: str = "deltas",
                       dt_transform: str = "log", min_dt: float = 1e-3, moving_channel: bool = False
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Steps of canonical points as model channels (before normalisation).

    Parameters
    ----------
    points : Tensor, (N, L + 1, 3)
    n_points : LongTensor, (N,)
    kind : {"deltas", "rich"}
        3 channels ``dx, dy, dt`` or 8 (:data:`RICH_CHANNELS`).
    dt_transform : {"log", "linear"}
        ``dt`` channel as ``log(dt)`` or seconds.
    min_dt : float
        Floor on dt (s) before the log and in rates.
    moving_channel : bool
        Append a channel ``moving``: +1 for a step that moves the pointer, -1
        for a step that stays on the same point (a pause sample). Pauses are an
        exact zero in ``dx, dy`` that a denoiser only approaches; this channel
        lets it say "still" explicitly (see :meth:`MovementEncoder.decode`).

    Returns
    -------
    values : Tensor, (N, L, C), 0 where padded
    mask : BoolTensor, (N, L)
    """
    d = points[:, 1:] - points[:, :-1]
    steps = d.shape[1]
    mask = torch.arange(steps, device=points.device)[None, :] < (n_points[:, None] - 1)
    dt = d[..., 2].clamp(min=min_dt)
    dt_ch = torch.log(dt) if dt_transform == "log" else d[..., 2]
    chans = [d[..., 0], d[..., 1], dt_ch]
    if kind == "rich":
        speed = torch.hypot(d[..., 0], d[..., 1]) / dt
        accel = torch.diff(speed, dim=1, prepend=speed[:, :1]) / dt
        heading = torch.atan2(d[..., 1], d[..., 0])
        still = (d[..., 0] == 0) & (d[..., 1] == 0)
        sin_h = torch.where(still, torch.zeros_like(heading), torch.sin(heading))
        cos_h = torch.where(still, torch.ones_like(heading), torch.cos(heading))
        dh = torch.diff(heading, dim=1, prepend=heading[:, :1])
        dh = torch.remainder(dh + np.pi, 2 * np.pi) - np.pi
        chans += [speed, accel, sin_h, cos_h, dh / dt]
    elif kind != "deltas":
        raise ConfigError(f"features must be one of {FEATURE_KINDS}, got {kind!r}")
    if moving_channel:
        moving = (d[..., 0] != 0) | (d[..., 1] != 0)
        chans.append(moving.to(d.dtype) * 2 - 1)
    values = torch.stack(chans, dim=-1) * mask[..., None]
    return values, mask


def _fix_times(t: np.ndarray, lengths: np.ndarray, resolution: float | None, min_dt: float) -> np.ndarray:
    """Strictly increasing times per row (N, P): quantised to ``resolution`` when given."""
    k = np.arange(t.shape[1])[None, :]
    step = resolution if resolution else min_dt
    if resolution:
        t = np.round(t / resolution) * resolution
    # t_k >= t_{k-1} + step  <=>  (t_k - k*step) non-decreasing
    t = np.maximum.accumulate(t - k * step, axis=1) + k * step
    return t - t[:, :1]


@dataclass
class EncoderStats:
    """What the encoder learns from the training split (saved in ``encoder.json``)."""

    log_dist_mean: float
    log_dist_std: float
    log_dur_mean: float
    log_dur_std: float
    dist_min: float
    dist_max: float
    time_resolution: float | None
    pixel_resolution: float | None
    table_distance: np.ndarray
    table_n_points: np.ndarray
    table_duration: np.ndarray
    table_angle: np.ndarray | None = None

    def to_dict(self) -> dict:
        return {
            "log_dist_mean": self.log_dist_mean, "log_dist_std": self.log_dist_std,
            "log_dur_mean": self.log_dur_mean, "log_dur_std": self.log_dur_std,
            "dist_min": self.dist_min, "dist_max": self.dist_max,
            "time_resolution": self.time_resolution, "pixel_resolution": self.pixel_resolution,
            "table_distance": np.round(self.table_distance, 3).tolist(),
            "table_n_points": self.table_n_points.astype(int).tolist(),
            "table_duration": np.round(self.table_duration, 6).tolist(),
            "table_angle": None if self.table_angle is None else np.round(self.table_angle, 5).tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "EncoderStats":
        try:
            return cls(
                float(d["log_dist_mean"]), float(d["log_dist_std"]), float(d["log_dur_mean"]),
                float(d["log_dur_std"]), float(d["dist_min"]), float(d["dist_max"]),
                None if d["time_resolution"] is None else float(d["time_resolution"]),
                None if d["pixel_resolution"] is None else float(d["pixel_resolution"]),
                np.asarray(d["table_distance"], np.float64), np.asarray(d["table_n_points"], np.int64),
                np.asarray(d["table_duration"], np.float64),
                None if d.get("table_angle") is None else np.asarray(d["table_angle"], np.float64),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(None, f"invalid encoder statistics ({exc})") from None


def _resolution(values: np.ndarray, unit: float) -> float | None:
    """``unit`` when every value is an integer multiple of it, else None."""
    if len(values) and np.all(np.abs(values / unit - np.round(values / unit)) < 1e-6):
        return unit
    return None


class MovementEncoder:
    """Encode movements for the model and decode generated steps back to pixels.

    Parameters
    ----------
    max_len : int
        Maximum number of steps L (movements have at most L + 1 points).
    features : {"deltas", "rich"}
        3- or 8-channel representation.
    spatial_scale : {"distance", "pixels"}
        Divide canonical coordinates by the movement's distance, or keep pixels.
    dt_transform : {"log", "linear"}
        How the time step is represented.
    use_duration : bool
        Add the standardised log-duration to the goal condition.
    quantize_output : bool
        Round decoded interior points / timestamps to the training data's
        resolution when it has one (integer pixels, whole milliseconds).
    moving_channel : bool
        Add the ``moving`` channel (+1 moving step, -1 still step); decoding
        turns steps generated with ``moving < 0`` into exact pauses.
    """

    def __init__(self, max_len: int = 64, features: str = "deltas", spatial_scale: str = "distance",
                 dt_transform: str = "log", use_duration: bool = False, quantize_output: bool = True,
                 moving_channel: bool = False):
        if features not in FEATURE_KINDS:
            raise ConfigError(f"features must be one of {FEATURE_KINDS}, got {features!r}")
        if dt_transform not in ("log", "linear"):
            raise ConfigError(f"dt_transform must be 'log' or 'linear', got {dt_transform!r}")
        if spatial_scale not in ("distance", "pixels"):
            raise ConfigError(f"spatial_scale must be 'distance' or 'pixels', got {spatial_scale!r}")
        if int(max_len) < 4:
            raise ConfigError(f"max_len must be >= 4, got {max_len}")
        self.max_len = int(max_len)
        self.features = features
        self.spatial_scale = spatial_scale
        self.dt_transform = dt_transform
        self.use_duration = bool(use_duration)
        self.quantize_output = bool(quantize_output)
        self.moving_channel = bool(moving_channel)
        self.channels = (DELTA_CHANNELS if features == "deltas" else RICH_CHANNELS) + (("moving",) if moving_channel
                                                                                       else ())
        self.normalizer: Normalizer | None = None
        self.stats: EncoderStats | None = None

    # ----------------------------------------------------------------- sizes
    @property
    def n_channels(self) -> int:
        """Channels C of the model's input/output."""
        return len(self.channels)

    @property
    def goal_dim(self) -> int:
        """Size G of the goal condition."""
        return 4 if self.use_duration else 3

    @property
    def min_dt(self) -> float:
        """Smallest decoded time step, seconds."""
        if self.stats is not None and self.stats.time_resolution:
            return self.stats.time_resolution
        return MIN_DT_FLOOR

    def settings(self) -> dict:
        """Constructor arguments (JSON-ready)."""
        return {"max_len": self.max_len, "features": self.features, "spatial_scale": self.spatial_scale,
                "dt_transform": self.dt_transform, "use_duration": self.use_duration,
                "quantize_output": self.quantize_output, "moving_channel": self.moving_channel}

    # ------------------------------------------------------------------- fit
    def fit(self, traj: Trajectories, seed: int = 0) -> "MovementEncoder":
        """Learn the normaliser and goal statistics from the training split ``traj``."""
        batch = self.canonical(traj)
        values, mask = points_to_features(batch.points.double(), batch.n_points, self.features,
                                          self.dt_transform, MIN_DT_FLOOR, self.moving_channel)
        self.normalizer = Normalizer(channels=self.channels).fit(values.numpy(), mask.numpy())
        dist = batch.distance.double().numpy()
        dur = np.maximum(batch.duration.double().numpy(), 1e-3)
        rng = np.random.default_rng(seed)
        take = rng.choice(len(traj), size=min(TABLE_SIZE, len(traj)), replace=False)
        dt = np.diff(traj.t)
        inner = np.ones(len(dt), bool)
        inner[traj.offsets[1:-1] - 1] = False
        self.stats = EncoderStats(
            float(np.log(dist).mean()), float(max(np.log(dist).std(), 1e-3)),
            float(np.log(dur).mean()), float(max(np.log(dur).std(), 1e-3)),
            float(dist.min()), float(dist.max()),
            _resolution(traj.t, 1e-3) if _resolution(dt[inner], 1e-3) else None,
            _resolution(np.concatenate([traj.x, traj.y]), 1.0),
            traj.endpoints().distance[take], traj.lengths[take], traj.durations[take],
            traj.endpoints().angle[take],
        )
        if self.stats.time_resolution is not None:  # dt floor for the log channel
            values, mask = points_to_features(batch.points.double(), batch.n_points, self.features,
                                              self.dt_transform, self.min_dt, self.moving_channel)
            self.normalizer = Normalizer(channels=self.channels).fit(values.numpy(), mask.numpy())
        return self

    def _check(self) -> None:
        if self.normalizer is None or self.stats is None:
            raise ConfigError("MovementEncoder is not fitted; call fit() or load a checkpoint")

    # ---------------------------------------------------------------- encode
    def canonical(self, traj: Trajectories) -> CanonicalBatch:
        """Real movements as a :class:`CanonicalBatch` (see :func:`canonical_batch`)."""
        return canonical_batch(traj, self.max_len, self.spatial_scale)

    def goal(self, distance: torch.Tensor, angle: torch.Tensor, duration: torch.Tensor | None = None) -> torch.Tensor:
        """Goal condition (N, G) from distances (px), screen angles (rad) and durations (s)."""
        self._check()
        s = self.stats
        dn = (torch.log(distance.clamp(min=1e-6)) - s.log_dist_mean) / s.log_dist_std
        parts = [dn, torch.cos(angle), torch.sin(angle)]
        if self.use_duration:
            if duration is None:
                raise ConfigError("this model is conditioned on duration; give durations")
            parts.append((torch.log(duration.clamp(min=1e-3)) - s.log_dur_mean) / s.log_dur_std)
        return torch.stack(parts, dim=-1).float()

    def features_of(self, batch: CanonicalBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised model inputs (N, L, C) float32 and mask (N, L) of a canonical batch."""
        self._check()
        values, mask = points_to_features(batch.points, batch.n_points, self.features, self.dt_transform,
                                          self.min_dt, self.moving_channel)
        mean = torch.as_tensor(self.normalizer.mean_, dtype=values.dtype, device=values.device)
        std = torch.as_tensor(self.normalizer.std_, dtype=values.dtype, device=values.device)
        return ((values - mean) / std * mask[..., None]).float(), mask

    def encode(self, traj: Trajectories) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Normalised steps (N, L, C), mask (N, L) and goal (N, G) of real movements."""
        batch = self.canonical(traj)
        values, mask = self.features_of(batch)
        return values, mask, self.goal(batch.distance, batch.angle, batch.duration)

    # ------------------------------------------------------------ conditions
    def draw_lengths(self, distance: np.ndarray, seed: int | None = None, k: int = 16
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Point counts and durations for movements of the given distances.

        Each is copied from one of the ``k`` training movements nearest in log
        distance, drawn at random (the empirical conditional distribution).
        """
        self._check()
        s = self.stats
        ld = np.log(np.maximum(s.table_distance, 1e-6))
        order = np.argsort(ld)
        ld_sorted = ld[order]
        q = np.log(np.maximum(np.asarray(distance, np.float64), 1e-6))
        pos = np.searchsorted(ld_sorted, q)
        k = min(k, len(ld_sorted))
        lo = np.clip(pos - k // 2, 0, len(ld_sorted) - k)
        rng = np.random.default_rng(seed)
        pick = order[lo + rng.integers(0, k, size=len(q))]
        return s.table_n_points[pick].copy(), s.table_duration[pick].copy()

    def draw_goals(self, n: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``n`` (distance, angle, n_points, duration) rows drawn from the training movements."""
        self._check()
        s = self.stats
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, len(s.table_distance), size=n)
        angle = s.table_angle[pick] if s.table_angle is not None else rng.uniform(-np.pi, np.pi, n)
        return s.table_distance[pick], angle, s.table_n_points[pick], s.table_duration[pick]

    def check_condition(self, cond: Endpoints) -> None:
        """Raise :class:`DataError` for conditions the model cannot follow; log extrapolation."""
        self._check()
        dist = cond.distance
        if (dist <= 0).any():
            i = int(np.flatnonzero(dist <= 0)[0])
            raise DataError(None, f"condition {i} ends where it starts (zero displacement): "
                                  "a movement direction cannot be generated for it")
        if cond.n_points is not None and (cond.n_points < 2).any():
            raise DataError(None, "requested n_points must be >= 2")
        lo, hi = self.stats.dist_min, self.stats.dist_max
        out = (dist < lo / 2) | (dist > hi * 2)
        if out.any():
            log.warning("%d condition(s) lie outside twice the training distance range [%.0f, %.0f] px; "
                        "the model extrapolates there", int(out.sum()), lo, hi)

    # ---------------------------------------------------------------- decode
    def decode(self, values: torch.Tensor | np.ndarray, mask: torch.Tensor | np.ndarray, cond: Endpoints,
               n_points: np.ndarray | None = None, style: str = "diffusion") -> tuple[Trajectories, np.ndarray]:
        """Generated normalised steps -> movements in pixels that end exactly on ``cond.end``.

        Parameters
        ----------
        values : (N, L, C)
            Normalised model output.
        mask : (N, L) bool
            Generated steps (row i has ``n_i - 1`` leading True).
        cond : Endpoints
            Start and end of each movement in pixels.
        n_points : (N,) int, optional
            Final point counts; rows whose count exceeds ``mask.sum(1) + 1`` are
            re-cut by index interpolation (see :func:`resample_by_index`).
        style : str
            ``style`` metadata of the result (label is 1, bot).

        Returns
        -------
        traj : Trajectories
            Pixels and seconds; strictly increasing timestamps, no NaN.
        raw_end : ndarray, (N, 2)
            The generated end point in the canonical frame before the exact
            correction, in units of the target distance (the target is (1, 0)),
            for goal-accuracy metrics.
        """
        self._check()
        v = values.detach().cpu().double().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, float)
        m = mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask, bool)
        n = len(v)
        raw = self.normalizer.inverse_transform(v)
        raw = np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0)
        dx, dy = raw[..., 0], raw[..., 1]
        if self.moving_channel:  # steps generated as "still" are exact pauses
            still = raw[..., self.channels.index("moving")] < 0
            dx, dy = np.where(still, 0.0, dx), np.where(still, 0.0, dy)
        if self.dt_transform == "log":
            dt = np.exp(np.clip(raw[..., 2], np.log(self.min_dt), np.log(10.0)))
        else:
            dt = raw[..., 2]
        dt = np.clip(dt, self.min_dt, 10.0)
        dx, dy, dt = dx * m, dy * m, dt * m
        steps = m.sum(1)
        z = np.concatenate([np.zeros((n, 1)), np.cumsum(dx + 1j * dy, axis=1)], axis=1)  # (N, L+1) complex
        t = np.concatenate([np.zeros((n, 1)), np.cumsum(dt, axis=1)], axis=1)
        e = z[np.arange(n), steps]  # generated end point
        target = cond.displacement[:, 0] + 1j * cond.displacement[:, 1]
        dist = np.abs(target)
        unit = 1.0 if self.spatial_scale == "distance" else dist  # canonical target is (unit, 0)
        raw_end = np.column_stack([e.real, e.imag]) / (1.0 if self.spatial_scale == "distance" else dist[:, None])
        ok = np.abs(e) > 0.05 * unit
        # similarity transform sending e -> target (rotation + scale), or a drift fix when e is degenerate
        factor = np.where(ok, target / np.where(ok, e, 1.0), 0.0)
        k = np.arange(z.shape[1])[None, :]
        frac = np.clip(k / np.maximum(steps, 1)[:, None], 0, 1)
        rot = np.exp(1j * np.angle(target)) * (dist / unit)
        drift = (z + (unit - e)[:, None] * frac) * rot[:, None]
        screen = np.where(ok[:, None], z * factor[:, None], drift)
        screen = screen + (cond.start[:, 0] + 1j * cond.start[:, 1])[:, None]
        pts_n = steps + 1
        last = np.arange(z.shape[1])[None, :] == steps[:, None]
        screen = np.where(last, (cond.end[:, 0] + 1j * cond.end[:, 1])[:, None], screen)  # exact, no round-off
        xyz = np.stack([screen.real, screen.imag, t], axis=-1)
        if n_points is not None:
            want = np.asarray(n_points, np.int64)
            longer = want > pts_n
            if longer.any():
                cap = int(max(want.max(), xyz.shape[1]))
                src = torch.as_tensor(xyz)
                src = pad_points(torch.cat([src, src[:, -1:].expand(-1, cap - src.shape[1], -1)], 1)
                                 if cap > src.shape[1] else src, torch.as_tensor(pts_n))
                new_n = torch.as_tensor(np.where(longer, want, pts_n))
                xyz = resample_by_index(src, torch.as_tensor(pts_n), new_n, cap).numpy()
                pts_n = new_n.numpy()
        res_t = self.stats.time_resolution if self.quantize_output else None
        xyz[..., 2] = _fix_times(np.where(np.arange(xyz.shape[1])[None] < pts_n[:, None], xyz[..., 2],
                                          np.inf), pts_n, res_t, self.min_dt)
        res_p = self.stats.pixel_resolution if self.quantize_output else None
        if res_p:
            interior = (np.arange(xyz.shape[1])[None] > 0) & (np.arange(xyz.shape[1])[None] < (pts_n - 1)[:, None])
            xyz[..., :2] = np.where(interior[..., None], np.round(xyz[..., :2] / res_p) * res_p, xyz[..., :2])
        meta = {"style": np.full(n, style, dtype=object), "label": np.ones(n, dtype=np.int64)}
        traj = Trajectories.from_padded(xyz, pts_n, meta=meta)
        return traj, raw_end

    # ------------------------------------------------------------ save/load
    def to_dict(self) -> dict:
        """Settings and fitted statistics (the normaliser is saved separately)."""
        self._check()
        return {"settings": self.settings(), "stats": self.stats.to_dict()}

    @classmethod
    def from_dict(cls, d: dict, normalizer: Normalizer) -> "MovementEncoder":
        """Rebuild from :meth:`to_dict` and a loaded normaliser."""
        try:
            enc = cls(**d["settings"])
        except (KeyError, TypeError) as exc:
            raise DataError(None, f"invalid encoder settings ({exc})") from None
        enc.stats = EncoderStats.from_dict(d.get("stats", {}))
        if tuple(normalizer.channels) != tuple(enc.channels):
            raise DataError(None, f"normalizer channels {normalizer.channels} do not match {enc.channels}")
        enc.normalizer = normalizer
        return enc
