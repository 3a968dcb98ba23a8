"""Built-in presets of the learned generators, as data (installed as ``deval.configs``).

``configs/<generator>/<preset>.yaml`` holds what a preset changes from the
generator's configuration defaults (the dataclasses of its ``config.py``);
``deval train-generator <generator> --preset <preset>`` reads it through
:meth:`~deval.generators.learned.sectioned_config.SectionedConfig.from_preset`.
The other YAML files here are complete example configurations for ``--config``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["preset_file", "preset_names"]

#: presets listed smallest first; others follow by name
SIZE_ORDER = ("smoke", "small", "medium", "large")


def _folder(generator: str) -> Path:
    return Path(str(resources.files(__name__))) / generator


def preset_names(generator: str) -> tuple[str, ...]:
    """Names of the preset files of ``generator``, smallest first (empty when it has none)."""
    folder = _folder(generator)
    names = [p.stem for p in folder.glob("*.yaml")] if folder.is_dir() else []
    rank = {n: i for i, n in enumerate(SIZE_ORDER)}
    return tuple(sorted(names, key=lambda n: (rank.get(n, len(SIZE_ORDER)), n)))


def preset_file(generator: str, name: str) -> Path | None:
    """The preset file ``configs/<generator>/<name>.yaml``, or None."""
    path = _folder(generator) / f"{name}.yaml"
    return path if path.is_file() else None
