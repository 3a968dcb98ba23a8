"""From goal conditions to movements: stage-1 keypoints, interpolation, stage-2 jump, clamp, decode.

For each batch of movements (sorted by length, padded only to the batch's
longest one):

1. stage 1 samples K keypoints from Gaussian noise (:func:`.keypoint_model.sample_keypoints`);
   what is known by construction (the start, the target's position) is set exactly;
2. stage 2 interpolates them and jumps to the clean positions in one call
   (:func:`.fill_in_model.fill_in`; ``fill_steps > 1`` walks down the levels,
   the causal variant fills chunk by chunk, :func:`.causal_fill_in.causal_fill_in`);
3. the clamp policy resets endpoints or all anchors (:mod:`.clamp`);
4. positions are decoded to pixels (:meth:`.positions.KeyframeRepresentation.to_trajectories`).

Batching by length, seeds (batch ``k`` draws from ``torch.Generator().manual_seed(seed + k)``),
point counts and decoding are the shared ones of
:mod:`deval.generators.learned.batched_sampling`.
:func:`record_denoising` runs the same procedure for one movement and keeps
every intermediate state (for :mod:`.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from deval.errors import ConfigError
from deval.generators.learned.batched_sampling import generate_by_length, movements_for, steps_for
from deval.trajectories import Endpoints, Trajectories

from .anchor_masks import keypoint_mask
from .causal_fill_in import causal_fill_in
from .clamp import apply_clamp, check_clamp
from .fill_in_model import FillInStep, fill_in, scatter_keypoints
from .keypoint_model import KeypointStep, sample_keypoints
from .model import KeyframeDiffusionModel
from .positions import XY, KeyframeRepresentation


@dataclass
class SamplingSettings:
    """How to sample (defaults of a checkpoint live in its config's ``sample`` section).

    Attributes
    ----------
    sampler : str
        Stage-1 sampler (``ddim``, ``ddpm``, ``dpm-solver``).
    steps : int
        Stage-1 sampler steps.
    cfg_scale : float
        Stage-1 classifier-free guidance (1: none).
    eta : float
        DDIM noise.
    fill_steps : int
        Stage-2 network calls (1: the one-step jump); a causal stage 2 makes one call per chunk instead.
    clamp : {"endpoints", "all-anchors", "none"}
    clamp_channels : {"position", "all"}
    batch_size : int
        Movements per network call.
    """

    sampler: str = "ddim"
    steps: int = 20
    cfg_scale: float = 1.0
    eta: float = 0.0
    fill_steps: int = 1
    clamp: str = "endpoints"
    clamp_channels: str = "position"
    batch_size: int = 1000

    def __post_init__(self):
        check_clamp(self.clamp, self.clamp_channels)
        if self.steps < 1 or self.fill_steps < 1 or self.batch_size < 1:
            raise ConfigError("steps, fill_steps and batch_size must be >= 1")


@dataclass
class DenoisingFrame:
    """One intermediate state of one movement, in the canonical frame (start (0, 0), target (1, 0)).

    Attributes
    ----------
    stage : {"keypoints", "fill-in", "final"}
    index, total : int
        Step within the stage.
    label : str
        Short description (e.g. ``"stage 1, DDIM step 3/20 (t=849)"``).
    keypoints : ndarray, (K, 3) or None
        Stage 1: the clean-keypoint estimate ``x, y, t``.
    noisy_keypoints : ndarray, (K, 3) or None
        Stage 1: the current noisy keypoints.
    scaffold : ndarray, (n, 3) or None
        Stage 2: the interpolated input ``x_s``.
    points : ndarray, (n, 3) or None
        Stage 2 / final: the movement.
    anchors : ndarray, (n,) bool or None
    """

    stage: str
    index: int
    total: int
    label: str
    keypoints: np.ndarray | None = None
    noisy_keypoints: np.ndarray | None = None
    scaffold: np.ndarray | None = None
    points: np.ndarray | None = None
    anchors: np.ndarray | None = None


@dataclass
class _Events:
    keypoints: Callable[[KeypointStep], None] | None = None
    fill: Callable[[FillInStep], None] | None = None
    extra: dict = field(default_factory=dict)


def generate_positions(model: KeyframeDiffusionModel, rep: KeyframeRepresentation, goal: torch.Tensor,
                       n_model: torch.Tensor, length: int, settings: SamplingSettings,
                       generator: torch.Generator | None = None, events: _Events | None = None) -> torch.Tensor:
    """Normalised positions (B, length, C) of one batch: goals (B, G), model point counts (B,)."""
    ev = events or _Events()
    k = model.keypoints
    kp = sample_keypoints(model.keypoint_model, goal, k, sampler=settings.sampler, steps=settings.steps,
                          cfg_scale=settings.cfg_scale, eta=settings.eta, generator=generator, on_step=ev.keypoints)
    kp = rep.known_keypoints(kp)
    if model.causal_chunk:
        x = causal_fill_in(model.fill_model, kp, n_model, length, goal, model.causal_chunk, on_step=ev.fill)
    else:
        x = fill_in(model.fill_model, kp, n_model, length, goal, steps=settings.fill_steps, generator=generator,
                    on_step=ev.fill)
    anchors = keypoint_mask(n_model.to(kp.device), k, length)
    anchor_values = scatter_keypoints(torch.zeros_like(x), kp, n_model)
    x = apply_clamp(x, anchor_values, anchors, n_model, settings.clamp, settings.clamp_channels, XY)
    ev.extra["keypoints"] = kp
    return x


@torch.no_grad()
def sample_movements(model: KeyframeDiffusionModel, rep: KeyframeRepresentation, cond: Endpoints, *,
                     seed: int | None, settings: SamplingSettings, device: torch.device | str | None = None,
                     style: str = "keyframe-diffusion") -> tuple[Trajectories, np.ndarray]:
    """Movements in pixels for the conditions ``cond`` (see the module docstring).

    Point counts are ``cond.n_points`` when given, else drawn from training
    movements of similar distance; movements of more than ``max_len + 1``
    points are generated at ``max_len + 1`` and re-cut (the shared
    :func:`~deval.generators.learned.batched_sampling.movements_for`).

    Returns
    -------
    traj : Trajectories
        Movements ending exactly on ``cond.end``; metadata ``uncorrected_end_x``,
        ``uncorrected_end_y`` hold the end point before the exact correction (pixels).
    uncorrected_end : ndarray, (N, 2)
    """
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()

    def draw(mask: torch.Tensor, goal: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        n_model = mask.sum(1)
        return generate_positions(model, rep, rep.with_length(goal, n_model), n_model, mask.shape[1], settings, g)

    def generate(n_steps: np.ndarray, goal: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        return generate_by_length(np.asarray(n_steps) + 1, goal, max_len=rep.max_points, channels=model.channels,
                                  batch_size=settings.batch_size, seed=seed, device=dev, draw=draw)

    return movements_for(rep, cond, seed=seed, generate=generate, style=style)


@torch.no_grad()
def record_denoising(model: KeyframeDiffusionModel, rep: KeyframeRepresentation, cond: Endpoints, *, seed: int,
                     settings: SamplingSettings, device: torch.device | str | None = None
                     ) -> tuple[list[DenoisingFrame], Trajectories]:
    """Every intermediate state of the first movement of ``cond``, and that movement in pixels.

    Uses the same seeds as :func:`sample_movements` on ``cond[:1]``, so the last
    frame is the movement that call returns.
    """
    one = cond.take(np.arange(1))
    rep.check_condition(one)
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    n_points, _ = steps_for(rep, one, int(seed))
    n = int(np.clip(n_points[0], 2, rep.max_points))
    n_model = torch.tensor([n], device=dev)
    goal = rep.goal(torch.as_tensor(one.distance, dtype=torch.float32),
                    torch.as_tensor(one.angle, dtype=torch.float32))
    frames: list[DenoisingFrame] = []

    def canon(v: torch.Tensor) -> np.ndarray:
        return rep.denormalize(v[0].float().cpu()).numpy()

    def on_kp(s: KeypointStep) -> None:
        frames.append(DenoisingFrame(
            "keypoints", s.index, s.total,
            f"stage 1: {settings.sampler.upper()} step {s.index + 1}/{s.total} (t={s.timestep})",
            keypoints=canon(s.pred_x0), noisy_keypoints=canon(s.sample)))

    def on_fill(s: FillInStep) -> None:
        what = "chunk" if model.causal_chunk else "call"
        frames.append(DenoisingFrame(
            "fill-in", s.index, s.total, f"stage 2: fill-in {what} {s.index + 1}/{s.total} (level {s.level})",
            scaffold=canon(s.x_s)[:n], points=canon(s.pred_x0)[:n], anchors=s.anchors[0, :n].cpu().numpy()))

    model.eval()
    events = _Events(on_kp, on_fill)
    x = generate_positions(model, rep, rep.with_length(goal, n_model).to(dev), n_model, n, settings,
                           torch.Generator().manual_seed(int(seed)), events)
    anchors = keypoint_mask(n_model.cpu(), model.keypoints, n)[0].numpy()
    frames.append(DenoisingFrame("final", 0, 1, f"result (clamp: {settings.clamp})", points=canon(x)[:n],
                                 keypoints=canon(events.extra["keypoints"]), anchors=anchors))
    traj, _ = rep.decode(x.float().cpu(), torch.ones(1, n, dtype=torch.bool), one, n_points=n_points,
                         style="keyframe-diffusion")
    return frames, traj
