"""Training batches of canonical movements: shuffled passes, augmentation and goal noise.

All randomness comes from one ``torch.Generator`` of the training run, in a
fixed order (permutation, then augmentations, then goal noise), so that the
same seed gives the same run.
"""

from __future__ import annotations

import torch

from deval.generators.diffusion import augment as A
from deval.generators.diffusion.representation import CanonicalBatch, MovementEncoder

from .movement_config import AugmentConfig

__all__ = ["ShuffledBatches", "augment_batch", "training_goal"]


class ShuffledBatches:
    """Batches of ``batch_size`` movements drawn in shuffled passes over a :class:`CanonicalBatch`.

    A new permutation (from ``generator``) is drawn whenever fewer than
    ``batch_size`` movements are left in the current one; the rest of the old
    pass is skipped.

    Parameters
    ----------
    data : CanonicalBatch
        All training movements (N), on ``device``.
    batch_size : int
        Movements per batch (B <= N for full batches).
    generator : torch.Generator
        Source of the permutations (a CPU generator).
    device : torch.device
        Where the permutation (and so the batches) live.
    state : dict, optional
        :meth:`state_dict` of the run being resumed: continue its pass instead of drawing a new one.
    """

    def __init__(self, data: CanonicalBatch, batch_size: int, generator: torch.Generator, device: torch.device,
                 state: dict | None = None):
        self.data = data
        self.batch_size = int(batch_size)
        self.generator = generator
        self.device = device
        if state is not None and len(state["perm"]) == len(data):  # resuming: the pass where it stopped
            self.perm, self.pos = state["perm"].to(device), int(state["pos"])
        else:
            self.perm = torch.randperm(len(data), generator=generator).to(device)
            self.pos = 0

    def state_dict(self) -> dict:
        """Where the current pass is (saved with the training state, so a resumed run continues it)."""
        return {"perm": self.perm.cpu(), "pos": self.pos}

    def next_indices(self) -> torch.Tensor:
        """Indices (B,) of the next batch into ``data``."""
        if self.pos + self.batch_size > len(self.perm):
            self.perm = torch.randperm(len(self.data), generator=self.generator).to(self.device)
            self.pos = 0
        idx = self.perm[self.pos: self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def next(self) -> CanonicalBatch:
        """The next batch (B movements)."""
        return self.data.take(self.next_indices())


def augment_batch(b: CanonicalBatch, cfg, g: torch.Generator) -> CanonicalBatch:
    """Apply the augmentations enabled in ``cfg.augment`` (an :class:`AugmentConfig`), in a fixed order.

    ``cfg`` is a configuration with ``augment`` and ``data`` sections; nothing is
    drawn from ``g`` for augmentations that are off.
    """
    a: AugmentConfig = cfg.augment
    if a.time_stretch > 0:
        b = A.time_stretch(b, a.time_stretch, a.p, g)
    if a.time_warp > 0:
        b = A.time_warp(b, a.time_warp, a.p, g)
    if a.crop:
        b = A.crop(b, a.p, g, scaled=cfg.data.spatial_scale == "distance")
    if a.jitter > 0:
        b = A.jitter(b, a.jitter, a.p, g)
    if a.mirror:
        b = A.mirror(b, a.p, g)
    return b


def training_goal(encoder: MovementEncoder, b: CanonicalBatch, noise: float, g: torch.Generator | None) -> torch.Tensor:
    """Goal condition (B, G) of a batch, with log-distance and angle noise of std ``noise`` (0 or no ``g``: exact).

    The distance is multiplied by ``exp(noise * N(0, 1))`` and ``noise * N(0, 1)``
    radians are added to the angle, both drawn from ``g``.
    """
    dist, angle, dur = b.distance, b.angle, b.duration
    if noise > 0 and g is not None:
        dev = dist.device
        dist = dist * torch.exp(noise * torch.randn(len(b), generator=g).to(dev))
        angle = angle + noise * torch.randn(len(b), generator=g).to(dev)
    return encoder.goal(dist, angle, dur)
