"""``keyframe-diffusion``: the registry generator backed by a trained two-stage keyframe diffusion checkpoint.

    gen = KeyframeDiffusionGenerator.load("runs/kf", steps=20, clamp="endpoints")
    fakes = gen.sample(5000, cond=real.endpoints(), seed=0)      # Trajectories in pixels
    gen.save_denoising_frames("frames/", seed=0)                 # PNG per step + denoising.gif

Train a checkpoint with ``deval train-generator keyframe-diffusion --data REAL.npz --out DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from deval.generators.base import SeedLike
from deval.generators.learned.checkpoint_generator import CHECKPOINT_PARAM, DEVICE_PARAM, TIMING_PARAM, CheckpointGenerator
from deval.generators.learned.sampling_params import sampler_params
from deval.generators.parameters import ParamSpec
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import KEYFRAME_CHECKPOINTS
from .clamp import CLAMP_CHANNELS, CLAMP_POLICIES
from .model import KeyframeDiffusionModel, build_model
from .positions import KeyframeRepresentation
from .two_stage_sampling import SamplingSettings, record_denoising, sample_movements


#: parameter value meaning "the checkpoint's ``sample`` section decides"
CHECKPOINT_DEFAULT = "checkpoint"


class KeyframeDiffusionGenerator(CheckpointGenerator):
    """Movements from a two-stage keyframe diffusion model trained on real human movements.

    Stage 1 samples K keypoints per movement for its goal; stage 2 fills in
    the points between them in one network call (or chunk by chunk). Every
    movement ends exactly on its target with strictly increasing timestamps.
    """

    name = "keyframe-diffusion"
    description = ("two-stage keyframe diffusion: keypoint DDPM, then interpolation fill-in "
                   "(needs --checkpoint; see train-generator)")
    param_specs = (
        CHECKPOINT_PARAM,
        TIMING_PARAM,
        *sampler_params("stage-1 ", default_sampler="ddim"),
        ParamSpec("fill_steps", 0, "stage-2 network calls (0: the checkpoint's default, 1: one-step jump)",
                  kind="int", low=0, high=1000),
        ParamSpec("clamp", CHECKPOINT_DEFAULT, "clamp policy after stage 2 (checkpoint: its sample.clamp)",
                  kind="choice", choices=(CHECKPOINT_DEFAULT, *CLAMP_POLICIES)),
        ParamSpec("clamp_channels", CHECKPOINT_DEFAULT,
                  "channels the clamp resets: position (x, y) or all (x, y, t) (checkpoint: its sample.clamp_channels)",
                  kind="choice", choices=(CHECKPOINT_DEFAULT, *CLAMP_CHANNELS)),
        DEVICE_PARAM,
        ParamSpec("batch_size", 1000, "movements per network call", kind="int", low=1, high=1_000_000),
    )
    checkpoint_format = KEYFRAME_CHECKPOINTS

    @classmethod
    def training_run_class(cls) -> type:
        from .trainer import KeyframeTraining

        return KeyframeTraining

    @staticmethod
    def build_network(config, encoder: KeyframeRepresentation) -> KeyframeDiffusionModel:
        return build_model(config, encoder)

    def settings(self) -> SamplingSettings:
        """The sampling settings: this generator's parameters over the checkpoint's ``sample`` section."""
        from .trainer import sampling_settings

        cfg = self._require()[2]
        p = self.params
        return sampling_settings(cfg, sampler=p["sampler"], steps=p["steps"] or None,
                                 cfg_scale=None if p["cfg_scale"] < 0 else p["cfg_scale"], eta=p["eta"],
                                 fill_steps=p["fill_steps"] or None,
                                 clamp=None if p["clamp"] == CHECKPOINT_DEFAULT else p["clamp"],
                                 clamp_channels=None if p["clamp_channels"] == CHECKPOINT_DEFAULT else p["clamp_channels"],
                                 batch_size=p["batch_size"])

    def _sample_movements(self, net, encoder, cond: Endpoints, seed: int | None) -> tuple[Trajectories, np.ndarray]:
        return sample_movements(net, encoder, cond, seed=seed, settings=self.settings(), device=self._device(),
                                style=self.name)

    def save_denoising_frames(self, directory: str | os.PathLike, *, cond: Endpoints | None = None,
                              seed: SeedLike = None, force: bool = False, fps: float = 4.0) -> list[Path]:
        """Write the generation of one movement as PNG frames, ``denoising.gif`` and (with ffmpeg) ``denoising.mp4``.

        Parameters
        ----------
        directory : path
            Output directory (created; existing files are kept unless ``force``).
        cond : Endpoints, optional
            The movement's endpoints (the first one is used); drawn from the
            training movements when None.
        seed : int or Generator, optional
        force : bool
        fps : float
            Frames per second of the animations.

        Returns
        -------
        list of Path
            The files written.
        """
        from .frames import write_denoising_frames

        net, rep, _ = self._require()
        rng = np.random.default_rng(seed)
        if cond is None:
            cond = self.draw_endpoints(1, rng)
        with torch.inference_mode():
            frames, _ = record_denoising(net, rep, cond, seed=int(rng.integers(2**63 - 1)), settings=self.settings(),
                                         device=self._device())
        return write_denoising_frames(frames, directory, force=force, fps=fps)
