"""The registry-facing generator of a learned model: checkpoint loading, batched sampling, training from the CLI.

:class:`CheckpointGenerator` is a :class:`~deval.generators.base.TrainableGenerator`
whose state is a checkpoint directory (see :mod:`.checkpoint`). A subclass
names its :class:`~.checkpoint.CheckpointFormat`, its
:class:`~.training_run.TrainingRun` and how to build and sample its network::

    class MyGenerator(CheckpointGenerator):
        name = "my-gen"
        description = "..."
        param_specs = (CHECKPOINT_PARAM, DEVICE_PARAM, ...)
        checkpoint_format = MY_CHECKPOINTS            # presets come from its config class

        @classmethod
        def training_run_class(cls):
            from .trainer import MyTraining
            return MyTraining

        @staticmethod
        def build_network(config, encoder): ...       # nn.Module whose state dict is model.pt

        def _sample_movements(self, net, encoder, cond, seed): ...   # -> (Trajectories, uncorrected ends)

Everything else is here: ``load(dir)`` (a checkpoint or the ``best/`` /
``final/`` of a run directory), ``sample`` (endpoints drawn from the training
movements when none are given), ``save``, ``fit``, and ``train_run`` /
``build_config``, which ``deval train-generator NAME`` calls.
"""

from __future__ import annotations

import abc
import os
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np
import torch

from deval.errors import CheckpointError, ConfigError, OutputExistsError
from deval.generators.base import TrainableGenerator
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .batched_sampling import resolve_seed
from .checkpoint import CheckpointFormat

__all__ = ["CheckpointGenerator", "CHECKPOINT_PARAM", "DEVICE_PARAM", "TIMING_PARAM"]

#: the ``checkpoint`` parameter every checkpoint generator takes
CHECKPOINT_PARAM = ParamSpec("checkpoint", None, "checkpoint or training-run directory", kind="path", nullable=True)
#: the ``timing`` parameter of pointing-movement generators: which logger records the movements
TIMING_PARAM = ParamSpec("timing", "model", "timestamps: model (re-recorded by the logger of the training data, "
                         "stored with the checkpoint as logger.json) or own (the network's own timestamps)",
                         kind="choice", choices=("model", "own"))
#: the ``device`` parameter (torch device of the network)
DEVICE_PARAM = ParamSpec("device", "cpu", "torch device", kind="choice", choices=("cpu", "cuda", "mps"))


class CheckpointGenerator(TrainableGenerator):
    """A generator backed by a trained checkpoint (see the module docstring).

    Class attributes
    ----------------
    checkpoint_format : CheckpointFormat
        Layout, configuration class (and so ``presets``) and messages.
    presets : tuple of str
        The configuration's presets (set from ``checkpoint_format`` unless given).

    Attributes
    ----------
    net : nn.Module or None
        The sampling network, in eval mode on ``device`` (None until a checkpoint is loaded).
    encoder : MovementEncoder or None
    config : SectionedConfig or None
    checkpoint_dir : Path or None
        The checkpoint directory actually read (``best/`` of a run directory, ...).
    logger : deval.loggers.Logger or None
        The logger of the training data (``logger.json``), which records the
        movements when the generator has a ``timing`` parameter set to ``model``.
    """

    checkpoint_format: ClassVar[CheckpointFormat]
    presets: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fmt = cls.__dict__.get("checkpoint_format")
        if fmt is not None and "presets" not in cls.__dict__:
            cls.presets = tuple(fmt.config_cls.PRESETS)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.net: torch.nn.Module | None = None
        self.encoder: Any = None
        self.config: Any = None
        self.checkpoint_dir: Path | None = None
        self.logger: Any = None
        if self.params.get("checkpoint") is not None:
            self._load_weights(self.params["checkpoint"])

    # ================================================================ hooks
    @classmethod
    @abc.abstractmethod
    def training_run_class(cls) -> type:
        """The :class:`~.training_run.TrainingRun` subclass that trains this generator."""

    @staticmethod
    @abc.abstractmethod
    def build_network(config: Any, encoder: Any) -> torch.nn.Module:
        """The (untrained) sampling network for ``config`` and a fitted ``encoder``; ``model.pt`` is its state dict."""

    @abc.abstractmethod
    def _sample_movements(self, net: torch.nn.Module, encoder: Any, cond: Endpoints, seed: int | None
                          ) -> tuple[Trajectories, np.ndarray]:
        """Movements for ``cond`` with this generator's settings, and the uncorrected end points (N, 2) in pixels."""

    # ============================================================= weights
    @property
    def is_fitted(self) -> bool:
        """True once a checkpoint is loaded (or :meth:`fit` has trained one)."""
        return self.net is not None

    def _load_weights(self, directory: str | os.PathLike) -> None:
        state, cfg, encoder = self.checkpoint_format.load(directory)
        net = self.build_network(cfg, encoder)
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(f"{directory}: weights do not match the saved configuration ({exc})") from None
        self.net = net.to(self._device()).eval()
        self.encoder, self.config = encoder, cfg
        self.checkpoint_dir = self.checkpoint_format.resolve(directory)
        self.logger = self.checkpoint_format.read_logger(self.checkpoint_dir)

    def _device(self) -> torch.device:
        dev = torch.device(self.params.get("device", "cpu"))
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"{self.name}: device 'cuda' requested but CUDA is not available")
        return dev

    def _require(self) -> tuple[torch.nn.Module, Any, Any]:
        """``(net, encoder, config)``; :class:`CheckpointError` with the training hint when nothing is loaded."""
        if self.net is None or self.encoder is None or self.config is None:
            raise CheckpointError(f"{self.name}: no checkpoint loaded (give --checkpoint DIR); "
                                  f"{self.checkpoint_format.train_hint}")
        return self.net, self.encoder, self.config

    # ============================================================ sampling
    def draw_endpoints(self, n: int, rng: np.random.Generator) -> Endpoints:
        """Without a condition: distances, directions, point counts and durations of training movements.

        Starts are uniform in ``[200, 1720] x [150, 930]`` pixels.
        """
        if self.encoder is None:
            return super().draw_endpoints(n, rng)
        dist, angle, npts, dur = self.encoder.draw_goals(n, seed=int(rng.integers(2**63 - 1)))
        start = np.column_stack([rng.uniform(200, 1720, n), rng.uniform(150, 930, n)])
        end = start + np.column_stack([np.cos(angle), np.sin(angle)]) * dist[:, None]
        return Endpoints(start, end, dur, npts)

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        traj, _ = self.sample_with_raw_ends(cond, seed=int(rng.integers(2**63 - 1)))
        return traj

    def sample_with_raw_ends(self, cond: Endpoints, seed: int | None = None) -> tuple[Trajectories, np.ndarray]:
        """Movements for ``cond`` and the end points (N, 2) the network produced before the exact correction."""
        net, encoder, _ = self._require()
        with torch.inference_mode():
            traj, raw_end = self._sample_movements(net, encoder, cond, seed)
        if self.params.get("timing") == "model" and self.logger is not None and traj.press is None:
            traj = self.logger.relog(traj, np.random.SeedSequence(resolve_seed(seed)).spawn(1)[0])
        return traj, raw_end

    # ============================================================ training
    def fit(self, trajectories: Trajectories, *, out_dir: str | os.PathLike, config: Any = None, device: str = "cpu",
            progress: bool = False, force: bool = False, **kwargs: Any) -> "CheckpointGenerator":
        """Train on real movements into the run directory ``out_dir`` and load its best checkpoint.

        ``config`` defaults to the configuration's default preset; ``kwargs``
        go to the :class:`~.training_run.TrainingRun` (``resume``, ``on_validation``).
        """
        cfg_cls = self.checkpoint_format.config_cls
        config = config or cfg_cls.from_preset(cfg_cls.DEFAULT_PRESET)
        self.training_run_class()(trajectories, out_dir, config, device=device, progress=progress, force=force,
                                  **kwargs).run()
        self._load_weights(out_dir)
        return self

    def save(self, directory: str | os.PathLike, force: bool = False) -> None:
        """Write the loaded checkpoint to ``directory`` (model.pt, config.json, normalizer.json, encoder.json and
        logger.json when it has one)."""
        net, encoder, cfg = self._require()
        d = Path(directory)
        if d.exists() and (d.is_file() or any(d.iterdir())) and not force:
            raise OutputExistsError(d)
        self.checkpoint_format.save(d, net.state_dict(), cfg, encoder, logger=self.logger)

    @classmethod
    def load(cls, directory: str | os.PathLike, **params: Any) -> "CheckpointGenerator":
        """Load a checkpoint (or the best one of a training run) with sampling ``params``."""
        params = dict(params)
        params["checkpoint"] = os.fspath(directory)
        return cls(**params)

    # -------------------------------------------------- train-generator CLI
    @classmethod
    def build_config(cls, *, preset_name: str | None = None, config_file: str | os.PathLike | None = None,
                     overrides: dict | None = None, epochs: float | None = None, steps: int | None = None,
                     val_split: str | None = None, seed: int | None = None, n_movements: int | None = None) -> Any:
        """The configuration :meth:`train_run` uses: the preset (default: the config's default preset), then
        ``config_file`` (on top of the preset when one is named, else on top of the file's own preset), then
        ``overrides``, then ``val_split``, ``seed`` and ``steps`` or ``epochs``.

        ``epochs`` converts to steps with :meth:`SectionedConfig.steps_for_epochs`
        (one epoch: every training movement of the ``n_movements`` once).
        """
        if epochs is not None and steps is not None:
            raise ConfigError("give --epochs or --steps, not both")
        cfg_cls = cls.checkpoint_format.config_cls
        cfg = cfg_cls.from_preset(preset_name or cfg_cls.DEFAULT_PRESET)
        if config_file is not None:
            cfg = cfg_cls.load_file(config_file, base=cfg if preset_name else None)
        if overrides:
            cfg = cfg.override(overrides)
        if val_split is not None:
            cfg.data.val_split = val_split
        if seed is not None:
            cfg.seed = int(seed)
        if steps is not None:
            cfg.train.steps = int(steps)
        if epochs is not None:
            if n_movements is None:
                raise ConfigError("epochs need the number of movements")
            cfg.train.steps = cfg.steps_for_epochs(epochs, n_movements)
        cfg.validate()
        return cfg

    @classmethod
    def train_run(cls, data: Trajectories, out_dir: str | os.PathLike, *, preset_name: str | None = None,
                  config_file: str | None = None, overrides: dict | None = None, epochs: float | None = None,
                  steps: int | None = None, device: str = "cpu", resume: bool = False,
                  val_split: str | None = None, seed: int | None = None, force: bool = False,
                  progress: bool = False, callbacks: Sequence = ()) -> dict:
        """What ``deval train-generator NAME`` runs; returns the JSON-ready summary of the run's result."""
        cfg = cls.build_config(preset_name=preset_name, config_file=config_file, overrides=overrides, epochs=epochs,
                               steps=steps, val_split=val_split, seed=seed, n_movements=len(data))
        result = cls.training_run_class()(data, out_dir, cfg, device=device, resume=resume, force=force,
                                          progress=progress, callbacks=callbacks).run()
        return result.summary()
