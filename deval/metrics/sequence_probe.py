"""Sequence-level C2ST probe: a small 1-D CNN that reads the steps of each movement.

A feature probe sees what its features summarise; a sequence probe sees the
steps themselves, so it catches what no feature was written for (an interval
pattern, a zig-zag, a speed profile that is too smooth). This module holds the
network and its cross-fitting on given folds; :mod:`deval.realism_meter`
builds the inputs from movements and combines the probes.

Input: ``(N, T, C)`` float arrays with a ``(N, T)`` boolean mask of valid
steps (padding is ignored: it is zeroed and left out of the pooling).
Network: three 1-D convolutions (kernel 5; widths 32, 64, 64; the last two
with stride 2), masked mean and max pooling over time, the log number of
steps, then a two-layer head. Training: AdamW (lr 3e-3, weight decay 1e-4),
batches of 512, at most ``epochs`` (8) epochs with early stopping on a 10 % inner
validation split of the training folds (the epoch with the lowest validation
loss is kept); seeded per fold, so the same seed gives the same probabilities.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from deval.errors import DataError


class SequenceProbeNet(nn.Module):
    """The probe network: ``(B, T, C)`` steps and ``(B, T)`` mask -> ``(B,)`` logits."""

    def __init__(self, in_channels: int, width: int = 32):
        super().__init__()
        self.convs = nn.ModuleList([
            nn.Conv1d(in_channels, width, 5, padding=2),
            nn.Conv1d(width, 2 * width, 5, stride=2, padding=2),
            nn.Conv1d(2 * width, 2 * width, 5, stride=2, padding=2),
        ])
        self.head = nn.Sequential(nn.Linear(4 * width + 1, 64), nn.GELU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.float().unsqueeze(1)                                  # (B, 1, T)
        h = x.transpose(1, 2) * m
        for conv in self.convs:
            h = nn.functional.gelu(conv(h))
            if conv.stride[0] > 1:
                m = nn.functional.max_pool1d(m, kernel_size=conv.stride[0], stride=conv.stride[0],
                                             ceil_mode=True)[..., : h.shape[-1]]
            h = h * m
        count = m.sum(-1).clamp_min(1.0)
        mean = h.sum(-1) / count
        peak = torch.where(m > 0, h, torch.full_like(h, -1e4)).amax(-1)
        peak = torch.where(count > 0, peak, torch.zeros_like(peak))
        n_steps = torch.log1p(mask.float().sum(-1, keepdim=True))
        return self.head(torch.cat([mean, peak, n_steps], dim=1)).squeeze(-1)


def _new_net(in_channels: int, seed: int) -> SequenceProbeNet:
    """The initial network of a fold (torch's global seed, so made one at a time, before any fold runs)."""
    torch.manual_seed(seed)
    return SequenceProbeNet(in_channels)


def _fit_one(x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor, net: SequenceProbeNet, seed: int, epochs: int,
             batch_size: int) -> SequenceProbeNet:
    gen = torch.Generator().manual_seed(seed)
    n = len(y)
    perm = torch.randperm(n, generator=gen)
    n_val = max(1, n // 10)
    val, tr = perm[:n_val], perm[n_val:]
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    best_loss, best_state, stale = float("inf"), None, 0
    for _ in range(epochs):
        net.train()
        order = tr[torch.randperm(len(tr), generator=gen)]
        for i in range(0, len(order), batch_size):
            b = order[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(net(x[b], mask[b]), y[b])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            vloss = float(loss_fn(net(x[val], mask[val]), y[val]))
        if vloss < best_loss - 1e-4:
            best_loss, stale = vloss, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            stale += 1
            if stale >= 2:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    return net.eval()


def sequence_fold_jobs(
    seqs: np.ndarray,
    mask: np.ndarray,
    y: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    seed: int = 0,
    epochs: int = 8,
    batch_size: int = 512,
) -> list[Callable[[], np.ndarray]]:
    """One job per fold (run them with :func:`deval.thread_jobs.run_jobs`): fit the probe on the fold's training
    part and return the probabilities of "fake" of its test part, an array of its length.

    Parameters
    ----------
    seqs : numpy.ndarray, float, shape (N, T, C)
        Per-step inputs (already scaled to order 1; padding is ignored).
    mask : numpy.ndarray, bool, shape (N, T)
        Valid steps.
    y : numpy.ndarray, int, shape (N,)
        Labels (0 real, 1 fake).
    splits : sequence of (train_idx, test_idx)
        The folds (every sample in exactly one test part).
    seed : int
        Seeds the network initialisation, the inner split and the batch order of each fold.
    epochs : int
        Upper bound on training epochs per fold (early stopping on an inner split).
    batch_size : int
    """
    if seqs.ndim != 3 or mask.shape != seqs.shape[:2] or len(y) != len(seqs):
        raise DataError("sequences", f"expected (N, T, C) inputs with an (N, T) mask and N labels, got "
                        f"{seqs.shape}, {mask.shape}, {len(y)}")
    x = torch.as_tensor(np.nan_to_num(seqs, nan=0.0, posinf=0.0, neginf=0.0), dtype=torch.float32)
    m = torch.as_tensor(mask, dtype=torch.bool)
    yt = torch.as_tensor(y, dtype=torch.float32)
    with torch.random.fork_rng(devices=[]):  # the fold networks' initial weights, without touching the caller's RNG
        nets = [_new_net(x.shape[-1], seed * 1009 + k) for k in range(len(splits))]

    def job(k: int, train: np.ndarray, test: np.ndarray) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            # grad mode is per thread; callers may run under no_grad / inference_mode (an evaluation hook)
            with torch.inference_mode(False), torch.enable_grad():
                tr = torch.as_tensor(train)
                net = _fit_one(x[tr], m[tr], yt[tr], nets[k], seed * 1009 + k, epochs, batch_size)
                te = torch.as_tensor(test)
                with torch.no_grad():
                    return torch.sigmoid(net(x[te], m[te])).double().numpy()
        return run

    return [job(k, train, test) for k, (train, test) in enumerate(splits)]
