"""A small 1-D convolutional detector on canonical normalised steps.

Architecture (:class:`DeltaCNN`): three 1-D convolutions over time (kernel
5, dilations 1, 2, 4, so the receptive field spans 25 steps, about 0.4 s at
60 Hz), ReLU, padded steps zeroed after every layer; masked mean and max
pooling over time plus the log step count; a two-layer MLP to one logit.
About 36k parameters with the defaults.
"""

from __future__ import annotations

import torch
from torch import nn

from deval.detectors.base import store_init_params
from deval.detectors.sequence_head import SequenceDetector, SequenceModule, masked_pool

__all__ = ["CNNDetector", "DeltaCNN"]


class DeltaCNN(SequenceModule):
    """1-D CNN: ``forward(x (B, T, C), mask (B, T)) -> logits (B,)``.

    Parameters
    ----------
    in_channels : int
        Channels per step (3: dx, dy, dt).
    width : int
        Channels of the first convolution; the next two have ``2 * width``.
    kernel_size : int
        Odd kernel size of every convolution.
    hidden : int
        Units of the MLP head.
    """

    def __init__(self, in_channels: int = 3, width: int = 32, kernel_size: int = 5, hidden: int = 32):
        super().__init__()
        chans = [in_channels, width, 2 * width, 2 * width]
        self.convs = nn.ModuleList(
            nn.Conv1d(chans[i], chans[i + 1], kernel_size, dilation=2 ** i, padding=(kernel_size // 2) * 2 ** i)
            for i in range(3)
        )
        self.head = nn.Sequential(nn.Linear(2 * chans[-1] + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pooled features (B, 2 * 2 * width + 1): the input of the MLP head."""
        m = mask.unsqueeze(1).to(x.dtype)
        h = x.transpose(1, 2) * m
        for conv in self.convs:
            h = torch.relu(conv(h)) * m
        return masked_pool(h.transpose(1, 2), mask)


class CNNDetector(SequenceDetector):
    """Detector head: :class:`DeltaCNN` on canonical normalised steps.

    Parameters
    ----------
    view, resample_hz, jitter, seed, class_weight
        See :class:`~deval.detectors.feature_heads.LogisticDetector`; ``seed`` also
        seeds the weights and the batch order.
    max_len : int
        Steps per movement (longer ones are truncated).
    epochs, batch_size, lr, weight_decay
        AdamW training settings.
    device : str
        Torch device.
    n_threads : int or None
        Torch threads (see :class:`~deval.detectors.sequence_head.SequenceDetector`).
    width, kernel_size, hidden
        Architecture (see :class:`DeltaCNN`).
    """

    head = "cnn"

    def __init__(self, view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = "balanced", max_len: int = 256, epochs: int = 10,
                 batch_size: int = 64, lr: float = 2e-3, weight_decay: float = 1e-4, device: str = "cpu",
                 n_threads: int | None = 1,
                 width: int = 32, kernel_size: int = 5, hidden: int = 32):
        store_init_params(self, locals())

    def _build_module(self) -> DeltaCNN:
        return DeltaCNN(3, int(self.width), int(self.kernel_size), int(self.hidden))
