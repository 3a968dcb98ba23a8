"""From goal conditions to movements with a diffusion model: guided sampling in chunks of similar length.

Lengths, chunking and decoding are the shared ones of
:mod:`deval.generators.learned.batched_sampling`; this module adds the
diffusion sampler call.
"""

from __future__ import annotations

import numpy as np
import torch

from deval.generators.learned.batched_sampling import generate_by_length, movements_for, steps_for
from deval.trajectories import Endpoints, Trajectories

from .model import DiffusionModel
from .representation import MovementEncoder

__all__ = ["steps_for", "sample_normalized", "sample_movements"]


def sample_normalized(model: DiffusionModel, encoder: MovementEncoder, n_steps: np.ndarray, goal: torch.Tensor, *,
                      seed: int, sampler: str, steps: int, cfg_scale: float, eta: float, batch_size: int,
                      device: torch.device | str | None = None, multiple: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised steps (N, max_len, C) and mask for movements of ``n_steps`` steps and goals (N, G).

    Movements are sorted by length and sampled in chunks of ``batch_size``,
    each padded only to its own longest movement (rounded up to ``multiple``):
    the denoisers ignore padding, so this changes cost, not results.
    Chunk ``k`` uses noise from ``torch.Generator().manual_seed(seed + k)``.
    """
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    c = encoder.n_channels

    def draw(mask: torch.Tensor, goal_chunk: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        return model.sample(mask, goal_chunk, sampler=sampler, steps=steps, cfg_scale=cfg_scale, eta=eta,
                            generator=g, channels=c)

    return generate_by_length(n_steps, goal, max_len=encoder.max_len, channels=c, batch_size=batch_size, seed=seed,
                              device=dev, draw=draw, multiple=multiple)


def sample_movements(model: DiffusionModel, encoder: MovementEncoder, cond: Endpoints, *, seed: int | None,
                     sampler: str = "dpm-solver", steps: int = 10, cfg_scale: float = 1.0, eta: float = 0.0,
                     batch_size: int = 1000, device: torch.device | str | None = None,
                     style: str = "diffusion") -> tuple[Trajectories, np.ndarray]:
    """Movements in pixels for the conditions ``cond``.

    Returns
    -------
    traj : Trajectories
        Movements ending exactly on ``cond.end``; metadata columns
        ``uncorrected_end_x``, ``uncorrected_end_y`` hold the end point the model
        produced before the exact-endpoint correction (pixels).
    uncorrected_end : ndarray, (N, 2)
        The same, as an array (input of :func:`deval.metrics.generation.goal_accuracy`).
    """
    def generate(n_steps: np.ndarray, goal: torch.Tensor, chunk_seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        return sample_normalized(model, encoder, n_steps, goal, seed=chunk_seed, sampler=sampler, steps=steps,
                                 cfg_scale=cfg_scale, eta=eta, batch_size=batch_size, device=device)

    return movements_for(encoder, cond, seed=seed, generate=generate, style=style)
