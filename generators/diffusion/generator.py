"""``diffusion``: the registry generator backed by a trained diffusion checkpoint.

    gen = DiffusionGenerator.load("runs/diffusion", steps=10, sampler="dpm-solver")
    fakes = gen.sample(5000, cond=real.endpoints(), seed=0)     # Trajectories in pixels
    raw = gen.generate_diffusion_samples(256, 48, seed=0)       # Tensor [256, 48, C], normalised steps

Train a checkpoint with ``deval train-generator diffusion --data REAL.npz --out DIR``.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deval.errors import CheckpointError, ConfigError
from deval.generators.base import TrainableGenerator
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import TRAIN_HINT, load_checkpoint, resolve_checkpoint_dir, save_checkpoint
from .config import PRESETS, DiffusionConfig, load_config_file, preset
from .model import DiffusionModel
from .representation import MovementEncoder
from .samplers import SAMPLERS
from .sampling import sample_movements, sample_normalized

log = logging.getLogger(__name__)


class DiffusionGenerator(TrainableGenerator):
    """Movements from a denoising diffusion model trained on real human movements.

    Conditioned on each movement's start and end (and, when known, its point
    count); every generated movement ends exactly on its target, has strictly
    increasing timestamps and no NaN.
    """

    name = "diffusion"
    description = "denoising diffusion model trained on real movements (needs --checkpoint; see train-generator)"
    param_specs = (
        ParamSpec("checkpoint", None, "checkpoint or training-run directory", kind="path", nullable=True),
        ParamSpec("sampler", "dpm-solver", "sampler", kind="choice", choices=tuple(SAMPLERS)),
        ParamSpec("steps", 0, "sampler steps (0: the checkpoint's default)", kind="int", low=0, high=10000),
        ParamSpec("cfg_scale", -1.0, "classifier-free guidance scale (-1: the checkpoint's default; 1: none)",
                  kind="float", low=-1.0, high=20.0),
        ParamSpec("eta", 0.0, "DDIM noise (0 deterministic)", kind="float", low=0.0, high=1.0),
        ParamSpec("device", "cpu", "torch device", kind="choice", choices=("cpu", "cuda", "mps")),
        ParamSpec("batch_size", 1000, "movements per network call", kind="int", low=1, high=1_000_000),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: DiffusionModel | None = None
        self.encoder: MovementEncoder | None = None
        self.config: DiffusionConfig | None = None
        self.checkpoint_dir: Path | None = None
        if self.params["checkpoint"] is not None:
            self._load_weights(self.params["checkpoint"])

    # ------------------------------------------------------------- weights
    def _load_weights(self, directory: str | os.PathLike) -> None:
        state, cfg, encoder = load_checkpoint(directory)
        model = DiffusionModel.from_config(cfg, encoder.n_channels, encoder.goal_dim)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(f"{directory}: weights do not match the saved configuration ({exc})") from None
        self.model = model.to(self._device()).eval()
        self.encoder, self.config = encoder, cfg
        self.checkpoint_dir = resolve_checkpoint_dir(directory)

    def _device(self) -> torch.device:
        dev = torch.device(self.params["device"])
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError("diffusion: device 'cuda' requested but CUDA is not available")
        return dev

    def _require(self) -> tuple[DiffusionModel, MovementEncoder, DiffusionConfig]:
        if self.model is None or self.encoder is None or self.config is None:
            raise CheckpointError(f"diffusion: no checkpoint loaded (give --checkpoint DIR); {TRAIN_HINT}")
        return self.model, self.encoder, self.config

    def _settings(self) -> dict:
        cfg = self._require()[2]
        p = self.params
        return {"sampler": p["sampler"], "steps": p["steps"] or cfg.sample.steps,
                "cfg_scale": cfg.sample.cfg_scale if p["cfg_scale"] < 0 else p["cfg_scale"], "eta": p["eta"]}

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
        """Movements for ``cond`` and the end points the model produced before the exact correction (N, 2)."""
        model, encoder, _ = self._require()
        s = self._settings()
        with torch.inference_mode():
            return sample_movements(model, encoder, cond, seed=seed, sampler=s["sampler"], steps=s["steps"],
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

    # ------------------------------------------------------------ training
    def fit(self, trajectories: Trajectories, *, out_dir: str | os.PathLike, config: DiffusionConfig | None = None,
            device: str = "cpu", progress: bool = False, force: bool = False, **kwargs: Any) -> "DiffusionGenerator":
        """Train on real movements into the run directory ``out_dir`` and load its best checkpoint."""
        from .trainer import train_diffusion

        train_diffusion(trajectories, out_dir, config or preset("small"), device=device, progress=progress,
                        force=force, **kwargs)
        self._load_weights(out_dir)
        return self

    def save(self, directory: str | os.PathLike, force: bool = False) -> None:
        """Write the loaded checkpoint to ``directory`` (model.pt, config.json, normalizer.json, encoder.json)."""
        model, encoder, cfg = self._require()
        d = Path(directory)
        if d.exists() and any(d.iterdir()) and not force:
            from deval.errors import OutputExistsError

            raise OutputExistsError(d)
        save_checkpoint(d, model.state_dict(), cfg, encoder)

    @classmethod
    def load(cls, directory: str | os.PathLike, **params: Any) -> "DiffusionGenerator":
        """Load a checkpoint (or the best one of a training run) with sampling ``params``."""
        params = dict(params)
        params["checkpoint"] = os.fspath(directory)
        return cls(**params)

    # -------------------------------------------------- train-generator CLI
    presets = PRESETS

    @classmethod
    def train_run(cls, data: Trajectories, out_dir: str | os.PathLike, *, preset_name: str | None = None,
                  config_file: str | None = None, overrides: dict | None = None, epochs: int | None = None,
                  steps: int | None = None, device: str = "cpu", resume: bool = False,
                  val_split: str | None = None, seed: int | None = None, force: bool = False,
                  progress: bool = False) -> dict:
        """What ``deval train-generator diffusion`` runs; returns a JSON-ready summary.

        The configuration is the preset (default ``small``), then ``config_file``,
        then ``overrides``, then the explicit options (``val_split``, ``seed``,
        ``epochs`` or ``steps``).
        """
        from .split import train_val_split  # noqa: F401  (documented split rules)
        from .trainer import train_diffusion

        cfg = preset(preset_name or "small")
        if config_file is not None:
            cfg = load_config_file(config_file, base=cfg if preset_name else None)
        if overrides:
            cfg = cfg.override(overrides)
        if val_split is not None:
            cfg.data.val_split = val_split
        if seed is not None:
            cfg.seed = int(seed)
        if epochs is not None and steps is not None:
            raise ConfigError("give --epochs or --steps, not both")
        if steps is not None:
            cfg.train.steps = int(steps)
        if epochs is not None:
            n_train = len(data) * (1 - cfg.data.val_fraction)
            if cfg.data.max_train:
                n_train = min(n_train, cfg.data.max_train)
            cfg.train.steps = max(1, int(np.ceil(epochs * n_train / cfg.train.batch_size)))
        cfg.validate()
        res = train_diffusion(data, out_dir, cfg, device=device, resume=resume, force=force, progress=progress)
        return {"out": str(res.out_dir), "steps": res.steps, "first_loss": res.first_loss, "last_loss": res.last_loss,
                "seconds": round(res.seconds, 1), "best": res.best, "final": res.history[-1] if res.history else None,
                "fixed_batch_loss": res.fixed_batch_loss}


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
    directory in the ``DEVAL_DIFFUSION_CHECKPOINT`` environment variable. See
    :meth:`DiffusionGenerator.generate_diffusion_samples` for the arguments.
    """
    global _DEFAULT
    if _DEFAULT is None:
        env = os.environ.get("DEVAL_DIFFUSION_CHECKPOINT")
        if not env:
            raise CheckpointError("no diffusion checkpoint: call set_default_checkpoint(DIR) or set "
                                  f"DEVAL_DIFFUSION_CHECKPOINT; {TRAIN_HINT}")
        _DEFAULT = DiffusionGenerator.load(env)
    return _DEFAULT.generate_diffusion_samples(n, seq_len, cond=cond, device=device, steps=steps, seed=seed)
