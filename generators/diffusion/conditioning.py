"""Embeddings shared by the denoisers: diffusion time, goal condition (with a learned null for CFG), length."""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_embedding(values: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Transformer-style sin/cos features of ``values`` (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=values.device, dtype=torch.float32) / half)
    args = values.float()[:, None] * freqs[None, :]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1)
    return emb


class ConditionEmbedding(nn.Module):
    """One vector per movement from the diffusion time, the goal and the movement length.

    Parameters
    ----------
    goal_dim : int
        Size G of the goal condition (3: distance_norm, cos, sin; 4 with duration).
    emb_dim : int
        Output size E.
    num_train_timesteps : int
        Timesteps are rescaled to [0, 1000) before the sinusoidal features.

    Notes
    -----
    ``drop`` (B,) bool replaces a movement's goal embedding by a learned null
    embedding: the unconditional model of classifier-free guidance. The length
    (number of real steps) is structural and is never dropped.
    """

    def __init__(self, goal_dim: int, emb_dim: int, num_train_timesteps: int = 1000):
        super().__init__()
        self.emb_dim = emb_dim
        self.time_scale = 1000.0 / num_train_timesteps
        self.time_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.goal_mlp = nn.Sequential(nn.Linear(goal_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.null_goal = nn.Parameter(torch.zeros(emb_dim))
        self.length_mlp = nn.Sequential(nn.Linear(emb_dim // 4, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

    def forward(self, timesteps: torch.Tensor, goal: torch.Tensor, drop: torch.Tensor | None,
                length: torch.Tensor) -> torch.Tensor:
        """(B,) timesteps, (B, G) goal, (B,) bool drop, (B,) number of steps -> (B, E)."""
        t = self.time_mlp(sinusoidal_embedding(timesteps * self.time_scale, self.emb_dim))
        g = self.goal_mlp(goal)
        if drop is not None:
            g = torch.where(drop[:, None], self.null_goal.to(g.dtype).expand_as(g), g)
        ln = self.length_mlp(sinusoidal_embedding(length * 10.0, self.emb_dim // 4))
        return t + g + ln
