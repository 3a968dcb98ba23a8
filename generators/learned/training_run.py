"""One training run of a learned generator: data, validation, checkpoints, resume and progress around a training step.

:class:`TrainingRun` is a template: a generator subclasses it, builds its
networks in :meth:`~TrainingRun.build` and does one optimiser step in
:meth:`~TrainingRun.train_step`; :meth:`~TrainingRun.run` does the rest:

1. checks the run directory (:func:`~.run_directory.prepare_run_dir`), reads the
   saved configuration when resuming, sets ``train.num_threads`` for the run;
2. splits the movements (:meth:`~TrainingRun.split_data`; by default
   :func:`~.run_data.split_for_training`, by user), fits the encoder on the
   training split (or reads it from ``last/`` when resuming) and writes
   ``config.json`` and ``split.json``;
3. encodes the training movements once (:attr:`train_batch`, on the device),
   keeps up to 1024 encoded validation movements for validation losses
   (:attr:`val_batch`, ``numpy`` seed ``seed + 1``) and ``train.val_samples``
   validation movements for realism (:attr:`val_real`, seed ``seed + 2``);
4. seeds torch with ``seed``, calls :meth:`build`, makes the run's
   ``torch.Generator`` :attr:`rng` (seed ``seed``), restores the training
   state when resuming, calls :meth:`before_training` and draws batches with
   :attr:`batches` (:class:`~.batches.ShuffledBatches`);
5. loops ``train.steps`` steps (a tqdm bar with ``progress``), stops with
   :class:`~deval.errors.DataError` when a step returns a non-finite number,
   and validates every ``train.val_every`` steps and at the end.

A validation appends one line to ``metrics.jsonl``: ``step``, ``epoch``,
:meth:`train_stats`, ``elapsed_s``, :meth:`validation_losses`, then
:meth:`generation_metrics` (by default ``goal_distance_err_rel`` /
``goal_angle_err_deg`` and the realism probe of
:func:`deval.compare.realism_scores` (``c2st_acc``, ``mmd2``,
``prd_precision``, ``prd_recall``, ...) on ``train.val_samples`` movements
generated (:meth:`sample_validation`, seed ``seed + 4``) for the endpoints
and point counts of validation movements), and ``best``. The first key of
:attr:`score_keys` present in the line is the score (lower is better;
missing or non-finite counts as infinite); a better score, or the first
validation of a run when nothing finite has been seen, writes ``best/``.
Every validation writes ``last/`` and ``last/training_state.pt`` (the
objects of :meth:`state_objects`, the RNG state, step and best score);
the end writes ``final/``.
"""

from __future__ import annotations

import abc
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import torch

from deval.atomic import write_text
from deval.errors import CheckpointError, DataError
from deval.trajectories import Endpoints, Trajectories

from .batches import ShuffledBatches
from .callbacks import TrainingCallback, WandbCallback
from .checkpoint import CheckpointFormat, load_tensor_dict, save_tensor_dict
from .data_parallel import DataParallel
from .lr_schedule import warmup_cosine_lr
from .run_data import build_encoder, split_for_training
from .run_directory import TRAINING_STATE, append_metrics_line, prepare_run_dir, resolve_device, resumed_config

__all__ = ["TrainingRun", "TrainingResult", "mean_rows"]

log = logging.getLogger(__name__)


def mean_rows(rows: list[dict]) -> dict:
    """Per key, the mean over the rows that have it (keys sorted)."""
    keys = sorted({k for r in rows for k in r})
    return {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}


@dataclass
class TrainingResult:
    """What :meth:`TrainingRun.run` returns by default.

    Attributes
    ----------
    out_dir : Path
    steps : int
        Optimiser steps done in total (including resumed ones).
    first, last : dict
        Mean of every number :meth:`TrainingRun.train_step` returned, over the
        first and last 10% of this run's steps.
    best : dict or None
        The metrics line of the best checkpoint written by this run.
    history : list of dict
        Every metrics line written by this run.
    seconds : float
        Wall time of this run.
    extra : dict
        What a generator adds to its summary (JSON-ready), e.g. the diffusion
        trainer's ``fixed_batch_loss``.
    """

    out_dir: Path
    steps: int
    first: dict
    last: dict
    best: dict | None
    history: list = field(default_factory=list)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """The JSON-ready summary ``deval train-generator`` prints."""
        return {"out": str(self.out_dir), "steps": self.steps, "first": self.first, "last": self.last,
                "seconds": round(self.seconds, 1), "best": self.best,
                "final": self.history[-1] if self.history else None, **self.extra}


class TrainingRun(abc.ABC):
    """Template of a training run (see the module docstring).

    Parameters
    ----------
    data : Trajectories
        Real human movements (pixels, seconds), split into training and validation.
    out_dir : path
        Run directory; must be empty unless ``force`` or ``resume``.
    config : SectionedConfig
        With sections ``data`` (:class:`~.movement_config.DataConfig`) and
        ``train`` (``batch_size``, ``steps``, ``val_every``, ``val_samples``,
        ``num_threads``) and a top-level ``seed``. With ``resume`` the saved
        configuration is used, except ``train.steps``.
    device : str
        Torch device.
    resume : bool
        Continue from ``last/training_state.pt``.
    force : bool
        Train into a non-empty directory.
    progress : bool
        Show a tqdm progress bar.
    on_validation : callable, optional
        Called with each metrics line.
    callbacks : sequence of TrainingCallback
        Told when the run starts, writes a metrics line and ends
        (:mod:`~.callbacks`: e.g. :class:`~.callbacks.WandbCallback`).

    Class attributes
    ----------------
    checkpoint_format : CheckpointFormat
        How checkpoints are written and read (``last/`` is read when resuming).
    name : str
        Progress-bar and message label (``"diffusion"``).
    rng_state_key : str
        Key of the RNG state in ``training_state.pt``.
    score_keys : tuple of str
        Metrics-line keys that select the best checkpoint, in order of preference.
    recent_window : int
        Steps whose rows :attr:`recent` keeps (for :meth:`train_stats`).
    divergence_hint : str
        Advice appended to the divergence error.

    Attributes available to the hooks
    ---------------------------------
    cfg, device, out, encoder, split, train_set, val_set, train_batch, val_batch,
    val_real, rng, batches, step, best_score, history, recent, rows.
    """

    checkpoint_format: ClassVar[CheckpointFormat]
    name: ClassVar[str] = "model"
    rng_state_key: ClassVar[str] = "rng"
    score_keys: ClassVar[tuple[str, ...]] = ("c2st_acc",)
    recent_window: ClassVar[int] = 100
    divergence_hint: ClassVar[str] = "lower the learning rate"
    realism_metrics: ClassVar[tuple[str, ...]] = ("c2st", "mmd", "prd", "prdc")
    val_loss_movements: ClassVar[int] = 1024

    def __init__(self, data: Trajectories, out_dir: str | os.PathLike, config: Any, *, device: str = "cpu",
                 resume: bool = False, force: bool = False, progress: bool = False,
                 on_validation: Callable[[dict], None] | None = None,
                 callbacks: "Sequence[TrainingCallback]" = ()) -> None:
        self.data = data
        self.out = Path(out_dir)
        self.config = config
        self.device_name = device
        self.resume = resume
        self.force = force
        self.progress = progress
        self.on_validation = on_validation
        self.callbacks = list(callbacks)

    # ================================================================ hooks
    @abc.abstractmethod
    def build(self) -> None:
        """Create the networks, EMA and optimisers (torch is seeded with ``cfg.seed`` just before)."""

    def state_objects(self) -> dict[str, Any]:
        """Name -> object with ``state_dict()`` / ``load_state_dict()``, saved in ``training_state.pt`` in this order.

        The default fits a run with one network: the attributes ``model``,
        ``ema`` and ``opt`` that :meth:`build` creates.
        """
        return {"model": self.model, "ema": self.ema, "optimizer": self.opt}

    def sampling_state_dict(self) -> dict:
        """The weights written to checkpoints (``model.pt``); the default: the EMA network's (attribute ``ema``)."""
        return self.ema.model.state_dict()

    @abc.abstractmethod
    def train_step(self) -> dict[str, float]:
        """One optimiser step at :attr:`step` (draw batches from :attr:`batches`, :attr:`rng`); returns its numbers."""

    @abc.abstractmethod
    def validation_losses(self) -> dict[str, float]:
        """Losses on :attr:`val_batch` for the metrics line (e.g. ``{"val_loss": ...}``)."""

    @abc.abstractmethod
    def sample_validation(self, cond: Endpoints, seed: int) -> tuple[Trajectories, np.ndarray]:
        """Movements for ``cond`` from the sampling network and their uncorrected end points (N, 2), pixels."""

    def split_data(self) -> tuple[Trajectories, Trajectories, dict]:
        """Training and validation movements of :attr:`data` and the record for ``split.json``.

        Default: :func:`~.run_data.split_for_training` (by ``cfg.data.val_split``).
        """
        return split_for_training(self.data, self.cfg)

    def fit_encoder(self, train: Trajectories) -> Any:
        """The representation fitted on the training split (default: :func:`~.run_data.build_encoder`)."""
        return build_encoder(self.cfg).fit(train, seed=self.cfg.seed)

    def describe(self) -> str:
        """What is trained, for the log (e.g. ``"unet denoiser (0.9M parameters)"``)."""
        return self.name

    def lr_at(self, step: int) -> float:
        """Learning rate at ``step``: linear warm-up over ``train.warmup`` steps, then cosine decay to 10% of
        ``train.lr`` at ``train.steps`` (for runs whose configuration has those keys)."""
        t = self.cfg.train
        return warmup_cosine_lr(step, t.lr, t.warmup, t.steps)

    def train_stats(self) -> dict:
        """Training numbers of the metrics line: ``train_<key>`` means over :attr:`recent`."""
        return {f"train_{k}": v for k, v in mean_rows(self.recent).items()}

    def progress_postfix(self) -> dict:
        """Progress-bar postfix after a step (default: the last row, 4 digits)."""
        return {k: f"{v:.4f}" for k, v in self.recent[-1].items()} if self.recent else {}

    def before_training(self) -> None:
        """Called after the state is built (and restored), before the first batch permutation is drawn."""

    def after_training(self) -> None:
        """Called after the last step, before the final validation."""

    def result(self) -> Any:
        """What :meth:`run` returns (default :class:`TrainingResult`)."""
        k = max(1, len(self.rows) // 10)
        return TrainingResult(self.out, self.step, mean_rows(self.rows[:k]) if self.rows else {},
                              mean_rows(self.rows[-k:]) if self.rows else {}, self.best_line(), self.history,
                              time.perf_counter() - self.t_start)

    # ============================================================== driver
    def run(self) -> Any:
        """Train (see the module docstring) and return :meth:`result` (under ``torchrun``: on every rank; only
        rank 0's has the validation history)."""
        self.t_start = time.perf_counter()
        t = self.config.train
        if getattr(t, "wandb", False) and not any(isinstance(cb, WandbCallback) for cb in self.callbacks):
            # train.wandb: the callback --wandb-project adds (a missing wandb fails here, before any work)
            self.callbacks.append(WandbCallback(t.wandb_project or f"deval-{self.name}", t.wandb_mode))
        self.dist = DataParallel.from_env()
        self.device = self.dist.start(resolve_device(self.device_name))
        threads_before = torch.get_num_threads()
        started = []
        try:
            self.dist.on_main(lambda: prepare_run_dir(self.out, self.resume, self.force))
            cfg = resumed_config(self.out, self.config) if self.resume else self.config
            cfg.validate()
            self.cfg = cfg
            self.dist.rows(cfg.train.batch_size)  # the world size must divide the batch
            if cfg.train.num_threads:
                torch.set_num_threads(cfg.train.num_threads)
            self._prepare()
            for cb in self.callbacks if self.dist.is_main else ():
                cb.on_start(self)
                started.append(cb)
            self._loop()
            return self.result()
        finally:
            torch.set_num_threads(threads_before)
            for cb in started:
                cb.on_end(self)
            self.dist.close()

    def networks(self) -> list[torch.nn.Module]:
        """The trained networks, whose weights rank 0 broadcasts at the start of a multi-process run (default:
        every :meth:`state_objects` entry that is a module)."""
        return [obj for obj in self.state_objects().values() if isinstance(obj, torch.nn.Module)]

    def shard(self, n_global: int) -> slice:
        """This process's rows of a global batch of ``n_global`` rows (all of them in a one-process run)."""
        return self.dist.rows(n_global)

    def reduce_gradients(self, params) -> None:
        """Average the gradients of ``params`` across processes (call between ``backward`` and clipping /
        the optimiser step; nothing in a one-process run)."""
        self.dist.average_gradients(params)

    def _prepare(self) -> None:
        cfg, out, dev = self.cfg, self.out, self.device
        train, val, self.split = self.split_data()
        if self.resume:
            _, _, self.encoder = self.checkpoint_format.load(out / "last")
        else:
            self.encoder = self.fit_encoder(train)  # the same on every rank: same data, same seed
            if self.dist.is_main:
                write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2), force=True)
                write_text(out / "split.json", json.dumps(self.split, indent=2), force=True)
        self.train_set, self.val_set = train, val
        self.logger = self.fit_logger(train)
        self.train_batch = self.encoder.canonical(train).to(dev)
        vb = self.encoder.canonical(val)
        n_val = min(len(val), self.val_loss_movements)
        pick = np.random.default_rng(cfg.seed + 1).choice(len(val), n_val, replace=False)
        self.val_batch = vb.take(torch.as_tensor(pick)).to(dev)
        self.val_real = val.subsample(min(len(val), cfg.train.val_samples), seed=cfg.seed + 2)
        torch.manual_seed(cfg.seed)
        self.build()
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.step = 0
        self.best_score = math.inf
        self._batches_state = None
        if self.resume:
            self._load_training_state()
            log.info("resuming at step %d", self.step)
        self.dist.broadcast_parameters(self.networks())
        log.info("training %s on %d movements, validating on %d (%s split)", self.describe(), len(train), len(val),
                 self.split["how"])
        self.before_training()
        self.batches = ShuffledBatches(self.train_batch, cfg.train.batch_size, self.rng, dev,
                                       state=self._batches_state)
        self.history: list[dict] = []
        self.recent: list[dict] = []
        self.rows: list[dict] = []

    def _loop(self) -> None:
        t = self.cfg.train
        bar = None
        if self.progress and self.dist.is_main:
            from tqdm.auto import tqdm

            bar = tqdm(total=t.steps, initial=self.step, desc=f"train {self.name}", unit="step", dynamic_ncols=True)
        while self.step < t.steps:
            row = self.dist.mean(self.train_step())
            if not all(math.isfinite(v) for v in row.values()):
                raise DataError(None, f"{self.name} training diverged at step {self.step} ({row}); "
                                      f"{self.divergence_hint}")
            self.recent.append(row)
            del self.recent[:-self.recent_window]
            self.rows.append(row)
            self.step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(**self.progress_postfix())
            if t.val_every and self.step % t.val_every == 0 and self.step < t.steps:
                self.dist.on_main(self.validate)
        if bar is not None:
            bar.close()
        self.after_training()

        def finish():
            if not self.history or self.history[-1]["step"] != self.step:
                self.validate()
            self.save_checkpoint("final", extra={"metrics": self.history[-1]})

        self.dist.on_main(finish)

    # ========================================================== validation
    def generation_metrics(self) -> dict:
        """The metrics of generated movements in a metrics line (a hook; see the module docstring).

        Default: ``goal_distance_err_rel``, ``goal_angle_err_deg`` and the
        realism probe on :meth:`sample_validation` for the endpoints of
        :attr:`val_real` (seed ``seed + 4``). Generators of other kinds of data
        (e.g. ``action-diffusion``) override it.
        """
        from deval.compare import realism_scores
        from deval.metrics.generation import goal_accuracy

        cfg = self.cfg
        line: dict = {}
        cond = self.val_real.endpoints()
        fake, raw_end = self.sample_validation(cond, cfg.seed + 4)
        if self.logger is not None and fake.press is None:  # what sampling gives by default (timing=model)
            fake = self.logger.relog(fake, cfg.seed + 5)
        ga = goal_accuracy(raw_end, cond)
        line["goal_distance_err_rel"] = ga.distance_error_rel_mean
        line["goal_angle_err_deg"] = ga.angle_error_deg_mean
        try:
            line.update(realism_scores(self.val_real, fake, seed=cfg.seed, metrics=self.realism_metrics))
        except Exception as exc:  # realism metrics are advisory during training
            log.warning("realism metrics failed at step %d: %s", self.step, exc)
        return line

    def validate(self) -> dict:
        """Write one metrics line and the ``best/`` (if better) and ``last/`` checkpoints; returns the line."""
        cfg = self.cfg
        line: dict = {"step": self.step,
                      "epoch": round(self.step * cfg.movements_per_step() / len(self.train_batch), 3)}
        line.update(self.train_stats())
        line["elapsed_s"] = round(time.perf_counter() - self.t_start, 1)
        line.update(self.validation_losses())
        line.update(self.generation_metrics())
        score = self.score(line)
        line["best"] = bool(score < self.best_score or (not self.history and self.best_score == math.inf))
        if line["best"]:
            self.best_score = min(score, self.best_score)
            self.save_checkpoint("best", extra={"metrics": line})
        append_metrics_line(self.out, line)
        self.save_checkpoint("last")
        save_tensor_dict(self.out / TRAINING_STATE, self._training_state())
        self.history.append(line)
        if self.on_validation is not None:
            self.on_validation(line)
        for cb in self.callbacks:
            cb.on_validation(self, line)
        log.info("step %d: %s", self.step, {k: round(v, 4) if isinstance(v, float) else v for k, v in line.items()})
        return line

    def score(self, line: dict) -> float:
        """The selection score of a metrics line: its first :attr:`score_keys` entry; missing or non-finite: inf."""
        key = next((k for k in self.score_keys if k in line), None)
        value = line.get(key) if key is not None else None
        return float(value) if value is not None and np.isfinite(value) else math.inf

    def best_line(self) -> dict | None:
        """The metrics line of the last ``best/`` checkpoint written by this run."""
        best = None
        for line in self.history:
            if line.get("best"):
                best = line
        return best

    # ========================================================== checkpoints
    def save_checkpoint(self, sub: str, extra: dict | None = None) -> Path:
        """Write the checkpoint ``out/sub`` (``best``, ``last``, ``final``) from :meth:`sampling_state_dict`."""
        return self.checkpoint_format.save(self.out / sub, self.sampling_state_dict(), self.cfg, self.encoder,
                                           extra=extra, logger=self.logger)

    def fit_logger(self, train: Trajectories) -> Any:
        """The logger of the training movements (stored as ``logger.json``; see
        :mod:`deval.loggers`), or None for data that is not pointing movements (a press channel)."""
        from deval.loggers import Logger

        if train.press is not None:
            return None
        try:
            return Logger.fit(train, max_runs=2000, seed=self.cfg.seed)
        except DataError as exc:
            log.warning("no logger stored with the checkpoints: %s", exc)
            return None

    def _training_state(self) -> dict:
        state = {name: obj.state_dict() for name, obj in self.state_objects().items()}
        state[self.rng_state_key] = self.rng.get_state()
        state["step"] = self.step
        state["best_score"] = self.best_score
        state["batches"] = self.batches.state_dict()
        return state

    def _load_training_state(self) -> None:
        path = self.out / TRAINING_STATE
        st = load_tensor_dict(path, map_location=self.device)
        names = [*self.state_objects(), self.rng_state_key, "step", "best_score"]
        missing = [k for k in names if k not in st]
        if missing:
            raise CheckpointError(f"{path}: not a {self.name} training state (missing {', '.join(missing)})")
        for name, obj in self.state_objects().items():
            obj.load_state_dict(st[name])
        self.rng.set_state(st[self.rng_state_key].cpu())
        self.step = int(st["step"])
        self.best_score = float(st["best_score"])
        self._batches_state = st.get("batches")  # older training states: a new pass is drawn
