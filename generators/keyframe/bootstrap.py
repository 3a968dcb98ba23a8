"""Scheduled bootstrapping: train stage 2 on stage-1 anchors for a growing share of examples.

Stage 2 is trained on true keypoints, but at inference it sees stage-1
samples, with their errors. Bootstrapping closes that gap (like scheduled
sampling): from ``start`` (a fraction of training) the share of examples whose
keypoints are replaced by stage-1 samples grows linearly over ``ramp`` up to
``max_share`` (default 0.5). The replacement keypoints are drawn by stage 1
(its EMA weights) from the true keypoints noised to ``strength`` of the
noise schedule (SDEdit): they carry stage 1's errors but still belong to the
movement the stage-2 target is, so the regression target stays meaningful
(``strength = 1`` gives plain stage-1 samples for the goal).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from deval.errors import ConfigError
from deval.generators.diffusion.model import DiffusionModel

from .keypoint_model import sample_keypoints


@dataclass(frozen=True)
class BootstrapSchedule:
    """Share of bootstrapped stage-2 examples over training.

    Parameters
    ----------
    max_share : float
        Cap of the share, in [0, 1].
    start, ramp : float
        Fractions of the total steps: the share is 0 before ``start`` and
        reaches ``max_share`` at ``start + ramp``.
    total_steps : int
    """

    max_share: float = 0.5
    start: float = 0.25
    ramp: float = 0.5
    total_steps: int = 1

    def __post_init__(self):
        if not 0 <= self.max_share <= 1:
            raise ConfigError(f"bootstrap max_share must be in [0, 1], got {self.max_share}")
        if not 0 <= self.start <= 1 or self.ramp < 0:
            raise ConfigError("bootstrap start must be in [0, 1] and ramp >= 0")
        if self.total_steps < 1:
            raise ConfigError("bootstrap total_steps must be >= 1")

    def share(self, step: int) -> float:
        """Share of bootstrapped examples at optimiser step ``step``."""
        frac = step / self.total_steps
        if frac < self.start:
            return 0.0
        if self.ramp == 0:
            return self.max_share
        return self.max_share * min(1.0, (frac - self.start) / self.ramp)

    def rows(self, step: int, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Which of ``batch`` examples are bootstrapped at ``step``: BoolTensor (batch,)."""
        return torch.rand(batch, generator=generator) < self.share(step)


@torch.no_grad()
def bootstrapped_keypoints(stage1: DiffusionModel, true_keypoints: torch.Tensor, goal: torch.Tensor, *,
                           strength: float = 0.6, steps: int = 5, generator: torch.Generator | None = None
                           ) -> torch.Tensor:
    """Stage-1 keypoints (B, K, C) re-generated from the true ones noised to ``strength`` (DDIM, ``steps``)."""
    was_training = stage1.training
    stage1.eval()
    try:
        return sample_keypoints(stage1, goal, true_keypoints.shape[1], sampler="ddim", steps=steps,
                                generator=generator, start=true_keypoints, strength=strength)
    finally:
        stage1.train(was_training)
