"""``action-diffusion``: the registry generator backed by a trained press-aware action-sequence diffusion checkpoint.

    gen = ActionDiffusionGenerator.load("runs/actions")          # best/ of a run directory
    seqs = gen.sample(1000, seed=0)                               # Trajectories: pixels, seconds, press
    swipes = ActionDiffusionGenerator.load("runs/actions", gesture="horizontal", cfg_scale=2).sample(100, seed=0)

It makes fixed-length ``x, y, press`` sequences (clicks, swipes, drags) like
its training data, and places its own actions: endpoints are **ignored**
(like the ``gestures`` generator), so ``--like`` only sets how many
sequences are drawn. Train a checkpoint with
``deval train-generator action-diffusion --data DATASET_DIR --out DIR``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from deval.generators.diffusion.model import DiffusionModel
from deval.generators.learned.checkpoint_generator import CHECKPOINT_PARAM, DEVICE_PARAM, CheckpointGenerator
from deval.generators.learned.sampling_params import resolve_sampling, sampler_params
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import ACTION_CHECKPOINTS
from .config import ActionDiffusionConfig
from .model import build_action_model
from .representation import ActionEncoder
from .sampling import GESTURE_MODES, sample_actions

__all__ = ["ActionDiffusionGenerator"]


class ActionDiffusionGenerator(CheckpointGenerator):
    """Action sequences from a transformer diffusion model trained on ``x, y, press`` sequences (see the module docstring).

    Every sampled sequence has the checkpoint's ``seq_len`` points (or a
    training length, when the data's lengths varied) at ``t = i / rate_hz``
    seconds (strictly increasing), positions in pixels of the training screen
    (clipped to it), a boolean press (the denoised press channel ``> 0.5``)
    and metadata ``gesture`` (its gesture type, measured on the sequence).
    """

    name = "action-diffusion"
    kind = "actions"
    description = ("press-aware transformer diffusion over fixed-length x, y, press action sequences "
                   "(needs --checkpoint; see train-generator)")
    param_specs = (
        CHECKPOINT_PARAM,
        ParamSpec("gesture", "default", "gesture types: default (the checkpoint's sample.gesture), unconditional "
                  "(the model's own mix), mix (types "
                  "drawn from the training mix) or one type for every sequence", kind="choice",
                  choices=("default", *GESTURE_MODES)),
        *sampler_params(),
        DEVICE_PARAM,
        ParamSpec("batch_size", 1000, "sequences per network call", kind="int", low=1, high=1_000_000),
    )
    checkpoint_format = ACTION_CHECKPOINTS

    @classmethod
    def training_run_class(cls) -> type:
        from .trainer import ActionDiffusionTraining

        return ActionDiffusionTraining

    @staticmethod
    def build_network(config: ActionDiffusionConfig, encoder: ActionEncoder) -> DiffusionModel:
        return build_action_model(config, encoder)

    # ------------------------------------------------------------ sampling
    def draw_endpoints(self, n: int, rng: np.random.Generator) -> Endpoints:
        """Zero endpoints: the generator places its own actions and ignores endpoints."""
        z = np.zeros((n, 2))
        return Endpoints(z, z)

    def _settings(self) -> dict:
        cfg = self._require()[2]
        p = self.params
        return {"gesture": cfg.sample.gesture if p["gesture"] == "default" else p["gesture"],
                **resolve_sampling(p, cfg.sample), "batch_size": p["batch_size"], "device": self._device()}

    def _sample_movements(self, net: DiffusionModel, encoder: ActionEncoder, cond: Endpoints, seed: int | None
                          ) -> tuple[Trajectories, np.ndarray]:
        """``len(cond)`` sequences (endpoints ignored) and their last points (N, 2) in pixels."""
        seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
        traj = sample_actions(net, encoder, len(cond), seed=seed, style=self.name, **self._settings())
        return traj, traj.end

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        net, encoder, _ = self._require()
        with torch.inference_mode():
            return self._sample_movements(net, encoder, cond, int(rng.integers(2**62)))[0]

    # ------------------------------------------------------------ training
    @classmethod
    def build_config(cls, *, steps: int | None = None, epochs: float | None = None, **kwargs: Any
                     ) -> ActionDiffusionConfig:
        """As :meth:`CheckpointGenerator.build_config`; ``--steps`` / ``--epochs`` replace ``train.num_epochs``."""
        cfg = super().build_config(steps=steps, epochs=epochs, **kwargs)
        if steps is not None or epochs is not None:
            cfg.train.num_epochs = 0.0
        return cfg

    @classmethod
    def run_defaults(cls, *, preset_name: str | None = None, config_file: str | os.PathLike | None = None,
                     overrides: dict | None = None) -> dict:
        """``{"out": save_dir, "device": device}`` of the configuration (``None`` where unset), for the CLI defaults."""
        cfg = cls.build_config(preset_name=preset_name, config_file=config_file, overrides=overrides)
        return {"out": cfg.save_dir or None, "device": cfg.device or None}

    def fit(self, trajectories: Trajectories, *, out_dir: str | os.PathLike | None = None, config: Any = None,
            device: str | None = None, **kwargs: Any) -> "ActionDiffusionGenerator":
        """Train into ``out_dir`` (default: ``config.save_dir``) on ``device`` (default: ``config.device``, else cpu)."""
        config = config or ActionDiffusionConfig.from_preset(ActionDiffusionConfig.DEFAULT_PRESET)
        out_dir = out_dir or config.save_dir
        if not out_dir:
            from deval.errors import ConfigError

            raise ConfigError("action-diffusion: give out_dir (or save_dir in the configuration)")
        return super().fit(trajectories, out_dir=out_dir, config=config, device=device or config.device or "cpu",
                           **kwargs)
