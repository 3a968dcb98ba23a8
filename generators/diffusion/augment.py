"""On-the-fly augmentations of canonical movements for small training sets.

Every function takes a :class:`~.representation.CanonicalBatch` (canonical
points, padded) and a :class:`torch.Generator`, acts on a random subset of
rows (probability ``p``) and returns a new batch; all are vectorised over rows.

* :func:`time_stretch` - slower/faster by a factor in ``[1 - s, 1 + s]``: the
  movement is re-cut into proportionally more/fewer points (interpolation
  along the point index) and its times are scaled, so the sampling interval
  keeps its distribution.
* :func:`time_warp` - a smooth monotone warp ``g`` of the time axis
  (``g(0)=0``, ``g(T)=T``): positions are re-read at ``g(t_k)``, which speeds
  up one part of the movement and slows another.
* :func:`jitter` - Gaussian micro-jitter on interior points (end points fixed),
  a fraction of the mean step length.
* :func:`mirror` - left-right mirror of the screen: canonical y flips and the
  goal angle becomes ``pi - angle``.
* :func:`crop` - a contiguous sub-movement (at least ``min_frac`` of the points)
  re-canonicalised as a movement of its own (new distance and angle).
* goal perturbation lives in the trainer (noise on the goal vector).
"""

from __future__ import annotations

import math

import torch

from .representation import CanonicalBatch, pad_points, resample_by_index


def _rows(n: int, p: float, g: torch.Generator, device) -> torch.Tensor:
    return torch.rand(n, generator=g).to(device) < p


def time_stretch(b: CanonicalBatch, amount: float, p: float, g: torch.Generator) -> CanonicalBatch:
    """Stretch time by ``1 + U(-amount, amount)`` on a fraction ``p`` of rows."""
    n, cap = len(b), b.points.shape[1]
    dev = b.points.device
    sel = _rows(n, p, g, dev)
    f = (1 + (torch.rand(n, generator=g).to(dev) * 2 - 1) * amount) * sel + (~sel) * 1.0
    new_n = torch.round((b.n_points - 1) * f).long().add(1).clamp(min=3, max=cap)
    new_n = torch.where(sel, torch.minimum(new_n, torch.where(b.n_points >= 3, new_n, b.n_points)), b.n_points)
    pts = resample_by_index(b.points, b.n_points, new_n, cap)
    scale = torch.where(sel, (new_n - 1).float() / (b.n_points - 1).clamp(min=1).float(), torch.ones_like(f))
    pts = pts.clone()
    pts[..., 2] = pts[..., 2] * scale[:, None]
    pts = pad_points(pts, new_n)
    return CanonicalBatch(pts, new_n, b.distance, b.angle, b.duration * scale)


def time_warp(b: CanonicalBatch, amount: float, p: float, g: torch.Generator) -> CanonicalBatch:
    """Re-read positions at ``g(t) = t + amount * T * sin(2 pi c t / T) / (2 pi c)`` (``c`` in {1, 2}, random sign)."""
    n, cap, _ = b.points.shape
    dev = b.points.device
    sel = _rows(n, p, g, dev)
    cycles = torch.randint(1, 3, (n,), generator=g).to(dev).float()
    sign = torch.where(torch.rand(n, generator=g).to(dev) < 0.5, -1.0, 1.0)
    a = (amount * sign * sel).clamp(-0.9, 0.9)
    t = b.points[..., 2]
    dur = t[torch.arange(n, device=dev), b.n_points - 1].clamp(min=1e-6)
    s = (t / dur[:, None]).clamp(0, 1)
    warped = (s + a[:, None] * torch.sin(2 * math.pi * cycles[:, None] * s) / (2 * math.pi * cycles[:, None]))
    tq = (warped.clamp(0, 1) * dur[:, None]).contiguous()
    idx = torch.searchsorted(t.contiguous(), tq, right=True).clamp(1, cap - 1)
    idx = torch.minimum(idx, (b.n_points - 1)[:, None])
    t0 = torch.gather(t, 1, idx - 1)
    t1 = torch.gather(t, 1, idx)
    w = ((tq - t0) / (t1 - t0).clamp(min=1e-9)).clamp(0, 1)[..., None]
    xy0 = torch.gather(b.points[..., :2], 1, (idx - 1)[..., None].expand(-1, -1, 2))
    xy1 = torch.gather(b.points[..., :2], 1, idx[..., None].expand(-1, -1, 2))
    xy = xy0 * (1 - w) + xy1 * w
    pts = torch.cat([xy, t[..., None]], dim=-1)
    k = torch.arange(cap, device=dev)[None]
    keep = (k == 0) | (k == (b.n_points - 1)[:, None]) | ~sel[:, None]
    pts = torch.where(keep[..., None], b.points, pts)
    return CanonicalBatch(pad_points(pts, b.n_points), b.n_points, b.distance, b.angle, b.duration)


def jitter(b: CanonicalBatch, amount: float, p: float, g: torch.Generator) -> CanonicalBatch:
    """Add N(0, (amount * mean step)^2) to x, y of interior points of a fraction ``p`` of rows."""
    n, cap, _ = b.points.shape
    dev = b.points.device
    sel = _rows(n, p, g, dev)
    steps = b.points[:, 1:, :2] - b.points[:, :-1, :2]
    k = torch.arange(cap, device=dev)[None]
    valid_step = k[:, :-1] < (b.n_points - 1)[:, None]
    mean_step = (steps.norm(dim=-1) * valid_step).sum(1) / valid_step.sum(1).clamp(min=1)
    noise = torch.randn(n, cap, 2, generator=g).to(dev) * (amount * mean_step)[:, None, None]
    interior = (k > 0) & (k < (b.n_points - 1)[:, None]) & sel[:, None]
    pts = b.points.clone()
    pts[..., :2] = pts[..., :2] + noise * interior[..., None]
    return CanonicalBatch(pad_points(pts, b.n_points), b.n_points, b.distance, b.angle, b.duration)


def mirror(b: CanonicalBatch, p: float, g: torch.Generator) -> CanonicalBatch:
    """Left-right screen mirror of a fraction ``p`` of rows (canonical y -> -y, angle -> pi - angle)."""
    sel = _rows(len(b), p, g, b.points.device)
    pts = b.points.clone()
    pts[..., 1] = torch.where(sel[:, None], -pts[..., 1], pts[..., 1])
    angle = torch.where(sel, math.pi - b.angle, b.angle)
    angle = torch.remainder(angle + math.pi, 2 * math.pi) - math.pi
    return CanonicalBatch(pts, b.n_points, b.distance, angle, b.duration)


def crop(b: CanonicalBatch, p: float, g: torch.Generator, min_frac: float = 0.6, min_points: int = 8,
         scaled: bool = True) -> CanonicalBatch:
    """Replace a fraction ``p`` of rows by a contiguous sub-movement, re-canonicalised.

    The crop keeps at least ``min_frac`` of the points (and ``min_points``); crops
    whose net displacement is under 20% of the original are skipped.
    ``scaled`` says whether canonical coordinates are in units of the distance.
    """
    n, cap, _ = b.points.shape
    dev = b.points.device
    sel = _rows(n, p, g, dev) & (b.n_points > min_points)
    u = torch.rand(n, generator=g).to(dev)
    lo = torch.maximum(torch.ceil(b.n_points * min_frac), torch.full_like(b.n_points, min_points, dtype=torch.float))
    m = (lo + u * (b.n_points - lo + 1).clamp(min=1)).floor().long()
    m = torch.minimum(torch.maximum(m, lo.long()), b.n_points)
    start = (torch.rand(n, generator=g).to(dev) * (b.n_points - m + 1)).floor().long()
    start = torch.minimum(start, b.n_points - m)
    k = torch.arange(cap, device=dev)[None]
    idx = (start[:, None] + k).clamp(max=cap - 1)
    seg = torch.gather(b.points, 1, idx[..., None].expand(-1, -1, 3))
    seg = seg - seg[:, :1]
    end = seg[torch.arange(n, device=dev), m - 1]
    d = torch.complex(end[:, 0].double(), end[:, 1].double())
    mag = d.abs()
    sel = sel & (mag > 0.2 * (1.0 if scaled else b.distance.double()))
    rot = torch.where(sel, d.conj() / mag.clamp(min=1e-12), torch.ones_like(d))
    z = torch.complex(seg[..., 0].double(), seg[..., 1].double()) * rot[:, None]
    if scaled:
        z = z / torch.where(sel, mag, torch.ones_like(mag))[:, None]
    new = torch.stack([z.real.float(), z.imag.float(), seg[..., 2]], dim=-1)
    new_n = torch.where(sel, m, b.n_points)
    pts = torch.where(sel[:, None, None], pad_points(new, m), b.points)
    scale = mag.float() if scaled else torch.ones_like(b.distance)
    dist = torch.where(sel, b.distance * scale if scaled else mag.float(), b.distance)
    angle = torch.where(sel, b.angle + torch.angle(d).float(), b.angle)
    angle = torch.remainder(angle + math.pi, 2 * math.pi) - math.pi
    dur = torch.where(sel, seg[torch.arange(n, device=dev), m - 1, 2], b.duration)
    return CanonicalBatch(pts, new_n, dist, angle, dur)
