"""The generator registry: names to generator classes.

Built-in generators are registered by import path and imported only when
first asked for, so listing names never imports torch. Third-party packages
add generators through the entry-point group ``deval.generators``::

    # pyproject.toml of the plugin
    [project.entry-points."deval.generators"]
    zigzag = "my_package:ZigZagBot"

Entry points are discovered once, lazily, on the first query. A plugin that
fails to import or to register produces a :class:`RuntimeWarning`; the other
generators keep working.
"""

from __future__ import annotations

from typing import Iterable

from deval.errors import ConfigError
from deval.generators.base import Generator
from deval.registry import Registry as _Registry

__all__ = [
    "ENTRY_POINT_GROUP", "BUILTINS", "Registry", "register", "unregister", "get", "available", "describe",
    "default_registry",
]


#: Entry-point group through which third-party packages register generators.
ENTRY_POINT_GROUP = "deval.generators"

#: Built-in generators: name -> "module:Class", imported on first use.
BUILTINS: dict[str, str] = {
    "noise": "deval.generators.noise:NoiseBot",
    "spline": "deval.generators.spline:SplineBot",
    "composite": "deval.generators.composite:CompositeBot",
    "pid": "deval.generators.pid:PIDBot",
    "minimum-jerk": "deval.generators.minimum_jerk:MinimumJerkBot",
    "sigma-lognormal": "deval.generators.sigma_lognormal:SigmaLognormalBot",
    "replay": "deval.generators.replay:ReplayBot",
    "gestures": "deval.generators.gestures:GesturesBot",
    "diffusion": "deval.generators.diffusion.generator:DiffusionGenerator",
    "gan": "deval.generators.gan.generator:GANGenerator",
    "keyframe-diffusion": "deval.generators.keyframe.generator:KeyframeDiffusionGenerator",
    "action-diffusion": "deval.generators.action_diffusion.generator:ActionDiffusionGenerator",
}


def _check_class(name: str, cls: object) -> type[Generator]:
    if not isinstance(cls, type) or not issubclass(cls, Generator):
        raise ConfigError(f"generator {name!r}: {cls!r} is not a subclass of deval.generators.Generator")
    if getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise ConfigError(f"generator {name!r}: {cls.__name__} is abstract (missing {missing})")
    cls_name = getattr(cls, "name", None)
    if cls_name != name:
        raise ConfigError(
            f"generator {name!r}: {cls.__name__}.name is {cls_name!r}; it must equal the registered name"
        )
    desc = getattr(cls, "description", None)
    if not isinstance(desc, str) or not desc.strip() or "\n" in desc.strip():
        raise ConfigError(f"generator {name!r}: {cls.__name__}.description must be a one-line string")
    return cls


class Registry(_Registry[type[Generator]]):
    """The generator registry: :class:`deval.registry.Registry` with the generator checks.

    Parameters
    ----------
    builtins : dict, optional
        ``name -> "module:Class"`` entries imported on first use.
    discover_plugins : bool
        Look up the ``deval.generators`` entry-point group on the first query.
    """

    def __init__(self, builtins: dict[str, str] | None = None, discover_plugins: bool = True) -> None:
        super().__init__("generator", ENTRY_POINT_GROUP if discover_plugins else None, builtins, _check_class)
        if not discover_plugins:
            self.group = ENTRY_POINT_GROUP  # discover() with no argument still reads this group when asked

    def register(self, name: str, cls: type[Generator], *, replace: bool = False) -> type[Generator]:
        """Add ``cls`` under ``name``.

        Raises
        ------
        ConfigError
            ``name`` is not kebab-case or already taken, or ``cls`` is not a
            concrete :class:`Generator` subclass whose ``name`` equals ``name``.
        """
        return super().register(name, cls, replace=replace)

    def describe(self, names: Iterable[str] | None = None) -> str:
        """Text block describing the given (default: all) generators and their parameters."""
        names = self.available() if names is None else list(names)
        return "\n\n".join(self.get(n).describe() for n in names)


#: The registry behind the module-level functions.
default_registry = Registry(BUILTINS)


def register(name: str, cls: type[Generator]) -> type[Generator]:
    """Register ``cls`` under ``name`` in the default registry (see :meth:`Registry.register`)."""
    return default_registry.register(name, cls)


def unregister(name: str) -> None:
    """Remove ``name`` from the default registry."""
    default_registry.unregister(name)


def get(name: str) -> type[Generator]:
    """The generator class registered as ``name`` (ConfigError listing known names otherwise)."""
    return default_registry.get(name)


def available() -> list[str]:
    """Sorted names of every registered generator (built-ins and plugins)."""
    return default_registry.available()


def describe(names: Iterable[str] | None = None) -> str:
    """Text description of generators and their parameters."""
    return default_registry.describe(names)
