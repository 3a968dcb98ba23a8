"""One registry type for every pluggable thing: generators, detector heads, samplers, composite parts, metrics.

A :class:`Registry` maps kebab-case names to objects (usually classes):

* **validated registration**: :meth:`Registry.register` checks the name and
  runs the registry's ``check`` on the object (a generator must be a concrete
  ``Generator`` subclass whose ``name`` matches, a head a detector class...),
  and refuses a name already taken;
* **lazy built-ins**: ``builtins`` maps names to ``"module:attribute"``
  strings imported on first use, so listing names imports nothing heavy;
* **plugins**: the entry points of ``group`` are discovered once, on the first
  query; a plugin that fails to import or to register produces a
  :class:`RuntimeWarning` and the rest keep working (as xarray's backends do).

::

    HEADS = Registry("detector head", group="deval.detectors", builtins={"hgb": "pkg.heads:HGB"},
                     check=lambda name, obj: obj)
    HEADS.register("mine", MyHead)
    HEADS.get("hgb")          # imported now
    HEADS.available()         # ['hgb', 'mine', ...plugins]
"""

from __future__ import annotations

import importlib
import logging
import re
import warnings
from importlib import metadata
from typing import Callable, Generic, Iterable, Iterator, TypeVar

from deval.errors import ConfigError

__all__ = ["Registry", "check_name"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def check_name(name: object, kind: str = "entry") -> str:
    """``name`` if it is kebab-case (lowercase letters and digits separated by single hyphens), else ConfigError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{kind} name {name!r} is not kebab-case (lowercase letters and digits separated by single "
            "hyphens, starting with a letter, e.g. 'minimum-jerk')"
        )
    return name


class Registry(Generic[T]):
    """Names to objects, with validated registration, lazy built-ins and entry-point plugins.

    Parameters
    ----------
    kind : str
        What the entries are, for messages ("generator", "detector head"...).
    group : str, optional
        Entry-point group of plugins (none: no discovery).
    builtins : dict, optional
        ``name -> "module:attribute"`` imported on first use.
    check : callable, optional
        ``check(name, obj) -> obj``: validates an entry (raise ConfigError), run
        on registration and when a built-in is first imported.
    """

    def __init__(self, kind: str, group: str | None = None, builtins: dict[str, str] | None = None,
                 check: Callable[[str, object], T] | None = None) -> None:
        self.kind = kind
        self.group = group
        self._check = check or (lambda name, obj: obj)
        self._entries: dict[str, T] = {}
        self._lazy: dict[str, str] = dict(builtins or {})
        self._discovered = group is None

    # ------------------------------------------------------------- register
    def register(self, name: str, obj: T, *, replace: bool = False) -> T:
        """Add ``obj`` under ``name`` (ConfigError: a bad name, a taken name unless ``replace``, a failed check)."""
        check_name(name, self.kind)
        if not replace and (name in self._entries or name in self._lazy):
            raise ConfigError(f"{self.kind} {name!r} is already registered")
        self._lazy.pop(name, None)
        self._entries[name] = self._check(name, obj)
        return obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` (ConfigError if it is unknown)."""
        if name in self._entries:
            del self._entries[name]
        elif name in self._lazy:
            del self._lazy[name]
        else:
            raise ConfigError(f"{self.kind} {name!r} is not registered")

    # ------------------------------------------------------------ discovery
    def discover(self, entry_points: Iterable[metadata.EntryPoint] | None = None) -> list[str]:
        """Register the entry points of ``group`` (or those given); a broken one only warns. Returns the names added."""
        self._discovered = True
        if entry_points is None:
            if self.group is None:
                return []
            entry_points = metadata.entry_points(group=self.group)
        added = []
        for ep in entry_points:
            try:
                self.register(ep.name, ep.load())
            except Exception as exc:  # noqa: BLE001 - a plugin must never break deval
                warnings.warn(f"deval: skipping {self.kind} plugin {ep.name!r} ({ep.value}): "
                              f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=2)
                continue
            log.debug("registered %s plugin %s from %s", self.kind, ep.name, ep.value)
            added.append(ep.name)
        return added

    def _ensure_discovered(self) -> None:
        if not self._discovered:
            self.discover()

    # ---------------------------------------------------------------- query
    def available(self) -> list[str]:
        """Sorted names of every entry (built-ins and plugins)."""
        self._ensure_discovered()
        return sorted({*self._entries, *self._lazy})

    def get(self, name: str) -> T:
        """The entry registered under ``name`` (ConfigError listing the known names otherwise)."""
        self._ensure_discovered()
        if name in self._entries:
            return self._entries[name]
        if name in self._lazy:
            target = self._lazy[name]
            module, attr = target.split(":")
            try:
                obj = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"{self.kind} {name!r} cannot be imported from {target}: {exc}") from exc
            self._entries[name] = self._check(name, obj)
            del self._lazy[name]
            return self._entries[name]
        raise ConfigError(f"unknown {self.kind} {name!r}; known: {', '.join(self.available())}")

    def __contains__(self, name: object) -> bool:
        self._ensure_discovered()
        return name in self._entries or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.available())

    def __len__(self) -> int:
        return len(self.available())
