"""Clamp policy after stage 2: which generated points are reset to their anchor values, in which channels.

``endpoints`` (default)
    The first and last point of each movement.
``all-anchors``
    Every keypoint (the stage-1 anchors of the movement).
``none``
    Nothing; the stage-2 output is kept as is.

``channels="position"`` resets only ``x, y``; ``"all"`` also the time channel.
Clamped entries equal the anchor values bit for bit.
"""

from __future__ import annotations

import torch

from deval.errors import ConfigError

CLAMP_POLICIES = ("endpoints", "all-anchors", "none")
CLAMP_CHANNELS = ("position", "all")


def check_clamp(policy: str, channels: str) -> None:
    """Raise :class:`ConfigError` for an unknown policy or channel choice."""
    if policy not in CLAMP_POLICIES:
        raise ConfigError(f"clamp policy must be one of {CLAMP_POLICIES}, got {policy!r}")
    if channels not in CLAMP_CHANNELS:
        raise ConfigError(f"clamp channels must be one of {CLAMP_CHANNELS}, got {channels!r}")


def apply_clamp(x: torch.Tensor, anchor_values: torch.Tensor, anchors: torch.Tensor, n_points: torch.Tensor,
                policy: str = "endpoints", channels: str = "position", position_channels: tuple[int, ...] = (0, 1)
                ) -> torch.Tensor:
    """Reset the points chosen by ``policy`` to ``anchor_values``.

    Parameters
    ----------
    x : Tensor, (B, P, C)
        Stage-2 output.
    anchor_values : Tensor, (B, P, C)
        The anchors' values at their points (other entries are not read).
    anchors : BoolTensor, (B, P)
        The anchor points (keypoints) of each movement.
    n_points : LongTensor, (B,)
        Points per movement (the last point is ``n - 1``).
    policy : {"endpoints", "all-anchors", "none"}
    channels : {"position", "all"}
    position_channels : tuple of int
        The channels called "position" (x, y).

    Returns
    -------
    Tensor, (B, P, C)
    """
    check_clamp(policy, channels)
    if policy == "none":
        return x
    b, p, c = x.shape
    k = torch.arange(p, device=x.device)[None, :]
    if policy == "endpoints":
        which = (k == 0) | (k == (n_points.to(x.device)[:, None] - 1))
    else:
        which = anchors.to(x.device) & (k < n_points.to(x.device)[:, None])
    ch = torch.zeros(c, dtype=torch.bool, device=x.device)
    if channels == "all":
        ch[:] = True
    else:
        ch[list(position_channels)] = True
    return torch.where(which[..., None] & ch, anchor_values.to(x.dtype), x)
