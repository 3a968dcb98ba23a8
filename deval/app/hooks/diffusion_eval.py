"""``DiffusionEvalHook``: compare a harness's GAN with a deval diffusion model at the end of epochs.

::

    parser = argparse.ArgumentParser()
    add_diffusion_eval_args(parser)                      # --use_diffusion_eval, --diffusion_eval_* ...
    args = parser.parse_args()
    hook = DiffusionEvalHook.from_args(args)
    for epoch in range(args.epochs):
        train_one_epoch(...)
        metrics = hook(epoch, val_batch, gan_sample_fn=sample, model=generator)   # {} when off / not due
        logger.log(metrics)

On an evaluation the hook

1. turns the validation data into :class:`~deval.trajectories.Trajectories`
   (:func:`deval.app.hooks.data.as_trajectories`: arrays or tensors ``[B, T, C]``
   with a mask or lengths, or Trajectories);
2. draws ``n_samples`` validation movements and generates one diffusion
   movement for each of their conditions (start, end, point count, duration);
   with ``gan_sample_fn`` it also asks the harness's GAN for ``n_samples``
   movements (passing the same conditions when the function takes them);
3. compares each generated set with the validation movements through the
   ``deval compare`` path (canonical frame, kinematic + spectral features):
   ``c2st_acc_val`` (gradient-boosting probe accuracy, 0.5 = indistinguishable),
   ``mmd_val`` (unbiased MMD² of the scaled features), ``prd_precision_val``
   and ``prd_recall_val`` (Sajjadi et al. PRD, F8 / F1/8 summaries), plus
   kinematic and spectral summaries and overlay PNGs;
4. appends one JSON line to ``out_dir/metrics.jsonl`` and returns the numbers.

It runs under ``torch.no_grad()``, puts ``model`` in eval mode and restores
each module's train/eval mode afterwards, and leaves the global random
states (torch, NumPy, Python) as it found them, so training continues
exactly as it would without the hook. When disabled it returns ``{}`` at
once: nothing is imported or computed.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from deval.errors import CheckpointError, ConfigError, DataError

from .data import CHANNEL_CONVENTIONS, as_trajectories
from .isolation import isolated

__all__ = ["DiffusionEvalHook", "HOOK_METRICS"]

log = logging.getLogger(__name__)

#: the four headline numbers, per source
HOOK_METRICS = ("c2st_acc_val", "mmd_val", "prd_precision_val", "prd_recall_val")
_FROM_COMPARE = {"c2st_acc": "c2st_acc_val", "mmd2": "mmd_val", "prd_precision": "prd_precision_val",
                 "prd_recall": "prd_recall_val"}
#: fewest validation movements an evaluation accepts (PRD uses 20 clusters; C2ST 5 folds)
MIN_VAL = 20


def _takes_condition(fn: Callable) -> bool:
    """Whether ``fn`` accepts a second positional argument (the conditions)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    n = 0
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n >= 2


class DiffusionEvalHook:
    """End-of-epoch evaluation of a GAN harness against a deval diffusion checkpoint (module docstring).

    Parameters
    ----------
    enabled : bool
        Off: every call returns ``{}`` immediately.
    checkpoint : path, optional
        Diffusion checkpoint or training-run directory (default: the shipped
        pretrained model, :mod:`deval.generators.diffusion.pretrained`).
    every : int
        Evaluate on every ``every``-th call (the N-th, 2N-th, ... epoch).
    n_samples : int
        Movements generated per evaluation and per model.
    out_dir : path
        Where ``metrics.jsonl`` and the overlay PNGs are written.
    steps : int
        Diffusion sampler steps (0: the checkpoint's default).
    device : {"cpu", "cuda", "mps"}
        Device of the diffusion model.
    channels : {"xyt", "xy", "deltas"}
        Channel convention of array data (see :mod:`deval.app.hooks.data`).
    dt : float
        Seconds between points of data without a time channel.
    xy_scale : float
        Pixels per unit of the harness's coordinates.
    seed : int
        Seed of the condition draw, the diffusion sampler and the metrics.
    plots : bool
        Write the kinematic and spectral overlay PNGs.
    threads : int
        CPU threads of torch and of the metrics' native libraries during an
        evaluation (restored afterwards); 0 leaves them as they are.

    Raises
    ------
    ConfigError
        Enabled without a checkpoint, or a value out of range.
    CheckpointError
        The checkpoint directory does not exist (checked at construction, so a
        typo fails before training starts).
    """

    def __init__(self, enabled: bool = True, checkpoint: str | os.PathLike | None = None, *, every: int = 1,
                 n_samples: int = 500, out_dir: str | os.PathLike = "diffusion_eval", steps: int = 0,
                 device: str = "cpu", channels: str = "xyt", dt: float = 1 / 60, xy_scale: float = 1.0,
                 seed: int = 0, plots: bool = True, threads: int = 0) -> None:
        self.enabled = bool(enabled)
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.every = int(every)
        self.n_samples = int(n_samples)
        self.out_dir = Path(out_dir)
        self.steps = int(steps)
        self.device = str(device)
        self.channels = channels
        self.dt = float(dt)
        self.xy_scale = float(xy_scale)
        self.seed = int(seed)
        self.plots = bool(plots)
        self.threads = int(threads)
        self.calls = 0
        self.evaluations = 0
        self._diffusion = None
        if self.every < 1:
            raise ConfigError(f"--diffusion_eval_every must be >= 1, got {every}")
        if self.n_samples < MIN_VAL:
            raise ConfigError(f"--diffusion_eval_samples must be >= {MIN_VAL}, got {n_samples}")
        if self.threads < 0:
            raise ConfigError(f"--diffusion_eval_threads must be >= 0, got {threads}")
        if self.steps < 0:
            raise ConfigError(f"--diffusion_eval_steps must be >= 0, got {steps}")
        if channels not in CHANNEL_CONVENTIONS:
            raise ConfigError(f"--diffusion_eval_channels must be one of {', '.join(CHANNEL_CONVENTIONS)}")
        if self.enabled:
            if self.checkpoint is None:
                from deval.generators.diffusion import pretrained

                if not pretrained.available():
                    raise ConfigError("--use_diffusion_eval needs --diffusion_eval_checkpoint DIR (no pretrained "
                                      "model is installed; train one with: deval train-generator diffusion "
                                      "--data REAL.npz --out DIR)")
                self.checkpoint = pretrained.checkpoint_path()
            if not self.checkpoint.exists():
                raise CheckpointError(f"{self.checkpoint}: no such diffusion checkpoint directory "
                                      "(--diffusion_eval_checkpoint)")

    @classmethod
    def from_args(cls, args: Any, **overrides: Any) -> "DiffusionEvalHook":
        """Build from the namespace parsed with :func:`~deval.app.hooks.add_diffusion_eval_args` (``overrides`` win)."""
        def get(name: str, default: Any) -> Any:
            return getattr(args, name, default)

        kw = dict(
            enabled=get("use_diffusion_eval", False), checkpoint=get("diffusion_eval_checkpoint", None),
            every=get("diffusion_eval_every", 1), n_samples=get("diffusion_eval_samples", 500),
            out_dir=get("diffusion_eval_out", "diffusion_eval"), steps=get("diffusion_eval_steps", 0),
            device=get("diffusion_eval_device", "cpu"), channels=get("diffusion_eval_channels", "xyt"),
            dt=get("diffusion_eval_dt", 1 / 60), xy_scale=get("diffusion_eval_xy_scale", 1.0),
            seed=get("diffusion_eval_seed", 0), plots=not get("diffusion_eval_no_plots", False),
            threads=get("diffusion_eval_threads", 0),
        )
        kw.update(overrides)
        return cls(**kw)

    def __repr__(self) -> str:
        if not self.enabled:
            return "DiffusionEvalHook(enabled=False)"
        return (f"DiffusionEvalHook(checkpoint={str(self.checkpoint)!r}, every={self.every}, "
                f"n_samples={self.n_samples}, out_dir={str(self.out_dir)!r})")

    # ------------------------------------------------------------------ calls
    def due(self) -> bool:
        """Whether the next call will evaluate."""
        return self.enabled and (self.calls + 1) % self.every == 0

    def __call__(self, epoch: int | None, val_data: Any, gan_sample_fn: Callable | None = None, model: Any = None,
                 *, mask: Any = None, lengths: Any = None, force: bool = False) -> dict[str, float]:
        """End-of-epoch entry point: evaluate on every ``every``-th call (or with ``force``).

        Parameters
        ----------
        epoch : int or None
            Recorded in the JSON line and the plot names.
        val_data : Trajectories, array/tensor ``[B, T, C]``, ``(values, mask_or_lengths)`` or dict
            Validation movements (see :func:`deval.app.hooks.data.as_trajectories`).
        gan_sample_fn : callable, optional
            ``fn(n)`` or ``fn(n, cond)`` returning the harness GAN's samples in
            the same forms and channel convention as ``val_data``; ``cond`` is an
            :class:`~deval.trajectories.Endpoints` with the starts and ends (in the
            harness's units), durations (s) and point counts of the ``n``
            validation movements the diffusion model was conditioned on.
        model : torch module or list/dict of modules, optional
            Put in eval mode during the evaluation and restored afterwards.
        mask, lengths : optional
            Mask ``[B, T]`` or lengths ``[B]`` of array ``val_data``.
        force : bool
            Evaluate now whatever the call count (e.g. after the last epoch).

        Returns
        -------
        dict
            ``{}`` when disabled or not due; else flat numbers for a logger:
            ``epoch``, ``diffusion/c2st_acc_val``, ``diffusion/mmd_val``,
            ``diffusion/prd_precision_val``, ``diffusion/prd_recall_val`` and
            the same under ``gan/`` when ``gan_sample_fn`` is given.
        """
        if not self.enabled:
            return {}
        if isinstance(epoch, np.integer):
            epoch = int(epoch)
        self.calls += 1
        if not force and self.calls % self.every != 0:
            return {}
        return self.evaluate(epoch, val_data, gan_sample_fn, model, mask=mask, lengths=lengths)

    on_epoch_end = __call__

    # ------------------------------------------------------------- evaluation
    def _diffusion_generator(self):
        if self._diffusion is None:
            from deval.generators.diffusion.generator import DiffusionGenerator

            self._diffusion = DiffusionGenerator.load(self.checkpoint, steps=self.steps, device=self.device)
            log.info("diffusion evaluation: loaded %s", self._diffusion.checkpoint_dir)
        return self._diffusion

    def _convert(self, data: Any, source: str, mask: Any = None, lengths: Any = None):
        return as_trajectories(data, mask=mask, lengths=lengths, channels=self.channels, dt=self.dt,
                               xy_scale=self.xy_scale, source=source)

    def evaluate(self, epoch: int | None, val_data: Any, gan_sample_fn: Callable | None = None, model: Any = None,
                 *, mask: Any = None, lengths: Any = None) -> dict[str, float]:
        """Run one evaluation now (see :meth:`__call__`); works even when the hook is disabled."""
        if self.checkpoint is None:
            raise ConfigError("no diffusion checkpoint (--diffusion_eval_checkpoint DIR)")
        with isolated(model, self.threads):
            return self._evaluate(epoch, val_data, gan_sample_fn, mask, lengths)

    def _evaluate(self, epoch, val_data, gan_sample_fn, mask, lengths) -> dict[str, float]:
        from deval.compare import CompareSettings, compare_pair, distance_scaler, prepare
        from deval.trajectories import Endpoints

        from .overlays import kinematic_summary, save_overlays, spectral_summary

        t0 = time.perf_counter()
        self.evaluations += 1
        real_all = self._convert(val_data, "val_data", mask, lengths)
        moving = real_all.endpoints().distance > 0
        real_all = real_all[moving]
        if len(real_all) < MIN_VAL:
            raise DataError("val_data", f"{len(real_all)} movements with a net displacement; the evaluation "
                                        f"needs at least {MIN_VAL}")
        n = self.n_samples
        rng = np.random.default_rng(self.seed)
        if len(real_all) >= n:
            idx = np.sort(rng.choice(len(real_all), n, replace=False))
            real = real_all.take(idx)
        else:  # fewer validation movements than samples: cycle through their conditions
            idx = np.concatenate([rng.permutation(len(real_all)) for _ in range(-(-n // len(real_all)))])[:n]
            real = real_all
        cond_traj = real_all.take(idx)
        cond = cond_traj.endpoints()
        fakes = {"diffusion": self._diffusion_generator().sample(n, cond=cond, seed=self.seed)}
        if gan_sample_fn is not None:
            s = 1.0 / self.xy_scale
            harness_cond = Endpoints(cond.start * s, cond.end * s, cond.duration, cond.n_points)
            out = gan_sample_fn(n, harness_cond) if _takes_condition(gan_sample_fn) else gan_sample_fn(n)
            fakes["gan"] = self._convert(out, "gan_sample_fn output")
        settings = CompareSettings(seed=self.seed, metrics=("c2st", "mmd", "prd", "distances", "spectral"),
                                   mmd_permutations=0, baselines=False)
        real_p = prepare(real, "validation", settings)
        scaler = distance_scaler(real_p)
        line: dict[str, Any] = {"epoch": epoch, "evaluation": self.evaluations, "n_val": int(len(real)),
                                "n_samples": n}
        flat: dict[str, float] = {"epoch": epoch}
        prepared = {}
        for name, traj in fakes.items():
            fp = prepare(traj, name, settings)
            prepared[name] = fp
            metrics = compare_pair(real_p, fp, settings, scaler).metrics
            entry = {new: float(metrics[old]) for old, new in _FROM_COMPARE.items()}
            entry["c2st_auc_val"] = float(metrics["c2st_auc"])
            entry["n"] = int(len(traj))
            entry["kinematic"] = kinematic_summary(real_p, fp, metrics)
            entry["spectral"] = spectral_summary(real_p, fp, metrics)
            line[name] = entry
            flat.update({f"{name}/{k}": entry[k] for k in HOOK_METRICS})
        if self.plots:
            stem = f"epoch{epoch:04d}" if isinstance(epoch, (int, np.integer)) else f"eval{self.evaluations:04d}"
            line["plots"] = save_overlays(real_p, prepared, self.out_dir, stem)
        line["settings"] = {"checkpoint": str(self.checkpoint), "steps": self.steps, "seed": self.seed,
                            "channels": self.channels, "xy_scale": self.xy_scale}
        line["seconds"] = round(time.perf_counter() - t0, 2)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line, default=float) + "\n")
        log.info("diffusion evaluation at epoch %s: %s", epoch, flat)
        return flat

    @staticmethod
    def read_metrics(path: str | os.PathLike) -> list[dict]:
        """The JSON lines of a ``metrics.jsonl`` written by the hook."""
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
