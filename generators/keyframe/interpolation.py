"""The deterministic corruption ``x_s = Interp(x0 | M_s)``: piecewise-linear interpolation between anchors.

Every point takes the linear interpolation (along the point index) of the
nearest anchor before and after it; anchors keep their values exactly.
Points before the first anchor take its value, points after the last one take
that one's (padding after a movement's last point therefore holds the last
point). Vectorised over rows; no Python loop over points.
"""

from __future__ import annotations

import torch

from deval.errors import ConfigError


def interpolate_from_anchors(values: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """``Interp(values | anchors)``.

    Parameters
    ----------
    values : Tensor, (N, P, C)
        Only the entries at anchors are read.
    anchors : BoolTensor, (N, P)
        At least one anchor per row.

    Returns
    -------
    Tensor, (N, P, C)
        Equal to ``values`` at anchors (bit for bit); linear in the point index
        between consecutive anchors; constant outside the first/last anchor.

    Raises
    ------
    ConfigError
        When a row has no anchor.
    """
    n, p, c = values.shape
    if anchors.shape != (n, p):
        raise ConfigError(f"anchors of shape {tuple(anchors.shape)} do not match values {tuple(values.shape)}")
    if not bool(anchors.any(dim=1).all()):
        raise ConfigError("every row needs at least one anchor to interpolate from")
    k = torch.arange(p, device=values.device)
    kk = k[None, :].expand(n, p)
    prev = torch.cummax(torch.where(anchors, kk, torch.full_like(kk, -1)), dim=1).values
    nxt = torch.cummin(torch.where(anchors, kk, torch.full_like(kk, p)).flip(1), dim=1).values.flip(1)
    prev_c = torch.where(prev >= 0, prev, nxt)  # before the first anchor: hold it
    nxt_c = torch.where(nxt < p, nxt, prev_c)  # after the last anchor: hold it
    span = (nxt_c - prev_c).clamp(min=1)
    w = torch.where(nxt_c > prev_c, (kk - prev_c).to(values.dtype) / span.to(values.dtype),
                    torch.zeros((), dtype=values.dtype, device=values.device))
    vp = torch.gather(values, 1, prev_c[..., None].expand(n, p, c))
    vn = torch.gather(values, 1, nxt_c[..., None].expand(n, p, c))
    return vp + w[..., None] * (vn - vp)
