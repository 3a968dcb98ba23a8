"""``RealismEval``: the realism meter inside any training loop, counted in the caller's iterations.

::

    ev = RealismEval(val_movements, every=500, out_dir="evals/", convert=my_arrays_to_pixels)
    for it in range(cfg["iterations"]):
        train_step(...)
        metrics = ev.step(it, lambda n: generator.sample(n))    # {} unless it % 500 == 0
        # or, with a batch already in hand:   metrics = ev(it, fake_batch)

Nothing in it assumes an argparse script or an epoch loop: ``every`` counts the
``iteration`` numbers the caller passes (an evaluation runs when
``iteration % every == 0``, and once more with :meth:`RealismEval.evaluate`),
the real set is given once, and fakes arrive as a function of ``n`` or as a
batch. Batches are turned into :class:`~deval.trajectories.Trajectories` by
``convert`` when given (any callable: the harness knows its own layout, e.g.
min-max scaled 8-channel tensors), else by :func:`deval.app.hooks.data.as_trajectories`
(``channels``, ``dt``, ``xy_scale``; arrays or tensors ``[B, T, C]`` with a mask
or lengths).

Each evaluation runs :func:`deval.compare.realism_scores` (the meter of ``deval
compare``: headline C2ST with its 95 % interval, every probe and aspect, MMD,
PRD, k-NN precision/recall/coverage), appends one JSON line (``iteration``,
``seconds``, the numbers) to ``out_dir/metrics.jsonl`` when ``out_dir`` is
given, and returns the numbers. It runs without gradients, leaves the global
random states (Python, NumPy, torch) as it found them, and restores the
train/eval mode of ``model``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable


from deval.atomic import json_ready, json_text
from deval.errors import ConfigError
from deval.trajectories import Trajectories

from .data import as_trajectories
from .isolation import isolated

__all__ = ["RealismEval"]


class RealismEval:
    """Periodic realism evaluation of generated movements against a fixed real set (see the module docs).

    Parameters
    ----------
    real : Trajectories, array or tensor
        The real (validation) movements (Trajectories as they are; anything else converted once like the
        fakes).
    every : int
        Evaluate when ``iteration % every == 0``.
    out_dir : path, optional
        Where ``metrics.jsonl`` goes (nothing is written without it).
    n_samples : int
        Movements asked from ``sample_fn`` per evaluation (and real movements used, at most).
    convert : callable, optional
        ``convert(batch) -> Trajectories`` for the harness's own layout.
    layout : path or Layout, optional
        A layout description (:mod:`deval.io.layout`) of the batches instead of ``convert``: channel
        meanings, scaling to undo, units; batches are ``[B, T, C]`` arrays/tensors (padding by
        ``pad_value`` or NaN), or ``(batch, lengths)`` pairs.
    channels, dt, xy_scale : see :func:`deval.app.hooks.data.as_trajectories`
    metrics : tuple of str
        Metric groups of ``deval compare`` (default: c2st, mmd, prd, prdc).
    seed : int
        Seeds the subsampling and the meter (same batch, same numbers).
    """

    def __init__(self, real: Any, *, every: int = 1000, out_dir: str | None = None, n_samples: int = 1000,
                 convert: Callable[[Any], Trajectories] | None = None, layout: Any = None,
                 channels: str = "xyt", dt: float = 1 / 60,
                 xy_scale: float = 1.0, metrics: tuple[str, ...] = ("c2st", "mmd", "prd", "prdc"),
                 seed: int = 0) -> None:
        if int(every) < 1 or int(n_samples) < 20:
            raise ConfigError(f"every must be >= 1 and n_samples >= 20, got {every} and {n_samples}")
        self.every, self.n_samples, self.seed = int(every), int(n_samples), int(seed)
        self.out_dir = None if out_dir is None else Path(out_dir)
        if layout is not None:
            from deval.io.layout import Layout

            layout = layout if isinstance(layout, Layout) else Layout.load(layout)
        self.convert, self.layout, self.channels, self.dt, self.xy_scale = convert, layout, channels, dt, xy_scale
        self.metrics = tuple(metrics)
        self.real = self._as_trajectories(real, "real").subsample(self.n_samples, seed=self.seed)
        self.history: list[dict] = []

    def _as_trajectories(self, batch: Any, source: str) -> Trajectories:
        if isinstance(batch, Trajectories):
            return batch
        if self.layout is not None:
            values, lengths = batch if isinstance(batch, tuple) else (batch, None)
            return self.layout.from_array(values, source, lengths=lengths)
        if self.convert is not None:
            out = self.convert(batch)
            if not isinstance(out, Trajectories):
                raise ConfigError(f"convert must return Trajectories, got {type(out).__name__}")
            return out
        return as_trajectories(batch, channels=self.channels, dt=self.dt, xy_scale=self.xy_scale, source=source)

    def due(self, iteration: int) -> bool:
        """Whether ``iteration`` is an evaluation iteration."""
        return int(iteration) % self.every == 0

    def step(self, iteration: int, sample_fn: Callable[[int], Any], model: Any = None) -> dict:
        """Evaluate ``sample_fn(n_samples)`` when ``iteration`` is due; ``{}`` otherwise (nothing is sampled)."""
        if not self.due(iteration):
            return {}
        with isolated(model):
            batch = sample_fn(self.n_samples)
        return self.evaluate(iteration, batch, model=model)

    def __call__(self, iteration: int, fake_batch: Any, model: Any = None) -> dict:
        """Evaluate ``fake_batch`` when ``iteration`` is due; ``{}`` otherwise."""
        return self.evaluate(iteration, fake_batch, model=model) if self.due(iteration) else {}

    def evaluate(self, iteration: int, fake_batch: Any, model: Any = None) -> dict:
        """Evaluate ``fake_batch`` now, whatever the iteration."""
        from deval.compare import realism_scores

        t0 = time.perf_counter()
        with isolated(model):
            fake = self._as_trajectories(fake_batch, "fake")
            scores = realism_scores(self.real, fake, seed=self.seed, metrics=self.metrics)
        line = {"iteration": int(iteration), "seconds": round(time.perf_counter() - t0, 2),
                "n_real": len(self.real), "n_fake": len(fake), **scores}
        line = json_ready(line)
        self.history.append(line)
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            with open(self.out_dir / "metrics.jsonl", "a", encoding="utf-8") as f:
                f.write(json_text(line) + "\n")
        return line
