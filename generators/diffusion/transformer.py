"""A transformer denoiser over (patches of) movement steps.

Input projection of patches of ``patch_size`` steps, fixed sinusoidal
positional encoding, a sinusoidal time embedding combined with the goal
embedding, FiLM (adaptive LayerNorm scale/shift/gate) conditioning in every
layer, and key-padding masks so that padded steps are never attended to.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .conditioning import ConditionEmbedding


def positional_encoding(length: int, dim: int, device=None) -> torch.Tensor:
    """Fixed sinusoidal positional encoding (length, dim)."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    i = torch.arange(0, dim, 2, device=device, dtype=torch.float32)
    div = torch.exp(-math.log(10_000.0) * i / dim)
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
    return pe


class FiLMTransformerLayer(nn.Module):
    """Pre-norm transformer layer whose norms are modulated (scale, shift, gate) by the embedding."""

    def __init__(self, d_model: int, heads: int, ff_mult: int, emb_dim: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model, elementwise_affine=False)
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model, elementwise_affine=False)
        self.ff = nn.Sequential(nn.Linear(d_model, ff_mult * d_model), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(ff_mult * d_model, d_model))
        self.film = nn.Linear(emb_dim, 6 * d_model)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, emb: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        s1, b1, g1, s2, b2, g2 = self.film(F.silu(emb))[:, None, :].chunk(6, dim=-1)
        h = self.norm1(x) * (1 + s1) + b1
        h, _ = self.attn(h, h, h, key_padding_mask=pad, need_weights=False)
        x = x + (1 + g1) * h
        h = self.norm2(x) * (1 + s2) + b2
        return x + (1 + g2) * self.ff(h)


class TransformerDenoiser(nn.Module):
    """Transformer denoiser; same call signature as :class:`~.unet1d.UNet1d`.

    Parameters
    ----------
    channels_in : int
        Channels C of the movement representation.
    goal_dim : int
        Size of the goal condition.
    d_model, layers, heads, ff_mult : int
        Transformer width, depth, attention heads and feed-forward expansion.
    patch_size : int
        Steps per token (1 = one token per step).
    dropout : float
        Dropout in attention and feed-forward layers.
    emb_dim : int
        Size of the time/goal embedding.
    self_condition : bool
        Take the previous clean estimate as extra input channels.
    num_train_timesteps : int
        Of the diffusion (for the time embedding).
    """

    def __init__(self, channels_in: int, goal_dim: int, d_model: int = 128, layers: int = 4, heads: int = 4,
                 ff_mult: int = 2, patch_size: int = 2, dropout: float = 0.0, emb_dim: int = 128,
                 self_condition: bool = True, num_train_timesteps: int = 1000):
        super().__init__()
        self.c = channels_in
        self.patch = int(patch_size)
        self.self_condition = self_condition
        cin = channels_in * (2 if self_condition else 1) + 1
        self.embed = ConditionEmbedding(goal_dim, emb_dim, num_train_timesteps)
        self.proj_in = nn.Linear(cin * self.patch, d_model)
        self.layers = nn.ModuleList(
            FiLMTransformerLayer(d_model, heads, ff_mult, emb_dim, dropout) for _ in range(layers)
        )
        self.norm_out = nn.LayerNorm(d_model)
        self.proj_out = nn.Linear(d_model, channels_in * self.patch)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)
        self.d_model = d_model

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, goal: torch.Tensor, drop: torch.Tensor | None,
                mask: torch.Tensor, self_cond: torch.Tensor | None = None) -> torch.Tensor:
        b, length, c = x.shape
        m = mask.to(x.dtype)
        parts = [x]
        if self.self_condition:
            parts.append(torch.zeros_like(x) if self_cond is None else self_cond)
        parts.append(m[..., None])
        h = torch.cat(parts, dim=-1) * m[..., None]
        pad = (-length) % self.patch
        if pad:
            h = F.pad(h, (0, 0, 0, pad))
            m = F.pad(m, (0, pad))
        n_tok = h.shape[1] // self.patch
        h = h.reshape(b, n_tok, -1)
        tok_valid = m.reshape(b, n_tok, self.patch).amax(-1) > 0
        key_pad = ~tok_valid & tok_valid.any(dim=1, keepdim=True)
        emb = self.embed(timesteps, goal, drop, mask.sum(1).to(x.dtype))
        h = self.proj_in(h) + positional_encoding(n_tok, self.d_model, x.device).to(h.dtype)
        for layer in self.layers:
            h = layer(h, emb, key_pad)
        out = self.proj_out(self.norm_out(h)).reshape(b, n_tok * self.patch, c)[:, :length]
        return out * mask.to(x.dtype)[..., None]
