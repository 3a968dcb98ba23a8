"""``gan``: the registry generator backed by a trained conditional WGAN-GP checkpoint.

    gen = GANGenerator.load("runs/gan")
    fakes = gen.sample(5000, cond=real.endpoints(), seed=0)     # Trajectories in pixels
    raw = gen.generate_gan_samples(256, 48, seed=0)              # Tensor [256, 48, C], normalised steps

Train a checkpoint with ``deval train-generator gan --data REAL.npz --out DIR``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from deval.errors import ConfigError
from deval.generators.learned.batched_sampling import goal_tensor, resolve_seed
from deval.generators.learned.checkpoint_generator import CHECKPOINT_PARAM, DEVICE_PARAM, TIMING_PARAM, CheckpointGenerator
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import GAN_CHECKPOINTS, build_generator
from .config import GANConfig
from .networks import GRUGenerator
from .sampling import generate_normalized, sample_movements

__all__ = ["GANGenerator"]

log = logging.getLogger(__name__)


class GANGenerator(CheckpointGenerator):
    """Movements from a conditional WGAN-GP trained on real human movements.

    Same representation and conditioning as ``diffusion`` (canonical
    normalised steps, goal ``[distance_norm, cos, sin]``); every generated
    movement ends exactly on its target, has strictly increasing timestamps
    and no NaN. One network call per batch, so sampling is fast. Checkpoint
    loading, ``sample``, ``save``, ``fit``, ``build_config`` and ``train_run``
    come from :class:`~deval.generators.learned.checkpoint_generator.CheckpointGenerator`.
    """

    name = "gan"
    description = "conditional WGAN-GP trained on real movements (needs --checkpoint; see train-generator)"
    param_specs = (
        CHECKPOINT_PARAM,
        TIMING_PARAM,
        DEVICE_PARAM,
        ParamSpec("batch_size", 0, "movements per network call (0: the checkpoint's default)", kind="int", low=0,
                  high=1_000_000),
    )
    checkpoint_format = GAN_CHECKPOINTS

    @classmethod
    def training_run_class(cls) -> type:
        from .trainer import GANTraining

        return GANTraining

    @staticmethod
    def build_network(config: GANConfig, encoder: Any) -> GRUGenerator:
        return build_generator(config, encoder)

    def _batch_size(self) -> int:
        return self.params["batch_size"] or self._require()[2].sample.batch_size

    # ------------------------------------------------------------ sampling
    def _sample_movements(self, net: GRUGenerator, encoder: Any, cond: Endpoints, seed: int | None
                          ) -> tuple[Trajectories, np.ndarray]:
        return sample_movements(net, encoder, cond, seed=seed, batch_size=self._batch_size(), device=self._device(),
                                style=self.name)

    def generate_gan_samples(self, n: int, seq_len: int, cond=None, device: str | torch.device = "cpu",
                             seed: int | None = None) -> torch.Tensor:
        """Raw generator output: normalised steps ``Tensor[n, seq_len, C]`` (all ``seq_len`` steps real).

        Parameters
        ----------
        n : int
            Number of movements.
        seq_len : int
            Steps per movement, 1 .. ``max_len`` of the checkpoint.
        cond : Endpoints or Tensor (n, G), optional
            Pixel endpoints, or goal vectors ``[distance_norm, cos, sin(, duration_norm)]``;
            None draws goals from the training movements.
        device : str or torch.device
            Where the result lives.
        seed : int, optional
            Seed of the noise.

        Returns
        -------
        Tensor, float32, (n, seq_len, C)
            Channels :attr:`MovementEncoder.channels`; de-normalise with the
            checkpoint's ``normalizer.json``.
        """
        net, encoder, _ = self._require()
        if not 1 <= int(seq_len) <= encoder.max_len:
            raise ConfigError(f"seq_len must be between 1 and the model's max_len {encoder.max_len}, got {seq_len}")
        n = int(n)
        seed = resolve_seed(seed)
        goal = goal_tensor(encoder, n, cond, seed)
        with torch.inference_mode():
            values, _ = generate_normalized(net, encoder, np.full(n, int(seq_len)), goal, seed=seed,
                                            batch_size=self._batch_size(), device=self._device())
        return values[:, : int(seq_len)].to(torch.device(device))
