"""Run an evaluation inside someone's training loop without changing what the loop does next."""

from __future__ import annotations

import contextlib
import random
from typing import Any, Iterator

import numpy as np

from deval.errors import ConfigError

__all__ = ["isolated", "modules_of"]


def modules_of(model: Any) -> list:
    """Objects with ``training`` / ``train(bool)`` inside ``model`` (a module, a list/tuple/dict of them, or None)."""
    if model is None:
        return []
    if isinstance(model, dict):
        model = list(model.values())
    if isinstance(model, (list, tuple, set)):
        return [m for item in model for m in modules_of(item)]
    if hasattr(model, "training") and hasattr(model, "train"):
        return [model]
    raise ConfigError(f"model must be a torch module (or a list/dict of them), got {type(model).__name__}")


@contextlib.contextmanager
def isolated(model: Any = None, threads: int = 0) -> Iterator[None]:
    """Eval mode for ``model``, no gradients, optionally ``threads`` CPU threads; afterwards the modules' train/eval
    modes, the thread count and the Python, NumPy and torch (CPU and CUDA) random states are as they were."""
    import torch

    modules = modules_of(model)
    modes = [m.training for m in modules]
    py_state, np_state = random.getstate(), np.random.get_state()
    threads_before = torch.get_num_threads()
    cuda = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    limits = contextlib.nullcontext()
    if threads:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=threads)
        torch.set_num_threads(threads)
    try:
        for m in modules:
            m.train(False)
        with limits, torch.random.fork_rng(devices=cuda), torch.no_grad():
            yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_num_threads(threads_before)
