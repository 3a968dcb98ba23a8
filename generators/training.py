"""``train_generator``: the library call behind ``deval train-generator``."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from deval.errors import ConfigError
from deval.trajectories import Trajectories


def trainable_generators() -> list[str]:
    """Names of the registered generators that :func:`train_generator` can train (a broken plugin is skipped)."""
    from deval.generators import registry

    names = []
    for name in registry.available():
        try:
            cls = registry.get(name)
        except Exception:  # noqa: BLE001 - a broken plugin must not break the list
            continue
        if _is_trainable(cls):
            names.append(name)
    return names


def _is_trainable(cls: type) -> bool:
    from deval.generators.base import TrainableGenerator

    return issubclass(cls, TrainableGenerator) and hasattr(cls, "train_run")


def check_trainable(generator: str, preset: str | None = None) -> type:
    """The class of ``generator`` if it can be trained with ``preset``; else a :class:`ConfigError` naming the options."""
    from deval.generators import registry

    cls = registry.get(generator)
    if not _is_trainable(cls):
        raise ConfigError(f"generator {generator!r} cannot be trained here; "
                          f"trainable: {', '.join(trainable_generators()) or 'none'}")
    presets = getattr(cls, "presets", ())
    if preset is not None and presets and preset not in presets:
        raise ConfigError(f"--preset {preset!r}: {generator} has presets {', '.join(presets)}")
    return cls


def run_defaults(generator: str, *, preset: str | None = None, config_file: str | None = None,
                 overrides: Mapping[str, Any] | None = None) -> dict:
    """Run settings a generator's configuration may carry (action-diffusion's ``out`` and ``device``), else ``{}``."""
    fn = getattr(check_trainable(generator, preset), "run_defaults", None)
    return fn(preset_name=preset, config_file=config_file, overrides=dict(overrides or {})) if fn else {}


def train_generator(generator: str, data: Trajectories, out: str | os.PathLike, *, preset: str | None = None,
                    config_file: str | None = None, overrides: Mapping[str, Any] | None = None,
                    epochs: float | None = None, steps: int | None = None, device: str = "cpu",
                    resume: bool = False, val_split: str | None = None, seed: int | None = None,
                    force: bool = False, progress: bool = False, callbacks: Sequence = ()) -> dict:
    """Train the registered learned generator ``generator`` on ``data`` into the run directory ``out``.

    The configuration is the generator's defaults, then ``preset`` (a YAML file under
    ``configs/<generator>/``), then ``config_file``, then ``overrides`` (``{"train.lr": 3e-4}``), then
    ``epochs``/``steps``/``val_split``/``seed``. ``resume`` continues from the last checkpoint in ``out``.
    ``callbacks`` are :class:`~deval.generators.learned.callbacks.TrainingCallback` objects (e.g. W&B).
    Returns the JSON-ready summary of the run (final checkpoint, steps, losses, validation).
    """
    cls = check_trainable(generator, preset)  # its build_config refuses epochs and steps together
    return cls.train_run(data, out, preset_name=preset, config_file=config_file, overrides=dict(overrides or {}),
                         epochs=epochs, steps=steps, device=device, resume=resume, val_split=val_split, seed=seed,
                         force=force, progress=progress, callbacks=callbacks)
