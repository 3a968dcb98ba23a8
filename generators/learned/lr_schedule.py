"""Learning-rate schedule of the learned generators: linear warm-up, then cosine decay to 10%."""

from __future__ import annotations

import math

__all__ = ["warmup_cosine_lr"]


def warmup_cosine_lr(step: int, base_lr: float, warmup: int, total: int) -> float:
    """Learning rate at optimiser step ``step`` (0-based).

    ``base_lr * (step + 1) / warmup`` for the first ``warmup`` steps (at least 1),
    then a cosine from ``base_lr`` down to ``0.1 * base_lr`` at step ``total``
    (constant after it).
    """
    warm = max(1, warmup)
    if step < warm:
        return base_lr * (step + 1) / warm
    frac = min(1.0, (step - warm) / max(1, total - warm))
    return base_lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
