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

import importlib
import logging
import re
import warnings
from importlib import metadata
from typing import Iterable

from deval.errors import ConfigError
from deval.generators.base import Generator

__all__ = [
    "ENTRY_POINT_GROUP", "BUILTINS", "Registry", "register", "unregister", "get", "available", "describe",
    "default_registry",
]

log = logging.getLogger(__name__)

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

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"generator name {name!r} is not kebab-case (lowercase letters and digits separated by single "
            "hyphens, starting with a letter, e.g. 'minimum-jerk')"
        )
    return name


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


class Registry:
    """A mapping of generator names to classes, with lazy built-ins and plugins.

    Parameters
    ----------
    builtins : dict, optional
        ``name -> "module:Class"`` entries imported on first use.
    discover_plugins : bool
        Look up the ``deval.generators`` entry-point group on the first query.
    """

    def __init__(self, builtins: dict[str, str] | None = None, discover_plugins: bool = True) -> None:
        self._classes: dict[str, type[Generator]] = {}
        self._lazy: dict[str, str] = dict(builtins or {})
        self._discovered = not discover_plugins

    # ------------------------------------------------------------- register
    def register(self, name: str, cls: type[Generator]) -> type[Generator]:
        """Add ``cls`` under ``name``.

        Raises
        ------
        ConfigError
            ``name`` is not kebab-case or already taken, or ``cls`` is not a
            concrete :class:`Generator` subclass whose ``name`` equals ``name``.
        """
        _check_name(name)
        if name in self._classes or name in self._lazy:
            raise ConfigError(f"generator {name!r} is already registered")
        self._classes[name] = _check_class(name, cls)
        return cls

    def unregister(self, name: str) -> None:
        """Remove ``name`` (ConfigError if it is unknown)."""
        if name in self._classes:
            del self._classes[name]
        elif name in self._lazy:
            del self._lazy[name]
        else:
            raise ConfigError(f"generator {name!r} is not registered")

    # ------------------------------------------------------------ discovery
    def discover(self, entry_points: Iterable[metadata.EntryPoint] | None = None) -> list[str]:
        """Register generators from entry points; broken ones only warn.

        Parameters
        ----------
        entry_points : iterable of importlib.metadata.EntryPoint, optional
            Defaults to the installed entry points of group ``deval.generators``.

        Returns
        -------
        list of str
            Names registered by this call.
        """
        self._discovered = True
        if entry_points is None:
            entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        added = []
        for ep in entry_points:
            try:
                cls = ep.load()
                self.register(ep.name, cls)
            except Exception as exc:  # noqa: BLE001 - a plugin must never break deval
                warnings.warn(
                    f"deval: skipping generator plugin {ep.name!r} ({ep.value}): {type(exc).__name__}: {exc}",
                    RuntimeWarning, stacklevel=2,
                )
                continue
            log.debug("registered generator plugin %s from %s", ep.name, ep.value)
            added.append(ep.name)
        return added

    def _ensure_discovered(self) -> None:
        if not self._discovered:
            self.discover()

    # ---------------------------------------------------------------- query
    def available(self) -> list[str]:
        """Sorted names of every registered generator."""
        self._ensure_discovered()
        return sorted({*self._classes, *self._lazy})

    def get(self, name: str) -> type[Generator]:
        """The class registered under ``name``.

        Raises
        ------
        ConfigError
            Unknown name (the message lists the known ones), or a built-in that
            fails to import.
        """
        self._ensure_discovered()
        if name in self._classes:
            return self._classes[name]
        if name in self._lazy:
            target = self._lazy[name]
            module, attr = target.split(":")
            try:
                cls = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"generator {name!r} cannot be imported from {target}: {exc}") from exc
            self._classes[name] = _check_class(name, cls)
            del self._lazy[name]
            return cls
        raise ConfigError(f"unknown generator {name!r}; known generators: {', '.join(self.available())}")

    def __contains__(self, name: object) -> bool:
        self._ensure_discovered()
        return name in self._classes or name in self._lazy

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
