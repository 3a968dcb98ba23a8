"""The detector wrapper shared by the torch sequence heads (1-D CNN, GRU).

Movements -> view -> canonical frame -> steps ``(dx, dy, dt)`` normalised
with a :class:`~deval.canonical.Normalizer` fitted on the training steps only
-> a small torch module -> log-odds. The normaliser's statistics, the view
and every architecture parameter are saved with the weights, so scoring
reproduces the training pre-processing exactly.
"""

from __future__ import annotations

import abc

import numpy as np
import torch
from torch import nn

from deval.canonical import Normalizer
from deval.detectors.base import TrajectoryDetector
from deval.detectors.sequence_data import DeltaBatch
from deval.detectors.sequence_training import fit_sequence_module, seeded_init, sequence_logits, torch_threads
from deval.errors import CheckpointError, ConfigError
from deval.trajectories import Trajectories

__all__ = ["SequenceDetector", "SequenceModule", "masked_pool"]

#: centre of the log step-count input of the heads (log(33) ~ 3.5 steps at 60 Hz)
LOG_LEN_CENTER = 3.5


def masked_pool(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean and max over valid time steps plus the centred log length.

    Parameters
    ----------
    h : Tensor, (B, T, C)
    mask : bool Tensor, (B, T)

    Returns
    -------
    Tensor, (B, 2C + 1)
    """
    m = mask.unsqueeze(-1).to(h.dtype)
    n = m.sum(dim=1).clamp_min(1.0)
    mean = (h * m).sum(dim=1) / n
    mx = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
    mx = torch.where(torch.isfinite(mx), mx, torch.zeros_like(mx))
    return torch.cat([mean, mx, torch.log(n) - LOG_LEN_CENTER], dim=1)


class SequenceModule(nn.Module, abc.ABC):
    """Base of the heads' torch modules: ``forward(x (B, T, C), mask (B, T)) -> logits (B,)``.

    Subclasses define :meth:`features` (the pooled per-movement features, also
    what :meth:`SequenceDetector.embed` returns) and set ``self.head``, the MLP
    from those features to one logit.
    """

    head: nn.Module

    @abc.abstractmethod
    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-movement features (B, F): the input of ``self.head``."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x, mask)).squeeze(-1)


class SequenceDetector(TrajectoryDetector):
    """Base of the torch heads; subclasses define ``__init__`` and ``_build_module``.

    Common parameters: ``view, resample_hz, jitter, seed, class_weight`` (see
    :class:`~deval.detectors.feature_heads.LogisticDetector`) and

    max_len : int
        Steps per movement seen by the model (longer movements are truncated).
    epochs, batch_size, lr, weight_decay : training settings (AdamW).
    device : str
        Torch device used for training and scoring.
    n_threads : int or None
        Torch threads while training and scoring (None: torch's setting). The
        default 1 is fastest for these small models on a busy machine.
    """

    @abc.abstractmethod
    def _build_module(self) -> nn.Module:
        """The untrained :class:`SequenceModule` for this estimator's parameters."""

    def _check_settings(self) -> None:
        for name in ("max_len", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not float(self.lr) > 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")

    def _represent(self, traj: Trajectories) -> DeltaBatch:
        return DeltaBatch.from_trajectories(traj)

    def _new_module(self) -> nn.Module:
        with seeded_init(self.seed or 0):
            return self._build_module()

    def _fit(self, data: DeltaBatch, y: np.ndarray, sample_weight, progress) -> None:
        self._check_settings()
        self.normalizer_ = Normalizer().fit(data.steps()[None])
        self.module_ = self._new_module()
        with torch_threads(self.n_threads):
            self.loss_history_ = fit_sequence_module(
                self.module_, data, y, sample_weight, self.normalizer_, max_len=int(self.max_len),
                epochs=int(self.epochs), batch_size=int(self.batch_size), lr=float(self.lr),
                weight_decay=float(self.weight_decay), seed=int(self.seed or 0), device=self.device,
                progress=progress,
            )
        self.module_.to("cpu")

    def _decision(self, data: DeltaBatch) -> np.ndarray:
        with torch_threads(self.n_threads):
            out = sequence_logits(self.module_, data, self.normalizer_, max_len=int(self.max_len),
                                  device=self.device)
        self.module_.to("cpu")
        return out

    def embed(self, X: Trajectories) -> np.ndarray:
        """Penultimate features of every movement, (N, F) float64."""
        if not hasattr(self, "module_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")
        with torch_threads(self.n_threads):
            out = sequence_logits(self.module_, self.prepare(X), self.normalizer_, max_len=int(self.max_len),
                                  device=self.device, features=True)
        self.module_.to("cpu")
        return out

    def n_parameters(self) -> int:
        module = getattr(self, "module_", None) or self._new_module()
        return int(sum(p.numel() for p in module.parameters()))

    def _export(self) -> tuple[dict, dict, dict]:
        state = {"normalizer": self.normalizer_.to_dict(), "loss_history": list(self.loss_history_)}
        return state, {}, {k: v.detach().cpu() for k, v in self.module_.state_dict().items()}

    def _restore(self, state: dict, arrays: dict, torch_state: dict | None) -> None:
        if torch_state is None:
            raise CheckpointError("weights of the sequence head are missing")
        self.normalizer_ = Normalizer.from_dict(state["normalizer"])
        self.loss_history_ = [float(v) for v in state.get("loss_history", [])]
        module = self._new_module()
        try:
            module.load_state_dict(torch_state, strict=True)
        except (RuntimeError, KeyError) as exc:
            raise CheckpointError(f"weights do not match the {self.head} architecture ({str(exc)[:200]})") from None
        module.eval()
        self.module_ = module

