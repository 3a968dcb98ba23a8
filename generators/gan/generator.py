"""``gan``: the registry generator backed by a trained conditional WGAN-GP checkpoint.

    gen = GANGenerator.load("runs/gan")
    fakes = gen.sample(5000, cond=real.endpoints(), seed=0)     # Trajectories in pixels
    raw = gen.generate_gan_samples(256, 48, seed=0)              # Tensor [256, 48, C], normalised steps

Train a checkpoint with ``deval train-generator gan --data REAL.npz --out DIR``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deval.errors import CheckpointError, ConfigError, OutputExistsError
from deval.generators.base import TrainableGenerator
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import TRAIN_HINT, build_generator, load_gan_checkpoint, resolve_gan_checkpoint_dir, save_gan_checkpoint
from .config import PRESETS, GANConfig, load_config_file, preset
from .networks import GRUGenerator
from .sampling import generate_normalized, sample_movements

__all__ = ["GANGenerator"]

log = logging.getLogger(__name__)


class GANGenerator(TrainableGenerator):
    """Movements from a conditional WGAN-GP trained on real human movements.

    Same representation and conditioning as ``diffusion`` (canonical
    normalised steps, goal ``[distance_norm, cos, sin]``); every generated
    movement ends exactly on its target, has strictly increasing timestamps
    and no NaN. One network call per batch, so sampling is fast.
    """

    name = "gan"
    description = "conditional WGAN-GP trained on real movements (needs --checkpoint; see train-generator)"
    param_specs = (
        ParamSpec("checkpoint", None, "checkpoint or training-run directory", kind="path", nullable=True),
        ParamSpec("device", "cpu", "torch device", kind="choice", choices=("cpu", "cuda", "mps")),
        ParamSpec("batch_size", 0, "movements per network call (0: the checkpoint's default)", kind="int", low=0,
                  high=1_000_000),
    )
    presets = PRESETS

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.net: GRUGenerator | None = None
        self.encoder = None
        self.config: GANConfig | None = None
        self.checkpoint_dir: Path | None = None
        if self.params["checkpoint"] is not None:
            self._load_weights(self.params["checkpoint"])

    @property
    def is_fitted(self) -> bool:
        """True once a checkpoint is loaded (or :meth:`fit` has trained one)."""
        return self.net is not None

    # ------------------------------------------------------------- weights
    def _load_weights(self, directory: str | os.PathLike) -> None:
        state, cfg, encoder = load_gan_checkpoint(directory)
        net = build_generator(cfg, encoder)
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(f"{directory}: weights do not match the saved configuration ({exc})") from None
        self.net = net.to(self._device()).eval()
        self.encoder, self.config = encoder, cfg
        self.checkpoint_dir = resolve_gan_checkpoint_dir(directory)

    def _device(self) -> torch.device:
        dev = torch.device(self.params["device"])
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError("gan: device 'cuda' requested but CUDA is not available")
        return dev

    def _require(self):
        if self.net is None or self.encoder is None or self.config is None:
            raise CheckpointError(f"gan: no checkpoint loaded (give --checkpoint DIR); {TRAIN_HINT}")
        return self.net, self.encoder, self.config

    def _batch_size(self) -> int:
        return self.params["batch_size"] or self._require()[2].sample.batch_size

    # ------------------------------------------------------------ sampling
    def draw_endpoints(self, n: int, rng: np.random.Generator) -> Endpoints:
        """Without a condition: distances, directions, point counts and durations of training movements."""
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
        """Movements for ``cond`` and the end points (N, 2) the generator produced before the exact correction."""
        net, encoder, _ = self._require()
        with torch.inference_mode():
            return sample_movements(net, encoder, cond, seed=seed, batch_size=self._batch_size(),
                                    device=self._device(), style=self.name)

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
        seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
        if cond is None:
            dist, angle, _, dur = encoder.draw_goals(n, seed=seed)
            goal = encoder.goal(torch.as_tensor(dist, dtype=torch.float32), torch.as_tensor(angle, dtype=torch.float32),
                                torch.as_tensor(dur, dtype=torch.float32))
        elif isinstance(cond, Endpoints):
            if len(cond) != n:
                raise ConfigError(f"cond holds {len(cond)} endpoints for n={n}")
            encoder.check_condition(cond)
            dur = cond.duration if cond.duration is not None else encoder.draw_lengths(cond.distance, seed)[1]
            goal = encoder.goal(torch.as_tensor(cond.distance, dtype=torch.float32),
                                torch.as_tensor(cond.angle, dtype=torch.float32),
                                torch.as_tensor(dur, dtype=torch.float32))
        else:
            goal = torch.as_tensor(cond, dtype=torch.float32)
            if goal.shape != (n, encoder.goal_dim):
                raise ConfigError(f"cond must be Endpoints or a ({n}, {encoder.goal_dim}) goal tensor, "
                                  f"got shape {tuple(goal.shape)}")
        with torch.inference_mode():
            values, _ = generate_normalized(net, encoder, np.full(n, int(seq_len)), goal, seed=seed,
                                            batch_size=self._batch_size(), device=self._device())
        return values[:, : int(seq_len)].to(torch.device(device))

    # ------------------------------------------------------------ training
    def fit(self, trajectories: Trajectories, *, out_dir: str | os.PathLike, config: GANConfig | None = None,
            device: str = "cpu", progress: bool = False, force: bool = False, **kwargs: Any) -> "GANGenerator":
        """Train on real movements into the run directory ``out_dir`` and load its best checkpoint."""
        from .trainer import train_gan

        train_gan(trajectories, out_dir, config or preset("small"), device=device, progress=progress, force=force,
                  **kwargs)
        self._load_weights(out_dir)
        return self

    def save(self, directory: str | os.PathLike, force: bool = False) -> None:
        """Write the loaded checkpoint to ``directory`` (model.pt, config.json, normalizer.json, encoder.json)."""
        net, encoder, cfg = self._require()
        d = Path(directory)
        if d.exists() and (d.is_file() or any(d.iterdir())) and not force:
            raise OutputExistsError(d)
        save_gan_checkpoint(d, net.state_dict(), cfg, encoder)

    @classmethod
    def load(cls, directory: str | os.PathLike, **params: Any) -> "GANGenerator":
        """Load a checkpoint (or the best one of a training run) with sampling ``params``."""
        params = dict(params)
        params["checkpoint"] = os.fspath(directory)
        return cls(**params)

    # -------------------------------------------------- train-generator CLI
    @classmethod
    def build_config(cls, *, preset_name: str | None = None, config_file: str | None = None,
                     overrides: dict | None = None, epochs: float | None = None, steps: int | None = None,
                     val_split: str | None = None, seed: int | None = None, n_movements: int | None = None
                     ) -> GANConfig:
        """The configuration ``train_run`` uses: preset (default ``small``), then file, overrides, options.

        ``epochs`` converts to generator steps as ``ceil(epochs * n_train / (batch_size * n_critic))``
        (an epoch is one pass of the real training movements through the critic).
        """
        if epochs is not None and steps is not None:
            raise ConfigError("give --epochs or --steps, not both")
        cfg = preset(preset_name or "small")
        if config_file is not None:
            cfg = load_config_file(config_file, base=cfg if preset_name else None)
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
            n_train = n_movements * (1 - cfg.data.val_fraction)
            if cfg.data.max_train:
                n_train = min(n_train, cfg.data.max_train)
            cfg.train.steps = max(1, int(np.ceil(epochs * n_train / (cfg.train.batch_size * cfg.train.n_critic))))
        cfg.validate()
        return cfg

    @classmethod
    def train_run(cls, data: Trajectories, out_dir: str | os.PathLike, *, preset_name: str | None = None,
                  config_file: str | None = None, overrides: dict | None = None, epochs: float | None = None,
                  steps: int | None = None, device: str = "cpu", resume: bool = False,
                  val_split: str | None = None, seed: int | None = None, force: bool = False,
                  progress: bool = False) -> dict:
        """What ``deval train-generator gan`` runs; returns a JSON-ready summary."""
        from .trainer import train_gan

        cfg = cls.build_config(preset_name=preset_name, config_file=config_file, overrides=overrides, epochs=epochs,
                               steps=steps, val_split=val_split, seed=seed, n_movements=len(data))
        res = train_gan(data, out_dir, cfg, device=device, resume=resume, force=force, progress=progress)
        return {"out": str(res.out_dir), "steps": res.steps, "first": res.first, "last": res.last,
                "seconds": round(res.seconds, 1), "best": res.best,
                "final": res.history[-1] if res.history else None}
