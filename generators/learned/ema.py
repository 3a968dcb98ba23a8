"""Exponential moving average of model weights (the weights used for sampling)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keep ``shadow = decay * shadow + (1 - decay) * weights`` after every optimiser step.

    The effective decay warms up as ``min(decay, (1 + n) / (10 + n))`` so that
    early averages are not dominated by the random initialisation.

    Parameters
    ----------
    model : nn.Module
        The trained model; a frozen deep copy is kept in :attr:`model`.
    decay : float
        Target decay in [0, 1).
    """

    def __init__(self, model: nn.Module, decay: float = 0.999):
        self.decay = float(decay)
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.num_updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the current weights of ``model`` into the average."""
        self.num_updates += 1
        d = min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))
        for s, p in zip(self.model.parameters(), model.parameters()):
            s.lerp_(p.detach(), 1 - d)
        for s, b in zip(self.model.buffers(), model.buffers()):
            s.copy_(b)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "num_updates": self.num_updates, "decay": self.decay}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.num_updates = int(state["num_updates"])
        self.decay = float(state["decay"])
