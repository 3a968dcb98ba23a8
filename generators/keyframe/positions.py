"""The keyframe model's movement representation: normalised canonical positions, and the way back to pixels.

Movements go through the diffusion model's :class:`MovementEncoder` (canonical
frame, distance scale: each movement starts at ``(0, 0)`` at ``t = 0`` and ends
at ``(1, 0)``; longer movements re-cut to ``max_len + 1`` points). Instead of
steps, the keyframe model works on *positions* ``x, y, t`` per point, padded
after the last point by holding it, and standardised per channel by a
:class:`~deval.canonical.Normalizer` fitted on the training split. Keypoints
and interpolation then have their usual meaning.

Decoding turns positions into the encoder's normalised steps (``dx, dy,
log dt``) and uses :meth:`MovementEncoder.decode`, so every movement ends
exactly on its target, has strictly increasing timestamps, and is quantised
like the training data.

The networks' condition is the encoder's goal ``[distance_norm, cos, sin]``
plus ``log(n) - log(16)``, ``n`` the model's point count, so that keypoint
times agree with the number of points (the sampling rate).

Besides, the representation answers what the shared learned-generator code
asks of an encoder (``canonical``, ``goal``, ``check_condition``,
``draw_lengths``, ``draw_goals``, ``decode``, ``max_len``), so that training
runs and batched sampling work on it unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from deval.canonical import Normalizer
from deval.errors import ConfigError, DataError
from deval.generators.diffusion.representation import CanonicalBatch, MovementEncoder
from deval.trajectories import Endpoints, Trajectories

POSITION_CHANNELS = ("x", "y", "t")
#: Index of the x, y channels (the "position" channels of the clamp policy).
XY = (0, 1)
LOG_N_REF = math.log(16.0)


def hold_padding(points: torch.Tensor, n_points: torch.Tensor) -> torch.Tensor:
    """Rows (N, P, C) with every entry after the last point replaced by the last point."""
    p = points.shape[1]
    k = torch.arange(p, device=points.device)
    last = (n_points - 1).clamp(min=0).long()
    idx = torch.minimum(k[None, :], last[:, None])
    return torch.gather(points, 1, idx[..., None].expand(-1, -1, points.shape[2]))


class KeyframeRepresentation:
    """Normalised canonical positions of movements and their decoding.

    Parameters
    ----------
    encoder : MovementEncoder
        Fitted, with ``features="deltas"``, ``spatial_scale="distance"`` and
        no duration condition.
    normalizer : Normalizer
        Fitted on positions, channels :data:`POSITION_CHANNELS`.
    """

    def __init__(self, encoder: MovementEncoder, normalizer: Normalizer):
        if encoder.features != "deltas" or encoder.spatial_scale != "distance" or encoder.use_duration:
            raise ConfigError("the keyframe model needs a deltas / distance-scale encoder without duration")
        if tuple(normalizer.channels) != POSITION_CHANNELS:
            raise DataError(None, f"position normalizer channels {normalizer.channels} are not {POSITION_CHANNELS}")
        if encoder.normalizer is None or encoder.stats is None:
            raise ConfigError("the movement encoder is not fitted")
        self.encoder = encoder
        self.normalizer = normalizer
        self._mean = torch.as_tensor(normalizer.mean_, dtype=torch.float64)
        self._std = torch.as_tensor(normalizer.std_, dtype=torch.float64)

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(cls, train: Trajectories, max_len: int = 64, quantize_output: bool = True,
            seed: int = 0) -> "KeyframeRepresentation":
        """Fit the encoder and the position normaliser on the training split."""
        enc = MovementEncoder(max_len, "deltas", "distance", "log", False, quantize_output).fit(train, seed=seed)
        batch = enc.canonical(train)
        pos, valid = cls.raw_positions(batch)
        norm = Normalizer(channels=POSITION_CHANNELS).fit(pos.double().numpy(), valid.numpy())
        return cls(enc, norm)

    # ---------------------------------------------------------------- sizes
    @property
    def max_points(self) -> int:
        """Padded row length P = max_len + 1."""
        return self.encoder.max_len + 1

    @property
    def max_len(self) -> int:
        """Maximum number of steps L of a movement (``max_points - 1``)."""
        return self.encoder.max_len

    @property
    def use_duration(self) -> bool:
        """Always False: the model generates durations."""
        return False

    @property
    def goal_dim(self) -> int:
        """Size of the networks' condition (:meth:`with_length`: 4)."""
        return self.encoder.goal_dim + 1

    # ------------------------------------------------ conditions (encoder's)
    def canonical(self, traj: Trajectories) -> CanonicalBatch:
        """Real movements in the canonical frame (:meth:`MovementEncoder.canonical`)."""
        return self.encoder.canonical(traj)

    def check_condition(self, cond: Endpoints) -> None:
        """See :meth:`MovementEncoder.check_condition`."""
        self.encoder.check_condition(cond)

    def draw_lengths(self, distance: np.ndarray, seed: int | None = None, k: int = 16):
        """See :meth:`MovementEncoder.draw_lengths`."""
        return self.encoder.draw_lengths(distance, seed, k)

    def draw_goals(self, n: int, seed: int | None = None):
        """See :meth:`MovementEncoder.draw_goals`."""
        return self.encoder.draw_goals(n, seed)

    # ------------------------------------------------------------- encoding
    @staticmethod
    def raw_positions(batch: CanonicalBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Canonical positions (N, P, 3) (padding holds the last point) and validity mask (N, P)."""
        pos = hold_padding(batch.points, batch.n_points)
        valid = torch.arange(pos.shape[1], device=pos.device)[None, :] < batch.n_points[:, None]
        return pos, valid

    def normalize(self, pos: torch.Tensor) -> torch.Tensor:
        """Canonical positions -> model units (same shape, float32)."""
        m, s = self._mean.to(pos.device), self._std.to(pos.device)
        return ((pos.double() - m) / s).float()

    def denormalize(self, values: torch.Tensor) -> torch.Tensor:
        """Model units -> canonical positions (float64)."""
        m, s = self._mean.to(values.device), self._std.to(values.device)
        return values.double() * s + m

    def positions(self, batch: CanonicalBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised positions (N, P, 3) float32 and validity mask (N, P) of a canonical batch."""
        pos, valid = self.raw_positions(batch)
        return self.normalize(pos), valid

    def goal(self, distance: torch.Tensor, angle: torch.Tensor, duration: torch.Tensor | None = None
             ) -> torch.Tensor:
        """The movement goal (N, 3) ``[distance_norm, cos, sin]`` of the encoder (durations are not used)."""
        return self.encoder.goal(distance, angle)

    def with_length(self, goal: torch.Tensor, n_points: torch.Tensor) -> torch.Tensor:
        """The networks' condition (N, 4): ``goal`` (N, 3) and ``log(n) - log(16)`` of the model point counts (N,)."""
        ln = torch.log(n_points.to(goal.device).double().clamp(min=2)) - LOG_N_REF
        return torch.cat([goal, ln.to(goal.dtype)[:, None]], dim=1)

    def known_keypoints(self, keypoints: torch.Tensor) -> torch.Tensor:
        """Keypoints (N, K, 3) with what is known by construction set exactly.

        Keypoint 0 is the start ``(0, 0)`` at ``t = 0``; the last keypoint's
        ``x, y`` is the target ``(1, 0)``; its time (the duration) is generated.
        """
        origin = self.normalize(torch.zeros(1, 1, 3, device=keypoints.device))[0, 0]
        target = self.normalize(torch.tensor([[[1.0, 0.0, 0.0]]], device=keypoints.device))[0, 0]
        out = keypoints.clone()
        out[:, 0] = origin.to(out.dtype)
        out[:, -1, :2] = target[:2].to(out.dtype)
        return out

    # ------------------------------------------------------------- decoding
    def to_steps(self, values: torch.Tensor, n_points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised positions (N, P, 3) -> the encoder's normalised steps (N, P - 1, 3) and step mask."""
        pos = self.denormalize(values)
        d = pos[:, 1:] - pos[:, :-1]
        min_dt = self.encoder.min_dt
        dt = torch.log(d[..., 2].clamp(min=min_dt))
        raw = torch.stack([d[..., 0], d[..., 1], dt], dim=-1)
        mask = torch.arange(raw.shape[1], device=raw.device)[None, :] < (n_points.to(raw.device)[:, None] - 1)
        norm = self.encoder.normalizer
        mean = torch.as_tensor(norm.mean_, dtype=raw.dtype, device=raw.device)
        std = torch.as_tensor(norm.std_, dtype=raw.dtype, device=raw.device)
        return (raw - mean) / std * mask[..., None], mask

    def decode(self, values: torch.Tensor, mask: torch.Tensor, cond: Endpoints, n_points: np.ndarray | None = None,
               style: str = "keyframe-diffusion") -> tuple[Trajectories, np.ndarray]:
        """Normalised positions (N, P, 3) with their point mask (N, P) -> movements in pixels.

        Entries past a movement's last point are not read. See
        :meth:`MovementEncoder.decode` for ``n_points`` (final counts, longer
        ones re-cut) and the returned uncorrected end points.
        """
        mask = torch.as_tensor(mask)
        steps, step_mask = self.to_steps(torch.as_tensor(values), mask.sum(1))
        return self.encoder.decode(steps, step_mask, cond, n_points=n_points, style=style)

    # ------------------------------------------------------------ save/load
    def to_dict(self) -> dict:
        """Encoder settings and statistics, encoder normaliser and position normaliser (JSON-ready)."""
        return {"encoder": self.encoder.to_dict(), "step_normalizer": self.encoder.normalizer.to_dict(),
                "position_normalizer": self.normalizer.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "KeyframeRepresentation":
        """Inverse of :meth:`to_dict`; raises :class:`DataError` on bad content."""
        try:
            steps = Normalizer.from_dict(d["step_normalizer"])
            pos = Normalizer.from_dict(d["position_normalizer"])
            enc = MovementEncoder.from_dict(d["encoder"], steps)
        except (KeyError, TypeError) as exc:
            raise DataError(None, f"invalid keyframe representation ({exc})") from None
        try:
            return cls(enc, pos)
        except ConfigError as exc:
            raise DataError(None, str(exc)) from None
