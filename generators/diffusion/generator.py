"""``diffusion``: the registry generator backed by a trained diffusion checkpoint.

    gen = DiffusionGenerator.load("runs/diffusion", steps=10, sampler="dpm-solver")
    fakes = gen.sample(5000, cond=real.endpoints(), seed=0)     # Trajectories in pixels
    raw = gen.generate_diffusion_samples(256, 48, seed=0)       # Tensor [256, 48, C], normalised steps

Train a checkpoint with ``deval train-generator diffusion --data REAL.npz --out DIR``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deval.errors import CheckpointError, ConfigError
from deval.generators.learned.batched_sampling import goal_tensor, resolve_seed
from deval.generators.learned.checkpoint_generator import CHECKPOINT_PARAM, DEVICE_PARAM, TIMING_PARAM, CheckpointGenerator
from deval.generators.learned.sampling_params import resolve_sampling, sampler_params
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import DIFFUSION_CHECKPOINTS, TRAIN_HINT
from .config import DiffusionConfig
from .model import DiffusionModel
from .representation import MovementEncoder
from .sampling import sample_movements, sample_normalized

__all__ = ["DiffusionGenerator", "set_default_checkpoint", "generate_diffusion_samples"]

log = logging.getLogger(__name__)


class DiffusionGenerator(CheckpointGenerator):
    """Movements from a denoising diffusion model trained on real human movements.

    Conditioned on each movement's start and end (and, when known, its point
    count); every generated movement ends exactly on its target, has strictly
    increasing timestamps and no NaN. Checkpoint loading, ``sample``, ``save``,
    ``fit`` and ``train_run`` come from
    :class:`~deval.generators.learned.checkpoint_generator.CheckpointGenerator`.
    """

    name = "diffusion"
    description = ("denoising diffusion model trained on real movements (default: the shipped sapimouse-small-fast "
                   "model; --checkpoint DIR for your own, see train-generator)")
    param_specs = (
        CHECKPOINT_PARAM,
        TIMING_PARAM,
        *sampler_params(),
        DEVICE_PARAM,
        ParamSpec("batch_size", 1000, "movements per network call", kind="int", low=1, high=1_000_000),
    )
    checkpoint_format = DIFFUSION_CHECKPOINTS

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.net is None:  # no checkpoint given: the shipped default, when installed
            from . import pretrained

            if pretrained.available():
                self._load_weights(pretrained.checkpoint_path())

    def _load_weights(self, directory) -> None:
        """A checkpoint directory, or the name of a shipped model (``sapimouse-small``)."""
        import re

        from . import pretrained

        name = os.fspath(directory)
        if not Path(name).exists() and re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) and pretrained.available(name):
            directory = pretrained.checkpoint_path(name)
        super()._load_weights(directory)

    @classmethod
    def training_run_class(cls) -> type:
        from .trainer import DiffusionTraining

        return DiffusionTraining

    @staticmethod
    def build_network(config: DiffusionConfig, encoder: MovementEncoder) -> DiffusionModel:
        return DiffusionModel.from_config(config, encoder.n_channels, encoder.goal_dim)

    @property
    def model(self) -> DiffusionModel | None:
        """The loaded diffusion model (the sampling network, :attr:`net`)."""
        return self.net

    def _settings(self) -> dict:
        return resolve_sampling(self.params, self._require()[2].sample)

    # ------------------------------------------------------------ sampling
    def _sample_movements(self, net: DiffusionModel, encoder: MovementEncoder, cond: Endpoints, seed: int | None
                          ) -> tuple[Trajectories, np.ndarray]:
        s = self._settings()
        return sample_movements(net, encoder, cond, seed=seed, sampler=s["sampler"], steps=s["steps"],
                                cfg_scale=s["cfg_scale"], eta=s["eta"], batch_size=self.params["batch_size"],
                                device=self._device(), style=self.name)

    def generate_diffusion_samples(self, n: int, seq_len: int, cond=None, device: str | torch.device = "cpu",
                                   steps: int = 20, seed: int | None = None) -> torch.Tensor:
        """Raw model samples: normalised steps ``Tensor[n, seq_len, C]`` (all ``seq_len`` steps real).

        Parameters
        ----------
        n : int
            Number of movements.
        seq_len : int
            Steps per movement, 1 .. ``max_len`` of the checkpoint.
        cond : Endpoints or Tensor (n, G), optional
            Pixel endpoints, or goal vectors ``[distance_norm, cos, sin(, duration_norm)]``
            as the model sees them; None draws goals from the training movements.
        device : str or torch.device
            Where the network runs and the result lives.
        steps : int
            Sampler steps (with this generator's sampler and guidance).
        seed : int, optional
            Seed of the noise (same seed, same tensor).

        Returns
        -------
        Tensor, float32, (n, seq_len, C)
            Channels :attr:`MovementEncoder.channels`; de-normalise with the
            checkpoint's ``normalizer.json`` (``encoder.normalizer``).
        """
        model, encoder, _ = self._require()
        if not 1 <= int(seq_len) <= encoder.max_len:
            raise ConfigError(f"seq_len must be between 1 and the model's max_len {encoder.max_len}, got {seq_len}")
        n = int(n)
        seed = resolve_seed(seed)
        goal = goal_tensor(encoder, n, cond, seed)
        s = self._settings()
        dev = torch.device(device)
        model.to(dev)
        try:
            with torch.inference_mode():
                values, _ = sample_normalized(model, encoder, np.full(n, int(seq_len)), goal.cpu(), seed=seed,
                                              sampler=s["sampler"], steps=int(steps), cfg_scale=s["cfg_scale"],
                                              eta=s["eta"], batch_size=self.params["batch_size"], device=dev)
        finally:
            model.to(self._device())
        return values[:, : int(seq_len)].to(dev)


# --------------------------------------------------------------- module API
_DEFAULT: DiffusionGenerator | None = None


def set_default_checkpoint(directory: str | os.PathLike | None, **params: Any) -> DiffusionGenerator | None:
    """Choose the checkpoint used by the module-level :func:`generate_diffusion_samples` (None forgets it)."""
    global _DEFAULT
    _DEFAULT = None if directory is None else DiffusionGenerator.load(directory, **params)
    return _DEFAULT


def generate_diffusion_samples(n: int, seq_len: int, cond=None, device: str | torch.device = "cpu", steps: int = 20,
                               seed: int | None = None) -> torch.Tensor:
    """Raw normalised samples ``Tensor[n, seq_len, C]`` from the default diffusion checkpoint.

    The checkpoint is the one given to :func:`set_default_checkpoint`, else the
    directory in the ``DEVAL_DIFFUSION_CHECKPOINT`` environment variable, else
    the shipped pretrained model (:mod:`.pretrained`). See
    :meth:`DiffusionGenerator.generate_diffusion_samples` for the arguments.
    """
    global _DEFAULT
    if _DEFAULT is None:
        env = os.environ.get("DEVAL_DIFFUSION_CHECKPOINT")
        gen = DiffusionGenerator.load(env) if env else DiffusionGenerator()
        if not gen.is_fitted:
            raise CheckpointError("no diffusion checkpoint: call set_default_checkpoint(DIR) or set "
                                  f"DEVAL_DIFFUSION_CHECKPOINT; {TRAIN_HINT}")
        _DEFAULT = gen
    return _DEFAULT.generate_diffusion_samples(n, seq_len, cond=cond, device=device, steps=steps, seed=seed)
