"""A small 1-D UNet denoiser over the time axis of a movement.

Down path of stride-2 stages, residual blocks with GroupNorm + SiLU + dropout
and FiLM (scale/shift) from the time+goal embedding in every block,
self-attention at the bottleneck, skip connections to the up path. An
optional strided "stem" (patch embedding) halves or quarters the sequence
before the first stage, which is what makes CPU sampling fast; a full-resolution
skip from the input to the output head keeps fine detail.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .conditioning import ConditionEmbedding


def _groups(ch: int) -> int:
    for g in (8, 4, 2, 1):
        if ch % g == 0:
            return g
    return 1


class MaskedGroupNorm(nn.GroupNorm):
    """GroupNorm whose statistics use only unmasked positions (so padding length does not matter).

    ``forward(x, mask, film=None)``: ``x`` (B, C, L), ``mask`` (B, 1, L); an
    optional FiLM ``(scale, shift)`` of shape (B, C, 1) is folded into the same
    affine map, ``y * (1 + scale) + shift``. Padded positions come out as 0.
    """

    def forward(self, x: torch.Tensor, mask: torch.Tensor,  # type: ignore[override]
                film: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        b, c, length = x.shape
        g = self.num_groups
        xm = x * mask
        xg = xm.reshape(b, g, -1)
        count = (mask.reshape(b, 1, length).sum(-1) * (c // g)).clamp(min=1)  # (B, 1)
        mean = xg.sum(-1) / count
        var = ((xg * xg).sum(-1) / count - mean * mean).clamp(min=0)
        rstd = torch.rsqrt(var + self.eps)
        scale = rstd.repeat_interleave(c // g, dim=1) * self.weight  # (B, C)
        shift = self.bias - mean.repeat_interleave(c // g, dim=1) * scale
        if film is not None:
            fs, fb = film[0].squeeze(-1), film[1].squeeze(-1)
            scale = scale * (1 + fs)
            shift = shift * (1 + fs) + fb
        return torch.addcmul(shift[..., None], xm, scale[..., None]) * mask


class ResBlock1d(nn.Module):
    """GN-SiLU-Conv, FiLM from the embedding, GN-SiLU-dropout-Conv, residual."""

    def __init__(self, cin: int, cout: int, emb_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm1 = MaskedGroupNorm(_groups(cin), cin)
        self.conv1 = nn.Conv1d(cin, cout, 3, padding=1)
        self.film = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = MaskedGroupNorm(_groups(cout), cout)
        self.drop = nn.Dropout(dropout)
        self.conv2 = nn.Conv1d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x, mask)))
        scale, shift = self.film(F.silu(emb)).unsqueeze(-1).chunk(2, dim=1)
        h = self.norm2(h, mask, (scale, shift))
        h = self.conv2(self.drop(F.silu(h)))
        return (self.skip(x) + h) * mask


class Attention1d(nn.Module):
    """Multi-head self-attention over positions with a key-padding mask."""

    def __init__(self, ch: int, heads: int):
        super().__init__()
        self.norm = MaskedGroupNorm(_groups(ch), ch)
        self.attn = nn.MultiheadAttention(ch, heads, batch_first=True)
        self.out = nn.Linear(ch, ch)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm(x, mask).transpose(1, 2)
        pad = ~mask[:, 0].bool()
        pad = pad & ~pad.all(dim=1, keepdim=True)  # a fully padded row would give NaN
        h, _ = self.attn(h, h, h, key_padding_mask=pad, need_weights=False)
        return (x + self.out(h).transpose(1, 2)) * mask


class UNet1d(nn.Module):
    """1-D UNet denoiser.

    Parameters
    ----------
    channels_in : int
        Channels C of the (normalised) movement representation.
    goal_dim : int
        Size of the goal condition.
    channels : sequence of int
        Width of each stage; stage i runs at ``L / (stem_stride * 2**i)`` positions.
    num_res_blocks : int
        Residual blocks per stage on the down path (the up path has one more).
    stem_stride : int
        1, 2 or 4: patch size of the input convolution.
    attention : bool
        Self-attention at the bottleneck.
    heads : int
        Attention heads.
    dropout : float
        Dropout inside residual blocks.
    emb_dim : int
        Size of the time/goal embedding.
    self_condition : bool
        Take the previous clean estimate as extra input channels.
    num_train_timesteps : int
        Of the diffusion (for the time embedding).

    Notes
    -----
    ``forward(x, timesteps, goal, drop, mask, self_cond)``: ``x`` (B, L, C),
    ``timesteps`` (B,), ``goal`` (B, G), ``drop`` (B,) bool or None, ``mask``
    (B, L) bool, ``self_cond`` (B, L, C) or None; returns (B, L, C).
    """

    def __init__(self, channels_in: int, goal_dim: int, channels: Sequence[int] = (32, 64, 128),
                 num_res_blocks: int = 1, stem_stride: int = 2, attention: bool = True, heads: int = 4,
                 dropout: float = 0.0, emb_dim: int = 128, self_condition: bool = True,
                 num_train_timesteps: int = 1000):
        super().__init__()
        if stem_stride not in (1, 2, 4):
            from deval.errors import ConfigError

            raise ConfigError(f"stem_stride must be 1, 2 or 4, got {stem_stride}")
        channels = [int(c) for c in channels]
        self.c = channels_in
        self.self_condition = self_condition
        self.stem_stride = stem_stride
        self.multiple = stem_stride * 2 ** (len(channels) - 1)
        cin = channels_in * (2 if self_condition else 1) + 1  # + mask channel
        self.embed = ConditionEmbedding(goal_dim, emb_dim, num_train_timesteps)
        s = stem_stride
        self.stem = (nn.Conv1d(cin, channels[0], 3, padding=1) if s == 1
                     else nn.Conv1d(cin, channels[0], 2 * s, stride=s, padding=s // 2))
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skips = [channels[0]]
        ch = channels[0]
        for i, c in enumerate(channels):
            blocks = nn.ModuleList()
            for _ in range(num_res_blocks):
                blocks.append(ResBlock1d(ch, c, emb_dim, dropout))
                ch = c
                skips.append(ch)
            self.down.append(blocks)
            if i < len(channels) - 1:
                self.downsample.append(nn.Conv1d(ch, ch, 4, stride=2, padding=1))
                skips.append(ch)
        self.mid1 = ResBlock1d(ch, ch, emb_dim, dropout)
        self.mid_attn = Attention1d(ch, heads) if attention else None
        self.mid2 = ResBlock1d(ch, ch, emb_dim, dropout)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, c in reversed(list(enumerate(channels))):
            blocks = nn.ModuleList()
            for _ in range(num_res_blocks + 1):
                blocks.append(ResBlock1d(ch + skips.pop(), c, emb_dim, dropout))
                ch = c
            self.up.append(blocks)
            if i > 0:
                self.upsample.append(nn.ConvTranspose1d(ch, ch, 4, stride=2, padding=1))
        self.unstem = (nn.Identity() if s == 1
                       else nn.ConvTranspose1d(ch, ch, 2 * s, stride=s, padding=s // 2))
        self.head_norm = MaskedGroupNorm(_groups(ch), ch)
        self.head = nn.Conv1d(ch + cin, channels_in, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @staticmethod
    def _pool_mask(mask: torch.Tensor, factor: int) -> torch.Tensor:
        return F.max_pool1d(mask, factor, factor) if factor > 1 else mask

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, goal: torch.Tensor, drop: torch.Tensor | None,
                mask: torch.Tensor, self_cond: torch.Tensor | None = None) -> torch.Tensor:
        b, length, _ = x.shape
        pad = (-length) % self.multiple
        m = mask.to(x.dtype)
        parts = [x]
        if self.self_condition:
            parts.append(torch.zeros_like(x) if self_cond is None else self_cond)
        parts.append(m[..., None])
        h_in = torch.cat(parts, dim=-1).transpose(1, 2) * m[:, None, :]
        if pad:
            h_in = F.pad(h_in, (0, pad))
            m = F.pad(m, (0, pad))
        emb = self.embed(timesteps, goal, drop, mask.sum(1).to(x.dtype))
        m = m[:, None, :]
        ms = self._pool_mask(m, self.stem_stride)
        h = self.stem(h_in) * ms
        hs = [h]
        for i, blocks in enumerate(self.down):
            for blk in blocks:
                h = blk(h, emb, ms)
                hs.append(h)
            if i < len(self.downsample):
                ms = self._pool_mask(ms, 2)
                h = self.downsample[i](h) * ms
                hs.append(h)
        h = self.mid1(h, emb, ms)
        if self.mid_attn is not None:
            h = self.mid_attn(h, ms)
        h = self.mid2(h, emb, ms)
        masks = [ms]
        for _ in range(len(self.downsample)):
            masks.append(F.interpolate(masks[-1], scale_factor=2.0, mode="nearest"))
        masks = masks[::-1]  # masks[-1] is the deepest stage
        for j, blocks in enumerate(self.up):
            level = len(self.up) - 1 - j
            ml = self._pool_mask(m, self.stem_stride * 2 ** level)
            for blk in blocks:
                h = blk(torch.cat([h, hs.pop()], dim=1), emb, ml)
            if j < len(self.upsample):
                h = self.upsample[j](h)
        h = self.unstem(h)
        h = F.silu(self.head_norm(h, m))
        out = self.head(torch.cat([h, h_in], dim=1)) * m
        return out[:, :, :length].transpose(1, 2)
