"""A small bidirectional GRU detector on canonical normalised steps.

Architecture (:class:`DeltaGRU`): a linear embedding of each step, one
bidirectional GRU layer run on packed sequences (padding never enters the
recurrence), then the final hidden states of both directions together with
the masked mean and max of the outputs and the log step count, and a
two-layer MLP to one logit. About 28k parameters with the defaults.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from deval.detectors.base import store_init_params
from deval.detectors.sequence_head import SequenceDetector, SequenceModule, masked_pool

__all__ = ["DeltaGRU", "GRUDetector"]


class DeltaGRU(SequenceModule):
    """Bidirectional GRU: ``forward(x (B, T, C), mask (B, T)) -> logits (B,)``.

    Parameters
    ----------
    in_channels : int
        Channels per step (3: dx, dy, dt).
    embed : int
        Size of the per-step linear embedding.
    hidden_size : int
        GRU units per direction.
    hidden : int
        Units of the MLP head.
    """

    def __init__(self, in_channels: int = 3, embed: int = 16, hidden_size: int = 48, hidden: int = 32):
        super().__init__()
        self.embed = nn.Linear(in_channels, embed)
        self.gru = nn.GRU(embed, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(6 * hidden_size + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Final states + pooled outputs (B, 6 * hidden_size + 1): the input of the MLP head."""
        lengths = mask.sum(dim=1).clamp_min(1)
        e = torch.tanh(self.embed(x))
        packed = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        last = torch.cat([h[-2], h[-1]], dim=1)
        return torch.cat([last, masked_pool(out, mask)], dim=1)


class GRUDetector(SequenceDetector):
    """Detector head: :class:`DeltaGRU` on canonical normalised steps.

    Parameters
    ----------
    view, resample_hz, jitter, seed, class_weight, max_len, epochs, batch_size, lr, weight_decay, device, n_threads
        As for :class:`~deval.detectors.cnn_head.CNNDetector`.
    embed, hidden_size, hidden
        Architecture (see :class:`DeltaGRU`).
    """

    head = "gru"

    def __init__(self, view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = "balanced", max_len: int = 256, epochs: int = 10,
                 batch_size: int = 64, lr: float = 2e-3, weight_decay: float = 1e-4, device: str = "cpu",
                 n_threads: int | None = 1,
                 embed: int = 16, hidden_size: int = 48, hidden: int = 32):
        store_init_params(self, locals())

    def _build_module(self) -> DeltaGRU:
        return DeltaGRU(3, int(self.embed), int(self.hidden_size), int(self.hidden))
