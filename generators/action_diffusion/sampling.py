"""Sampling action sequences from an ``action-diffusion`` model: gesture mode, lengths, chunks, decoding.

:func:`sample_action_values` draws model-unit sequences; :func:`sample_actions`
decodes them into :class:`~deval.trajectories.Trajectories` (pixels, seconds,
press). Chunking by length and per-chunk seeds are the shared ones of
:func:`deval.generators.learned.batched_sampling.generate_by_length`.

Gesture modes (``gesture``):

``unconditional``  the learned null condition: the model's own mix of gesture types
``mix``            a gesture type per sequence drawn from the training mix, then the conditional model
                   (the default of ``sample.gesture``)
a type name        every sequence conditioned on that type (``click``, ``horizontal``, ``vertical``,
                   ``diagonal``, ``none``)

Classifier-free guidance (``cfg_scale != 1``) applies to the conditional
modes only.
"""

from __future__ import annotations

import numpy as np
import torch

from deval.errors import ConfigError
from deval.generators.diffusion.model import DiffusionModel
from deval.generators.learned.batched_sampling import generate_by_length
from deval.metrics.gestures import GESTURE_TYPES
from deval.trajectories import Trajectories

from .config import GESTURE_MODES
from .representation import ActionEncoder

__all__ = ["GESTURE_MODES", "sample_action_values", "sample_actions"]



def sample_action_values(model: DiffusionModel, encoder: ActionEncoder, n: int, *, seed: int,
                         gesture: str = "unconditional", sampler: str = "dpm-solver", steps: int = 10,
                         cfg_scale: float = 1.0, eta: float = 0.0, batch_size: int = 1000,
                         device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences in model units: values (n, seq_len, C) float32 (CPU) and mask (n, seq_len).

    Lengths are drawn from the training lengths and labels per ``gesture``
    (see the module docstring), both with ``numpy.random.default_rng(seed)``;
    the sampler's noise of chunk ``k`` comes from a seed drawn from the same
    generator, plus ``k``.

    Raises
    ------
    ConfigError
        An unknown ``gesture`` mode, or a gesture type for a model trained without conditioning.
    """
    if gesture not in GESTURE_MODES:
        raise ConfigError(f"gesture must be one of {', '.join(GESTURE_MODES)}; got {gesture!r}")
    conditional = encoder.condition == "gesture"
    if gesture != "unconditional" and not conditional:
        raise ConfigError(f"gesture={gesture!r} needs a model trained with data.condition=gesture")
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    rng = np.random.default_rng(seed)
    lengths = encoder.draw_lengths(n, rng)
    if gesture == "mix":
        labels = encoder.draw_labels(n, rng)
    else:
        labels = np.full(n, GESTURE_TYPES.index(gesture) if gesture in GESTURE_TYPES else 0)
    goal = encoder.goal(torch.as_tensor(labels, dtype=torch.long))
    null = conditional and gesture == "unconditional"
    scale = 1.0 if gesture == "unconditional" else cfg_scale
    model.eval()

    def draw(mask: torch.Tensor, goal_chunk: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        drop = torch.ones(len(mask), dtype=torch.bool, device=mask.device) if null else None
        return model.sample(mask, goal_chunk, sampler=sampler, steps=steps, cfg_scale=scale, eta=eta, generator=g,
                            channels=encoder.n_channels, drop=drop)

    return generate_by_length(lengths, goal, max_len=encoder.seq_len, channels=encoder.n_channels, batch_size=batch_size,
                              seed=int(rng.integers(2**62)), device=dev, draw=draw,
                              multiple=model.denoiser.patch)


def sample_actions(model: DiffusionModel, encoder: ActionEncoder, n: int, *, seed: int, style: str = "action-diffusion",
                   **settings) -> Trajectories:
    """``n`` sequences in pixels and seconds with press (``settings``: see :func:`sample_action_values`).

    Metadata: ``style`` and ``gesture`` (the gesture type of each sampled
    sequence by :func:`deval.metrics.gestures.classify_gestures`).
    """
    values, mask = sample_action_values(model, encoder, n, seed=seed, **settings)
    unit = encoder.to_unit(values, mask)
    labels = np.asarray(GESTURE_TYPES, dtype=object)[encoder.gesture_labels(unit, mask.numpy())]
    return encoder.unit_to_trajectories(unit, mask).with_meta(style=style, gesture=labels)
