"""Stage 2: the interpolation-corruption denoiser ``f(x_s, M_s, s, goal) -> x0``.

Training (:func:`corrupt` + :func:`fill_in_loss`): draw a level ``s`` in
``1 .. S`` per movement and its anchor mask ``M_s`` (:mod:`.anchor_masks`),
corrupt the clean positions by interpolation ``x_s = Interp(x0 | M_s)``
(:mod:`.interpolation`), and regress ``x0`` on the points that are not anchors.
Bootstrapped rows (:mod:`.bootstrap`) use level ``S`` with anchor values from
stage 1 instead of the true keypoints.

Inference (:func:`fill_in`): interpolate the stage-1 keypoints (level ``S``)
and jump to ``x0`` in one network call; with ``steps > 1``, walk down a
random nested chain ``M_S ⊂ ... ⊂ M_0`` with the cold-diffusion update
``x_{s-1} = x_s - Interp(x0_hat | M_s) + Interp(x0_hat | M_{s-1})`` (Bansal et
al. 2022), which keeps the keypoints fixed.

The network is a FiLM transformer over the points of a movement (the
diffusion package's :class:`FiLMTransformerLayer`, positional encoding and
:class:`ConditionEmbedding`, with the level in place of the diffusion time);
each token sees ``x_s``, its anchor flag and its validity flag; padded points
are never attended to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from deval.errors import ConfigError
from deval.generators.diffusion.conditioning import ConditionEmbedding
from deval.generators.diffusion.transformer import FiLMTransformerLayer, positional_encoding

from .anchor_masks import (anchor_counts, anchor_mask_at, anchor_ranks, keypoint_indices, keypoint_mask,
                           masks_from_ranks)
from .interpolation import interpolate_from_anchors

PREDICTIONS = ("residual", "sample")


class FillInDenoiser(nn.Module):
    """Transformer ``f(x_s, anchors, level, goal) -> x0_hat`` over the points of a movement.

    Parameters
    ----------
    channels : int
        Channels C of the positions (3: x, y, t).
    goal_dim : int
        Size G of the goal condition.
    levels : int
        Number S of corruption levels (the level embedding covers ``0 .. S``).
    d_model, layers, heads, ff_mult, emb_dim : int
        Transformer width, depth, heads, feed-forward expansion, condition embedding size.
    dropout : float
    prediction : {"residual", "sample"}
        The network outputs ``x0 - x_s`` (residual) or ``x0`` itself.
    """

    def __init__(self, channels: int, goal_dim: int, levels: int, *, d_model: int = 128, layers: int = 4,
                 heads: int = 4, ff_mult: int = 2, emb_dim: int = 128, dropout: float = 0.0,
                 prediction: str = "residual"):
        super().__init__()
        if prediction not in PREDICTIONS:
            raise ConfigError(f"stage-2 prediction must be one of {PREDICTIONS}, got {prediction!r}")
        self.c = int(channels)
        self.levels = int(levels)
        self.prediction = prediction
        self.d_model = int(d_model)
        self.embed = ConditionEmbedding(goal_dim, emb_dim, num_train_timesteps=self.levels + 1)
        self.proj_in = nn.Linear(self.c + 2, d_model)
        self.layers = nn.ModuleList(FiLMTransformerLayer(d_model, heads, ff_mult, emb_dim, dropout)
                                    for _ in range(layers))
        self.norm_out = nn.LayerNorm(d_model)
        self.proj_out = nn.Linear(d_model, self.c)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x_s: torch.Tensor, anchors: torch.Tensor, valid: torch.Tensor, level: torch.Tensor,
                goal: torch.Tensor) -> torch.Tensor:
        """Clean estimate (B, P, C) from ``x_s`` (B, P, C), ``anchors`` and ``valid`` (B, P) bool,
        ``level`` (B,) and ``goal`` (B, G).

        Padded points (``~valid``) are returned unchanged.
        """
        v = valid.to(x_s.dtype)[..., None]
        h = torch.cat([x_s, anchors.to(x_s.dtype)[..., None], v], dim=-1) * v
        emb = self.embed(level, goal, None, valid.sum(1).to(x_s.dtype))
        h = self.proj_in(h) + positional_encoding(x_s.shape[1], self.d_model, x_s.device).to(h.dtype)
        pad = ~valid
        for layer in self.layers:
            h = layer(h, emb, pad)
        out = self.proj_out(self.norm_out(h))
        x0 = x_s + out if self.prediction == "residual" else out
        return torch.where(valid[..., None], x0, x_s)


@dataclass
class Corruption:
    """One corrupted training batch.

    Attributes
    ----------
    values : Tensor, (B, P, C)
        The clean positions with, on bootstrapped rows, the keypoints replaced by stage-1 samples.
    x_s : Tensor, (B, P, C)
        ``Interp(values | anchors)``.
    anchors, loss_mask : BoolTensor, (B, P)
        Anchor points; points whose error counts (every valid point: anchors too, so that stage 2
        learns to keep true anchors and to repair bootstrapped ones).
    level : LongTensor, (B,)
        Corruption level in ``1 .. S``.
    """

    values: torch.Tensor
    x_s: torch.Tensor
    anchors: torch.Tensor
    loss_mask: torch.Tensor
    level: torch.Tensor


def scatter_keypoints(values: torch.Tensor, keypoints: torch.Tensor, n_points: torch.Tensor) -> torch.Tensor:
    """``values`` (B, P, C) with the keypoint positions of each row set to ``keypoints`` (B, K, C)."""
    idx = keypoint_indices(n_points, keypoints.shape[1]).to(values.device)
    return values.scatter(1, idx[..., None].expand(-1, -1, values.shape[2]), keypoints.to(values.dtype))


def gather_keypoints(values: torch.Tensor, n_points: torch.Tensor, k: int) -> torch.Tensor:
    """The K keypoints (B, K, C) of positions ``values`` (B, P, C)."""
    idx = keypoint_indices(n_points, k).to(values.device)
    return torch.gather(values, 1, idx[..., None].expand(-1, -1, values.shape[2]))


def corrupt(x0: torch.Tensor, n_points: torch.Tensor, k: int, levels: int, generator: torch.Generator | None = None,
            *, keypoints: torch.Tensor | None = None, use_keypoints: torch.Tensor | None = None) -> Corruption:
    """Draw a level and nested anchor mask per movement and interpolate.

    Parameters
    ----------
    x0 : Tensor, (B, P, C)
        Clean normalised positions (padding holds the last point).
    n_points : LongTensor, (B,)
    k, levels : int
        Keypoints K and levels S.
    generator : torch.Generator, optional
    keypoints : Tensor, (B, K, C), optional
        Replacement keypoints (stage-1 samples) for the rows in ``use_keypoints``.
    use_keypoints : BoolTensor, (B,), optional
        Rows corrupted at level S from ``keypoints`` (bootstrapping).
    """
    b, p, _ = x0.shape
    dev = x0.device
    level = torch.randint(1, int(levels) + 1, (b,), generator=generator).to(dev)
    values = x0
    if keypoints is not None and use_keypoints is not None and bool(use_keypoints.any()):
        use = use_keypoints.to(dev)
        level = torch.where(use, torch.full_like(level, int(levels)), level)
        values = torch.where(use[:, None, None], scatter_keypoints(x0, keypoints, n_points), x0)
    anchors = anchor_mask_at(n_points, k, levels, level, p, generator).to(dev)
    valid = torch.arange(p, device=dev)[None, :] < n_points.to(dev)[:, None]
    return Corruption(values, interpolate_from_anchors(values, anchors), anchors, valid, level)


def fill_in_loss(model: FillInDenoiser, x0: torch.Tensor, n_points: torch.Tensor, goal: torch.Tensor,
                 corruption: Corruption) -> torch.Tensor:
    """Mean squared error of the clean estimate on ``corruption.loss_mask`` (scalar)."""
    valid = torch.arange(x0.shape[1], device=x0.device)[None, :] < n_points.to(x0.device)[:, None]
    pred = model(corruption.x_s, corruption.anchors, valid, corruption.level, goal)
    m = corruption.loss_mask.to(x0.dtype)[..., None]
    return (((pred.float() - x0.float()) ** 2) * m).sum() / (m.sum() * x0.shape[2]).clamp(min=1)


@dataclass
class FillInStep:
    """What :func:`fill_in` reports: the input and clean estimate of one network call.

    Attributes
    ----------
    index, total : int
    level : int
        Level of the input.
    x_s : Tensor, (B, P, C)
    anchors : BoolTensor, (B, P)
    pred_x0 : Tensor, (B, P, C)
    """

    index: int
    total: int
    level: int
    x_s: torch.Tensor
    anchors: torch.Tensor
    pred_x0: torch.Tensor


@torch.no_grad()
def fill_in(model: FillInDenoiser, keypoints: torch.Tensor, n_points: torch.Tensor, length: int, goal: torch.Tensor,
            *, steps: int = 1, generator: torch.Generator | None = None,
            on_step: Callable[[FillInStep], None] | None = None) -> torch.Tensor:
    """Positions (B, P, C) from keypoints (B, K, C): one-step jump (``steps=1``) or cold-diffusion walk.

    Parameters
    ----------
    model : FillInDenoiser
    keypoints : Tensor, (B, K, C)
        Normalised keypoints (from stage 1).
    n_points : LongTensor, (B,)
        Model points per movement (<= ``length``).
    length : int
        Padded row length P.
    goal : Tensor, (B, G)
    steps : int
        1 .. S network calls; with ``steps > 1`` the levels ``S -> 0`` are
        visited in ``steps`` even strides along a random nested chain drawn
        with ``generator``.
    on_step : callable, optional
        Called with a :class:`FillInStep` after each network call.
    """
    dev = keypoints.device
    b, k, c = keypoints.shape
    s_max = model.levels
    if not 1 <= int(steps) <= s_max:
        raise ConfigError(f"stage-2 steps must be between 1 and the model's {s_max} levels, got {steps}")
    n_points = n_points.to(dev)
    valid = torch.arange(length, device=dev)[None, :] < n_points[:, None]
    values = scatter_keypoints(torch.zeros(b, length, c, device=dev, dtype=keypoints.dtype), keypoints, n_points)
    anchors = keypoint_mask(n_points, k, length)
    x = interpolate_from_anchors(values, anchors)
    if int(steps) == 1:
        level = torch.full((b,), s_max, dtype=torch.long, device=dev)
        x0 = model(x, anchors, valid, level, goal)
        if on_step is not None:
            on_step(FillInStep(0, 1, s_max, x, anchors, x0))
        return x0
    ranks, n_key = anchor_ranks(n_points, k, length, generator)
    masks = masks_from_ranks(ranks.to(dev), anchor_counts(n_points, n_key.to(dev), s_max))  # (B, S+1, P)
    visit = torch.linspace(s_max, 0, int(steps) + 1).round().long().tolist()
    for i, (s, s_next) in enumerate(zip(visit[:-1], visit[1:])):
        level = torch.full((b,), s, dtype=torch.long, device=dev)
        x0 = model(x, masks[:, s], valid, level, goal)
        if on_step is not None:
            on_step(FillInStep(i, int(steps), s, x, masks[:, s], x0))
        x = x - interpolate_from_anchors(x0, masks[:, s]) + interpolate_from_anchors(x0, masks[:, s_next])
    return x
