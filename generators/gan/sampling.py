"""From goal conditions to movements with a trained GAN generator (one network call per chunk).

Lengths, chunking and decoding are the shared ones of
:mod:`deval.generators.learned.batched_sampling`.
"""

from __future__ import annotations

import numpy as np
import torch

from deval.generators.diffusion.representation import MovementEncoder
from deval.generators.learned.batched_sampling import generate_by_length, movements_for
from deval.trajectories import Endpoints, Trajectories

from .networks import GRUGenerator

__all__ = ["generate_normalized", "sample_movements"]


@torch.no_grad()
def generate_normalized(net: GRUGenerator, encoder: MovementEncoder, n_steps: np.ndarray, goal: torch.Tensor, *,
                        seed: int, batch_size: int = 2000, device: torch.device | str | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised steps ``(N, max_len, C)`` and mask ``(N, max_len)`` for ``n_steps`` (N,) steps and goals (N, G).

    Movements are sorted by length and generated in chunks of ``batch_size``,
    each padded to its own longest movement; chunk ``k`` draws its noise from
    ``torch.Generator().manual_seed(seed + k)`` (same seed, same output). The
    network's training mode is restored afterwards.
    """
    dev = torch.device(device) if device is not None else next(net.parameters()).device
    was_training = net.training
    net.eval()
    try:
        return generate_by_length(n_steps, goal, max_len=encoder.max_len, channels=encoder.n_channels,
                                  batch_size=batch_size, seed=seed, device=dev,
                                  draw=lambda mask, goal_chunk, g: net.generate(goal_chunk, mask, g))
    finally:
        net.train(was_training)


def sample_movements(net: GRUGenerator, encoder: MovementEncoder, cond: Endpoints, *, seed: int | None,
                     batch_size: int = 2000, device: torch.device | str | None = None,
                     style: str = "gan") -> tuple[Trajectories, np.ndarray]:
    """Movements in pixels for the conditions ``cond`` (each ends exactly on ``cond.end``).

    Point counts are ``cond.n_points`` when given, else drawn from training
    movements of similar distance (:meth:`MovementEncoder.draw_lengths`).

    Returns
    -------
    traj : Trajectories
        Pixels and seconds, strictly increasing timestamps; metadata columns
        ``uncorrected_end_x``, ``uncorrected_end_y`` hold the end point the
        generator produced before the exact-endpoint correction.
    uncorrected_end : ndarray, (N, 2)
        The same in pixels (input of :func:`deval.metrics.generation.goal_accuracy`).
    """
    def generate(n_steps: np.ndarray, goal: torch.Tensor, chunk_seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        return generate_normalized(net, encoder, n_steps, goal, seed=chunk_seed, batch_size=batch_size, device=device)

    return movements_for(encoder, cond, seed=seed, generate=generate, style=style)
