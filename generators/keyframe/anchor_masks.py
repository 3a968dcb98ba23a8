"""Keypoints and nested anchor masks: anchor density is the noise level of the keyframe diffusion.

A movement of ``n`` points (indices ``0 .. n-1`` of a padded row of ``P``
points) has ``K`` *keypoints* evenly spaced along its point index
(:func:`keypoint_indices`; the first and the last point are always among
them). Level ``s = 0 .. S`` of the corruption keeps ``a_s`` anchor points,
with ``a_0 = n`` (every point: the clean movement) and ``a_S`` = the
keypoints only; in between the counts fall geometrically
(:func:`anchor_counts`). The anchors of every level are drawn from one random
priority per movement (:func:`anchor_ranks`): keypoints first, then the other
points in random order, so the masks are nested, ``M_0 ⊇ M_1 ⊇ ... ⊇ M_S``,
and always contain both endpoints.
"""

from __future__ import annotations

import torch

from deval.errors import ConfigError


def keypoint_indices(n_points: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of ``k`` keypoints evenly spaced along each movement's point index.

    Keypoint ``j`` is point ``round(j * (n - 1) / (k - 1))`` (halves round up),
    so keypoint 0 is the first point and keypoint ``k - 1`` the last. With
    ``n < k`` some indices repeat.

    Parameters
    ----------
    n_points : LongTensor, (N,)
        Points per movement (>= 2).
    k : int
        Keypoints per movement (>= 2).

    Returns
    -------
    LongTensor, (N, k)
        Non-decreasing indices in ``0 .. n - 1``.
    """
    k = int(k)
    if k < 2:
        raise ConfigError(f"the number of keypoints must be >= 2, got {k}")
    n = n_points.long()
    if (n < 2).any():
        raise ConfigError("every movement needs at least 2 points for keypoints")
    j = torch.arange(k, device=n.device)
    # exact integer rounding of j * (n - 1) / (k - 1), halves up
    return (2 * j[None, :] * (n[:, None] - 1) + (k - 1)) // (2 * (k - 1))


def keypoint_mask(n_points: torch.Tensor, k: int, length: int) -> torch.Tensor:
    """Boolean mask (N, length) of the keypoints of :func:`keypoint_indices`."""
    idx = keypoint_indices(n_points, k)
    if int(idx.max()) >= length:
        raise ConfigError(f"movements of up to {int(n_points.max())} points do not fit a row of {length}")
    mask = torch.zeros(len(n_points), length, dtype=torch.bool, device=n_points.device)
    return mask.scatter_(1, idx, True)


def anchor_counts(n_points: torch.Tensor, n_keypoints: torch.Tensor, levels: int) -> torch.Tensor:
    """Anchors kept at each level ``s = 0 .. levels``: ``a_s = round(n_key * (n / n_key) ** (1 - s / S))``.

    Parameters
    ----------
    n_points : LongTensor, (N,)
        Points per movement.
    n_keypoints : LongTensor, (N,)
        Distinct keypoints per movement (``<= n_points``).
    levels : int
        Number S of corruption levels (>= 1).

    Returns
    -------
    LongTensor, (N, S + 1)
        Non-increasing in ``s``; ``a_0 = n`` and ``a_S = n_key`` exactly.
    """
    if int(levels) < 1:
        raise ConfigError(f"levels must be >= 1, got {levels}")
    s = torch.arange(int(levels) + 1, device=n_points.device, dtype=torch.float64) / int(levels)
    n = n_points.double()[:, None]
    nk = n_keypoints.double()[:, None].clamp(min=1)
    counts = torch.round(nk * (n / nk) ** (1 - s[None, :])).long()
    counts = torch.minimum(torch.maximum(counts, n_keypoints[:, None].long()), n_points[:, None].long())
    return torch.cummin(counts, dim=1).values  # guard against round-off making a level larger


def anchor_ranks(n_points: torch.Tensor, k: int, length: int, generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """A random anchor priority per movement: keypoints first, other points in random order, padding last.

    Parameters
    ----------
    n_points : LongTensor, (N,)
    k : int
        Keypoints per movement.
    length : int
        Padded row length P (>= max n_points).
    generator : torch.Generator, optional
        Seeds the order (CPU generator).

    Returns
    -------
    ranks : LongTensor, (N, P)
        ``ranks[i, p] < a`` is the anchor mask of ``a`` anchors (see :func:`masks_from_ranks`).
    n_keypoints : LongTensor, (N,)
        Distinct keypoints per movement.
    """
    dev = n_points.device
    key = keypoint_mask(n_points, k, length)
    valid = torch.arange(length, device=dev)[None, :] < n_points[:, None]
    prio = torch.rand(len(n_points), length, generator=generator).to(dev)
    prio = torch.where(key, torch.full_like(prio, -1.0), torch.where(valid, prio, torch.full_like(prio, 2.0)))
    ranks = torch.argsort(torch.argsort(prio, dim=1), dim=1)
    return ranks, key.sum(1)


def masks_from_ranks(ranks: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Anchor masks from priorities: ``ranks`` (N, P) and ``counts`` (N,) -> (N, P); (N, L) -> (N, L, P)."""
    if counts.dim() == 1:
        return ranks < counts[:, None]
    return ranks[:, None, :] < counts[:, :, None]


def nested_anchor_masks(n_points: torch.Tensor, k: int, levels: int, length: int,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """The nested anchor masks ``M_0 ⊇ ... ⊇ M_S`` of each movement.

    Returns
    -------
    BoolTensor, (N, S + 1, P)
        ``[:, 0]`` is every valid point, ``[:, S]`` the keypoints; padding is never an anchor.
    """
    ranks, n_key = anchor_ranks(n_points, k, length, generator)
    return masks_from_ranks(ranks, anchor_counts(n_points, n_key, levels))


def anchor_mask_at(n_points: torch.Tensor, k: int, levels: int, level: torch.Tensor, length: int,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """One anchor mask per movement at its own ``level`` (N,) in ``0 .. S``: (N, P) bool."""
    ranks, n_key = anchor_ranks(n_points, k, length, generator)
    counts = anchor_counts(n_points, n_key, levels)
    return masks_from_ranks(ranks, counts.gather(1, level.long().to(counts.device)[:, None])[:, 0])
