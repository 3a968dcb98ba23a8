"""The causal variant of stage 2: fill a movement in chunks of points, left to right.

Chunk ``c`` (points ``c*w .. (c+1)*w - 1``) is predicted from the anchor
scaffold and the chunks already generated, which are fed back as anchors;
nothing generated later can change it, so a movement can be streamed as it is
produced. Training teaches exactly that situation (:func:`causal_corruption`):
per movement a random chunk ``c`` is chosen, every point before it is given
clean (as an anchor), the rest is interpolated from the level-``s`` anchors and
that prefix, and only chunk ``c`` counts in the loss. Inference
(:func:`causal_fill_in`) makes one network call per chunk.
"""

from __future__ import annotations

from typing import Callable

import torch

from deval.errors import ConfigError

from .anchor_masks import keypoint_mask
from .fill_in_model import Corruption, FillInDenoiser, FillInStep, scatter_keypoints
from .interpolation import interpolate_from_anchors


def _check_chunk(chunk: int) -> int:
    if int(chunk) < 1:
        raise ConfigError(f"stage-2 chunk must be >= 1 point, got {chunk}")
    return int(chunk)


def causal_corruption(c: Corruption, x0: torch.Tensor, n_points: torch.Tensor, chunk: int,
                      generator: torch.Generator | None = None) -> Corruption:
    """Turn a :class:`Corruption` into its causal form (prefix given clean, loss on one chunk).

    Parameters
    ----------
    c : Corruption
        From :func:`.fill_in_model.corrupt`.
    x0 : Tensor, (B, P, C)
        Clean positions (what the already generated prefix stands for).
    n_points : LongTensor, (B,)
    chunk : int
        Points per chunk w.
    generator : torch.Generator, optional
        Seeds the choice of chunk.
    """
    w = _check_chunk(chunk)
    b, p, _ = x0.shape
    dev = x0.device
    n = n_points.to(dev)
    n_chunks = (n + w - 1) // w
    which = (torch.rand(b, generator=generator).to(dev) * n_chunks).long().clamp(max=n_chunks - 1)
    k = torch.arange(p, device=dev)[None, :]
    valid = k < n[:, None]
    prefix = (k < (which * w)[:, None]) & valid
    anchors = c.anchors | prefix
    values = torch.where(prefix[..., None], x0, c.values)
    in_chunk = (k >= (which * w)[:, None]) & (k < ((which + 1) * w)[:, None]) & valid
    return Corruption(values, interpolate_from_anchors(values, anchors), anchors, in_chunk, c.level)


@torch.no_grad()
def causal_fill_in(model: FillInDenoiser, keypoints: torch.Tensor, n_points: torch.Tensor, length: int,
                   goal: torch.Tensor, chunk: int, *, on_step: Callable[[FillInStep], None] | None = None
                   ) -> torch.Tensor:
    """Positions (B, P, C) from keypoints (B, K, C), one chunk of ``chunk`` points per network call.

    The keypoints stay exactly as given; every other valid point comes from
    the call of its chunk. See :func:`.fill_in_model.fill_in` for the arguments.
    """
    w = _check_chunk(chunk)
    dev = keypoints.device
    b, k, c = keypoints.shape
    n_points = n_points.to(dev)
    pos = torch.arange(length, device=dev)[None, :]
    valid = pos < n_points[:, None]
    x = scatter_keypoints(torch.zeros(b, length, c, device=dev, dtype=keypoints.dtype), keypoints, n_points)
    anchors = keypoint_mask(n_points, k, length)
    level = torch.full((b,), model.levels, dtype=torch.long, device=dev)
    n_chunks = int((int(n_points.max()) + w - 1) // w)
    for i in range(n_chunks):
        x_s = interpolate_from_anchors(x, anchors)
        x0 = model(x_s, anchors, valid, level, goal)
        if on_step is not None:
            on_step(FillInStep(i, n_chunks, model.levels, x_s, anchors, x0))
        new = (pos >= i * w) & (pos < (i + 1) * w) & valid & ~anchors
        x = torch.where(new[..., None], x0, x)
        anchors = anchors | new
    return interpolate_from_anchors(x, anchors)
