"""A detector head on the penultimate features of a given torch module (e.g. a GAN critic).

Teams that already train a discriminator can reuse it as a feature extractor:
:class:`ModuleFeatureDetector` runs the frozen module on each movement,
captures the activations that enter its last linear layer (or the output of
a named sub-module), and fits a logistic regression on them. The module is
never updated.

Inputs: by default the module is called as ``module(x, mask)`` with
canonical normalised steps ``x`` (B, T, 3) and ``mask`` (B, T) -- the
convention of deval's own sequence modules -- with a
:class:`~deval.canonical.Normalizer` fitted on the training movements (or the
one given). Any other module takes an ``input_fn`` that turns a
:class:`Trajectories` batch into the module's positional arguments.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from deval.canonical import Normalizer
from deval.detectors.base import TrajectoryDetector, store_init_params
from deval.detectors.feature_heads import LogisticFeatureClassifier
from deval.detectors.sequence_data import DeltaBatch
from deval.detectors.sequence_training import torch_threads
from deval.errors import CheckpointError, ConfigError
from deval.trajectories import Trajectories

__all__ = ["ModuleFeatureDetector", "penultimate_layer"]


def penultimate_layer(module: nn.Module, layer: str | None) -> tuple[nn.Module, bool]:
    """``(sub-module, use_its_input)``: the named layer's output, or the input of the last ``nn.Linear``."""
    if layer is not None:
        named = dict(module.named_modules())
        if layer not in named:
            raise ConfigError(f"module has no sub-module {layer!r}; available: {', '.join(n for n in named if n)}")
        return named[layer], False
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ConfigError("module has no nn.Linear layer; name the feature layer with layer=")
    return linears[-1], True


class ModuleFeatureDetector(TrajectoryDetector):
    """Logistic regression on a frozen torch module's penultimate features.

    Parameters
    ----------
    module : torch.nn.Module
        The feature extractor (e.g. a trained GAN critic). It is put in eval
        mode and never trained.
    layer : str, optional
        Name (as in ``module.named_modules()``) of the sub-module whose output,
        shaped (B, F), are the features. Default: the input of the last
        ``nn.Linear``.
    input_fn : callable, optional
        ``input_fn(traj) -> tensor or tuple of tensors``: the module's
        positional arguments for a batch of movements. Default: canonical
        normalised steps and mask, ``module(x, mask)``.
    normalizer : Normalizer, optional
        Statistics of the default input (e.g. the ones the module was trained
        with). Default: fitted on the training movements.
    view, resample_hz, jitter, seed, class_weight
        See :class:`~deval.detectors.feature_heads.LogisticDetector`.
    max_len : int
        Steps per movement of the default input.
    C : float
        Inverse L2 regularisation of the logistic regression.
    batch_size : int
        Movements per forward pass.
    device : str
        Torch device of the forward passes.
    n_threads : int or None
        Torch threads of the forward passes (None: torch's setting).
    """

    head = "module"

    def __init__(self, module: nn.Module | None = None, layer: str | None = None,
                 input_fn: Callable[[Trajectories], Any] | None = None, normalizer: Normalizer | None = None,
                 view: str = "raw", resample_hz: float = 60.0, jitter: float = 0.1, seed: int = 0,
                 class_weight: str | None = "balanced", max_len: int = 256, C: float = 1.0,
                 batch_size: int = 256, device: str = "cpu", n_threads: int | None = 1):
        store_init_params(self, locals())

    def _check_module(self) -> nn.Module:
        if not isinstance(self.module, nn.Module):
            raise ConfigError(f"module must be a torch.nn.Module, got {type(self.module).__name__}")
        return self.module

    def _represent(self, traj: Trajectories) -> "DeltaBatch | Trajectories":
        return traj if self.input_fn is not None else DeltaBatch.from_trajectories(traj)

    @torch.no_grad()
    def _embed_inputs(self, inputs: "DeltaBatch | Trajectories") -> np.ndarray:
        module = self._check_module()
        target, use_input = penultimate_layer(module, self.layer)
        captured: list[torch.Tensor] = []

        def hook(mod, args, output):
            captured.append((args[0] if use_input else output).detach())

        was_training = module.training
        module.eval()
        dev = torch.device(self.device)
        module.to(dev)
        handle = target.register_forward_hook(hook)
        feats = []
        try:
            with torch_threads(self.n_threads):
                for s in range(0, len(inputs), int(self.batch_size)):
                    idx = np.arange(s, min(s + int(self.batch_size), len(inputs)))
                    captured.clear()
                    module(*self._module_args(inputs, idx, dev))
                    if not captured:
                        raise ConfigError("the feature layer was not called by the module's forward pass")
                    f = captured[-1]
                    if f.ndim != 2 or f.shape[0] != len(idx):
                        raise ConfigError(f"feature layer gives shape {tuple(f.shape)}; expected (batch, features)")
                    feats.append(f.double().cpu().numpy())
        finally:
            handle.remove()
            module.train(was_training)
        return np.concatenate(feats, axis=0)

    def _module_args(self, inputs: "DeltaBatch | Trajectories", idx: np.ndarray, dev: torch.device) -> tuple:
        """Positional arguments of the module for movements ``idx``."""
        if self.input_fn is None:
            x, m = inputs.padded(idx, int(self.max_len), self.input_normalizer_)
            return torch.from_numpy(x).to(dev), torch.from_numpy(m).to(dev)
        a = self.input_fn(inputs[idx])
        return tuple(t.to(dev) for t in (a if isinstance(a, (tuple, list)) else (a,)))

    def embed(self, X: Trajectories) -> np.ndarray:
        """Penultimate features of every movement, (N, F) float64."""
        if self.input_fn is None and not hasattr(self, "input_normalizer_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("fit() first (the default input's normalizer is fitted there)")
        return self._embed_inputs(self.prepare(X))

    def _fit(self, inputs, y, sample_weight, progress) -> None:
        self._check_module()
        if self.input_fn is None:
            self.input_normalizer_ = self.normalizer or Normalizer().fit(inputs.steps()[None])
        if progress is not None:
            progress(f"module features of {len(y)} movements")
        feats = self._embed_inputs(inputs)
        self.classifier_ = LogisticFeatureClassifier(C=self.C, log_transform=False).fit(feats, y, sample_weight)

    def _decision(self, inputs) -> np.ndarray:
        return self.classifier_.decision_function(self._embed_inputs(inputs))

    def n_parameters(self) -> int:
        """Parameters of the logistic head (the frozen module's are not counted)."""
        return 0 if not hasattr(self, "classifier_") else len(self.classifier_.coef_) + 1

    def _export(self):
        state = {"classifier": self.classifier_.to_dict(), "module_class": type(self.module).__name__}
        if self.input_fn is None:
            state["input_normalizer"] = self.input_normalizer_.to_dict()
        weights = {k: v.detach().cpu() for k, v in self._check_module().state_dict().items()}
        return state, {}, weights

    def _restore(self, state, arrays, torch_state) -> None:
        module = self._check_module()
        if torch_state is not None:
            try:
                module.load_state_dict(torch_state, strict=True)
            except (RuntimeError, KeyError) as exc:
                raise CheckpointError(f"saved weights do not fit the given {type(module).__name__} "
                                      f"(saved from {state.get('module_class')}): {str(exc)[:200]}") from None
        if "input_normalizer" in state:
            self.input_normalizer_ = Normalizer.from_dict(state["input_normalizer"])
        self.classifier_ = LogisticFeatureClassifier.from_dict(state["classifier"], C=self.C, log_transform=False)
