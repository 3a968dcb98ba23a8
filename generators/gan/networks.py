"""The two networks of the conditional WGAN-GP: a GRU generator and a dilated-convolution critic.

Both work on the canonical representation of :mod:`deval.generators.diffusion.representation`:
normalised steps ``x`` of shape ``(N, L, C)`` (``dx, dy, dt`` or the 8 rich
channels), a boolean step mask ``(N, L)`` (True for the ``n_i - 1`` leading
real steps of a movement of ``n_i`` points) and the goal condition
``(N, G)`` = ``[distance_norm, cos(angle), sin(angle)(, duration_norm)]``.

Both networks work on *patches* of ``patch`` consecutive steps (like the
diffusion UNet's stride-4 stem): the GRU runs over ``ceil(L / patch)`` tokens
and emits ``patch`` steps per token, the critic's first convolution has
stride ``patch``. This cuts the cost of the recurrence and of the critic's
double backward (gradient penalty) by about ``patch`` times.

Padding never matters: the generator runs a packed GRU (padded tokens are not
seen in either direction) and zeroes its padded output; the critic zeroes
padded inputs and padded tokens after every layer and pools with the mask,
so both give the same result for a movement whatever the padded length of
its batch.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["step_position", "GRUGenerator", "ConvCritic"]


def _pad_to_patches(t: torch.Tensor, patch: int) -> torch.Tensor:
    """Zero-pad dimension 1 of ``t`` to a multiple of ``patch``."""
    extra = (-t.shape[1]) % patch
    if extra == 0:
        return t
    pad = t.new_zeros((t.shape[0], extra) + tuple(t.shape[2:]))
    return torch.cat([t, pad], dim=1)


def token_mask(mask: torch.Tensor, patch: int) -> torch.Tensor:
    """``(N, ceil(L / patch))``: True for tokens that hold at least one real step."""
    m = _pad_to_patches(mask, patch)
    return m.view(m.shape[0], -1, patch).any(-1)


def step_position(mask: torch.Tensor, max_len: int) -> torch.Tensor:
    """Two per-step position features ``(N, L, 2)``: progress ``k / (n - 1)`` and the length ``log n / log L``.

    ``n`` is the number of real steps of the row; padded steps get zeros.
    """
    n = mask.sum(1, keepdim=True).to(torch.float32)  # (N, 1)
    k = torch.arange(mask.shape[1], device=mask.device, dtype=torch.float32)[None, :]
    progress = k / (n - 1).clamp(min=1)
    length = (torch.log(n.clamp(min=1)) / math.log(max(max_len, 2))).expand_as(progress)
    return torch.stack([progress, length], dim=-1) * mask[..., None]


class GRUGenerator(nn.Module):
    """Conditional sequence generator: noise per token + a per-movement latent + the goal -> normalised steps.

    A goal embedding and the latent vector form the movement's context; it
    initialises a bidirectional GRU (through a linear map) and is appended to
    every token's input (noise and the position features of its steps) and
    output. Each token emits an anchor value, placed at the token's centre,
    and a residual for each of its steps; a step is the linear interpolation
    of the neighbouring anchors plus ``residual_scale`` times its residual
    (a learned scalar, starting at 0.1). Steps therefore vary smoothly, as
    pointer velocities do, unless the critic asks for detail.

    Parameters
    ----------
    channels : int
        Output channels C.
    goal_dim : int
        Goal size G.
    noise_dim, latent_dim, emb_dim, hidden, layers : int
        Sizes (see :class:`~.config.GANModelConfig`).
    patch : int
        Steps emitted per GRU token.
    max_len : int
        Longest movement in steps (scales the length feature).
    """

    def __init__(self, channels: int, goal_dim: int, *, noise_dim: int = 8, latent_dim: int = 32, emb_dim: int = 64,
                 hidden: int = 128, layers: int = 2, patch: int = 4, max_len: int = 64):
        super().__init__()
        self.channels, self.goal_dim = int(channels), int(goal_dim)
        self.noise_dim, self.latent_dim = int(noise_dim), int(latent_dim)
        self.hidden, self.layers, self.patch, self.max_len = int(hidden), int(layers), int(patch), int(max_len)
        ctx = emb_dim + latent_dim
        self.goal_emb = nn.Sequential(nn.Linear(goal_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.h0 = nn.Linear(ctx, 2 * layers * hidden)
        self.inp = nn.Linear(noise_dim + 2 * patch + ctx, hidden)
        self.gru = nn.GRU(hidden, hidden, layers, batch_first=True, bidirectional=True)
        self.out = nn.Sequential(nn.Linear(2 * hidden + ctx, 2 * hidden), nn.SiLU(),
                                 nn.Linear(2 * hidden, (patch + 1) * channels))
        self.residual_scale = nn.Parameter(torch.tensor(0.1))

    def draw_noise(self, n: int, length: int, generator: torch.Generator | None, device) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-token noise ``(n, ceil(length / patch), noise_dim)`` and latents ``(n, latent_dim)``.

        Drawn on the CPU (seeded by ``generator``), then moved to ``device``.
        """
        z = torch.randn(n, -(-length // self.patch), self.noise_dim, generator=generator)
        w = torch.randn(n, self.latent_dim, generator=generator)
        return z.to(device), w.to(device)

    def forward(self, goal: torch.Tensor, mask: torch.Tensor, noise: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        """Normalised steps ``(N, L, C)`` (0 on padded steps).

        Parameters
        ----------
        goal : (N, G)
        mask : (N, L) bool, at least one real step per row
        noise : (N, ceil(L / patch), noise_dim)
            One noise vector per token: variation within a token comes from
            the network, which keeps consecutive steps smooth.
        latent : (N, latent_dim)
        """
        n, length = mask.shape
        p = self.patch
        tokens = -(-length // p)
        ctx = torch.cat([self.goal_emb(goal), latent], dim=-1)  # (N, E + Z)
        ctx_t = ctx[:, None, :].expand(n, tokens, ctx.shape[-1])
        pos = _pad_to_patches(step_position(mask, self.max_len), p).reshape(n, tokens, 2 * p)
        h = torch.nn.functional.silu(self.inp(torch.cat([noise * token_mask(mask, p)[..., None], pos, ctx_t], dim=-1)))
        lengths = token_mask(mask, p).sum(1).clamp(min=1).cpu()
        h0 = torch.tanh(self.h0(ctx)).view(n, 2 * self.layers, self.hidden).transpose(0, 1).contiguous()
        packed = pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed, h0)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens)
        y = self.out(torch.cat([out, ctx_t], dim=-1))  # (N, T, (p + 1) C)
        c = self.channels
        anchors = y[..., :c]
        residual = y[..., c:].reshape(n, tokens * p, c)[:, :length]
        # anchor k sits at step (k + 0.5) p - 0.5; interpolate within each movement's own tokens
        u = (torch.arange(length, device=mask.device, dtype=y.dtype) + 0.5) / p - 0.5
        lo = torch.floor(u)
        frac = (u - lo)[None, :, None]
        last = (lengths.to(mask.device) - 1)[:, None]
        i0 = lo.long()[None, :].clamp(min=0).minimum(last)
        i1 = (lo.long() + 1)[None, :].clamp(min=0).minimum(last)
        a0 = torch.gather(anchors, 1, i0[..., None].expand(n, length, c))
        a1 = torch.gather(anchors, 1, i1[..., None].expand(n, length, c))
        smooth = a0 + (a1 - a0) * torch.where(i1 > i0, 1.0, 0.0)[..., None] * frac
        return (smooth + self.residual_scale * residual) * mask[..., None]

    def generate(self, goal: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw noise (seeded by ``generator``) and run :meth:`forward`."""
        z, w = self.draw_noise(len(goal), mask.shape[1], generator, goal.device)
        return self(goal, mask, z, w)


def step_change(xy: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """How each step differs from the previous one, ``(N, L, 4)``.

    Channels: the second difference ``(s_k - s_{k-1}) / scale`` of the steps
    ``s = xy`` (2 channels) and the damped turning terms
    ``cross(s_{k-1}, s_k) / D`` and ``dot(s_{k-1}, s_k) / D`` with
    ``D = sqrt(|s_{k-1}|^2 |s_k|^2 + c^4)``, ``c = |scale| / 4`` (sine and
    cosine of the heading change for steps of typical size, shrinking to 0
    for tiny steps; smooth, so the gradient penalty's double backward stays
    finite at zero-length steps). Zero at the first step and on padding. Jittery
    paths stand out in these channels at once.
    """
    prev = torch.cat([torch.zeros_like(xy[:, :1]), xy[:, :-1]], dim=1)
    both = (mask & torch.cat([torch.zeros_like(mask[:, :1]), mask[:, :-1]], dim=1))[..., None].to(xy.dtype)
    d2 = (xy - prev) / scale
    cross = prev[..., 0] * xy[..., 1] - prev[..., 1] * xy[..., 0]
    dot = (prev * xy).sum(-1)
    denom = torch.sqrt(prev.pow(2).sum(-1) * xy.pow(2).sum(-1) + (scale.norm() / 4) ** 4)
    return torch.cat([d2, torch.stack([cross, dot], dim=-1) / denom[..., None]], dim=-1) * both


class _Block(nn.Module):
    """Residual block: LeakyReLU, dilated conv, LeakyReLU, 1x1 conv; padded positions zeroed."""

    def __init__(self, width: int, kernel: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel, padding=dilation * (kernel // 2), dilation=dilation)
        self.mix = nn.Conv1d(width, width, 1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, h: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return h + self.mix(self.act(self.conv(self.act(h)) * m)) * m


class ConvCritic(nn.Module):
    """Conditional WGAN critic over normalised steps, the integrated path and the goal.

    Besides the normalised steps, every position sees the canonical path up to
    that step (the cumulative sum of the de-normalised ``dx, dy`` divided by
    ``path_scale``), how the step changes from the previous one (see
    :func:`step_change`) and its position features; the head sees masked mean and
    max pooling of the features, the path's end point and a goal embedding,
    plus a projection term ``<W e(goal), pooled>`` (Miyato & Koyama 2018).

    Parameters
    ----------
    channels, goal_dim : int
        Input channels C and goal size G.
    mean, std : sequence of float, length C
        The normaliser's statistics (to integrate the path).
    path_scale : float
        Divides the integrated path (1 when movements are scaled to unit distance).
    emb_dim, width, blocks, kernel : int
        Sizes; block ``i`` has dilation ``2**i``.
    patch : int
        Stride (and kernel) of the first convolution, in steps.
    max_len : int
        Longest movement in steps.
    """

    def __init__(self, channels: int, goal_dim: int, *, mean, std, path_scale: float = 1.0, emb_dim: int = 64,
                 width: int = 96, blocks: int = 4, kernel: int = 5, patch: int = 4, max_len: int = 64):
        super().__init__()
        self.max_len, self.patch = int(max_len), int(patch)
        self.register_buffer("xy_mean", torch.as_tensor(list(mean)[:2], dtype=torch.float32))
        self.register_buffer("xy_std", torch.as_tensor(list(std)[:2], dtype=torch.float32))
        self.register_buffer("path_scale", torch.tensor(float(path_scale)))
        self.stem = nn.Conv1d(channels + 8, width, patch, stride=patch)
        self.blocks = nn.ModuleList(_Block(width, kernel, 2 ** i) for i in range(blocks))
        self.goal_emb = nn.Sequential(nn.Linear(goal_dim, emb_dim), nn.LeakyReLU(0.2), nn.Linear(emb_dim, emb_dim))
        self.head = nn.Sequential(nn.Linear(2 * width + emb_dim + 2, width), nn.LeakyReLU(0.2), nn.Linear(width, 1))
        self.proj = nn.Linear(emb_dim, 2 * width, bias=False)

    def forward(self, x: torch.Tensor, goal: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Critic scores ``(N,)`` (higher = more real) of steps ``x`` (N, L, C) for ``goal`` (N, G)."""
        m = mask[..., None].to(x.dtype)  # (N, L, 1)
        xy = (x[..., :2] * self.xy_std + self.xy_mean) * m
        path = torch.cumsum(xy, dim=1) / self.path_scale * m
        change = step_change(xy, mask, self.xy_std)
        feats = torch.cat([x * m, path, change, step_position(mask, self.max_len)], dim=-1)
        feats = _pad_to_patches(feats, self.patch).transpose(1, 2)  # (N, C + 8, T * patch)
        mt = token_mask(mask, self.patch)[:, None, :].to(x.dtype)  # (N, 1, T)
        h = self.stem(feats) * mt
        for blk in self.blocks:
            h = blk(h, mt)
        count = mt.sum(-1).clamp(min=1)
        mean = h.sum(-1) / count
        mx = h.masked_fill(mt == 0, -1e4).amax(-1)
        pooled = torch.cat([mean, mx], dim=-1)  # (N, 2W)
        end = xy.sum(1) / self.path_scale  # end point of the path (padded steps add 0)
        e = self.goal_emb(goal)
        return self.head(torch.cat([pooled, e, end], dim=-1)).squeeze(-1) + (self.proj(e) * pooled).sum(-1)
