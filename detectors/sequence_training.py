"""Training and inference loop of the torch sequence heads (binary, weighted cross-entropy).

Mini-batches are length-bucketed: the shuffled training set is cut into
pools of ``20 * batch_size`` movements, each pool is sorted by length and cut
into batches, and the batches are shuffled, so that a batch pads little
(much faster on CPU) while every epoch still sees a new random order. All
randomness comes from ``seed``: the same seed gives the same weights.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn

from deval.canonical import Normalizer
from deval.detectors.sequence_data import DeltaBatch

log = logging.getLogger(__name__)

__all__ = ["bucketed_batches", "fit_sequence_module", "sequence_logits", "seeded_init", "torch_threads"]


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` torch intra-op threads (None: leave torch's setting), then restore it.

    Small models gain little from several threads, and on a machine shared
    with other work extra threads can make training ten times slower.
    """
    if n is None:
        yield
        return
    if int(n) < 1:
        from deval.errors import ConfigError

        raise ConfigError(f"n_threads must be >= 1 or None, got {n}")
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def seeded_init(seed: int) -> Iterator[None]:
    """Seed torch's global generator for a block (e.g. module construction), then restore it."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool: int = 20) -> list[np.ndarray]:
    """Index batches of similar lengths in a random order (see module docstring)."""
    order = rng.permutation(len(lengths))
    batches = []
    step = batch_size * pool
    for s in range(0, len(order), step):
        chunk = order[s:s + step]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def fit_sequence_module(
    module: nn.Module,
    data: DeltaBatch,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    normalizer: Normalizer,
    *,
    max_len: int,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
    device: str = "cpu",
    progress: Callable[[str], None] | None = None,
) -> list[float]:
    """Train ``module`` (``forward(x (B,T,3), mask (B,T)) -> logits (B,)``) in place.

    Parameters
    ----------
    data : DeltaBatch
        Canonical training movements.
    y : ndarray of {0, 1}, (N,)
        1 = bot.
    sample_weight : ndarray, (N,), optional
        Per-movement loss weights (e.g. class balancing).
    normalizer : Normalizer
        Fitted on the training steps.

    Returns
    -------
    list of float
        Mean weighted training loss of each epoch.
    """
    dev = torch.device(device)
    module.to(dev).train()
    w_all = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    y_t = torch.as_tensor(y, dtype=torch.float32)
    w_t = torch.as_tensor(w_all, dtype=torch.float32)
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    rng = np.random.default_rng(seed)
    lengths = data.n_steps
    history = []
    for epoch in range(int(epochs)):
        total, weight = 0.0, 0.0
        for idx in bucketed_batches(lengths, batch_size, rng):
            x, m = data.padded(idx, max_len, normalizer)
            xb, mb = torch.from_numpy(x).to(dev), torch.from_numpy(m).to(dev)
            yb, wb = y_t[idx].to(dev), w_t[idx].to(dev)
            if float(wb.sum()) <= 0:
                continue
            logits = module(xb, mb)
            loss = (loss_fn(logits, yb) * wb).sum() / wb.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(module.parameters(), 1.0)
            opt.step()
            total += float(loss.detach()) * float(wb.sum())
            weight += float(wb.sum())
        history.append(total / max(weight, 1e-12))
        log.info("epoch %d/%d: loss %.4f", epoch + 1, epochs, history[-1])
        if progress is not None:
            progress(f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f}")
    module.eval()
    return history


@torch.no_grad()
def sequence_logits(
    module: nn.Module, data: DeltaBatch, normalizer: Normalizer, *, max_len: int, batch_size: int = 512,
    device: str = "cpu", features: bool = False,
) -> np.ndarray:
    """Logits (N,) float64 of every movement, or with ``features`` the module's ``features`` output (N, F)."""
    dev = torch.device(device)
    module.to(dev).eval()
    order = np.argsort(data.n_steps, kind="stable")  # similar lengths together: less padding
    outs = []
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        x, m = data.padded(idx, max_len, normalizer)
        xb, mb = torch.from_numpy(x).to(dev), torch.from_numpy(m).to(dev)
        out = module.features(xb, mb) if features else module(xb, mb)
        outs.append(out.double().cpu().numpy())
    if not outs:
        return np.zeros((0,)) if not features else np.zeros((0, 0))
    res = np.concatenate(outs, axis=0)
    back = np.empty_like(res)
    back[order] = res
    return back
