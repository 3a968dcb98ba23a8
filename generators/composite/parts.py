"""The parts of a composite bot, and their registry.

A bot author combines a path, a speed profile, a clock and some noise. Each
of those four families holds interchangeable **parts**; a part is a small
class registered under its family and a kebab-case name:

``path``
    :meth:`PathPart.polyline` draws each movement's route in the canonical
    frame (start (0, 0), target (distance, 0)) as a dense polyline.
``speed``
    :meth:`SpeedPart.draw` draws per-movement settings; :meth:`SpeedPart.progress`
    maps the time phase ``tau`` in [0, 1] to the fraction of the route
    covered (values past 1 overshoot along the end tangent).
``noise``
    :meth:`NoisePart.draw` draws per-movement settings;
    :meth:`NoisePart.primary_phase` says when the primary movement plays (a
    correction or a pause takes the rest of the time); :meth:`NoisePart.apply`
    changes the progress (overshoot, corrections) and adds offsets in pixels
    (jitter, tremor, drift) that vanish at both ends.
``timing``
    :meth:`TimingPart.logger` draws the :class:`~deval.loggers.Logger`
    that records the motion (clock, stamps, pixels).

Each family is a :class:`deval.registry.Registry` (:data:`PARTS`). Plugins add
parts with :func:`register_part`, or through the entry-point groups
``deval.composite.paths``, ``deval.composite.speeds``, ``deval.composite.noises``
and ``deval.composite.timings`` (each entry point names a part class; a broken
one is skipped with a warning).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from deval.errors import ConfigError
from deval.registry import Registry
from deval.loggers import Logger

__all__ = ["Part", "PathPart", "SpeedPart", "NoisePart", "TimingPart", "FAMILIES", "PARTS", "register_part", "part",
           "part_names", "MotionPoints"]

FAMILIES = ("path", "speed", "timing", "noise")


class Part(abc.ABC):
    """Base class of every part: ``family``, ``name`` and a one-line ``description``."""

    family: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str] = ""


class PathPart(Part):
    family = "path"
    #: points of the polyline
    points: ClassVar[int] = 64

    @abc.abstractmethod
    def polyline(self, dist: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Routes, float64 (N, K, 2) pixels in the canonical frame, from (0, 0) to (dist, 0)."""


class SpeedPart(Part):
    family = "speed"

    def draw(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per-movement settings, arrays of length ``n`` (default: none)."""
        return {}

    @abc.abstractmethod
    def progress(self, tau: np.ndarray, seg: np.ndarray, settings: dict[str, np.ndarray]) -> np.ndarray:
        """Route fraction covered at phases ``tau`` (P,) of movements ``seg`` (P,); 0 at 0 and 1 at 1."""


@dataclass(frozen=True)
class MotionPoints:
    """Where the noise acts: P query points of N movements.

    ``tau`` phase in [0, 1], ``t`` seconds from the start, ``seg`` movement
    index, ``dist`` (N,) pixels to the target, ``duration`` (N,) seconds.
    """

    tau: np.ndarray
    t: np.ndarray
    seg: np.ndarray
    dist: np.ndarray
    duration: np.ndarray


class NoisePart(Part):
    family = "noise"

    def draw(self, dist: np.ndarray, duration: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per-movement settings (default: none)."""
        return {}

    def primary_phase(self, tau: np.ndarray, seg: np.ndarray, settings: dict[str, np.ndarray]) -> np.ndarray:
        """The phase the speed part plays at (default ``tau``): a correction or a pause shortens the primary movement."""
        return tau

    @abc.abstractmethod
    def apply(self, at: MotionPoints, u: np.ndarray, settings: dict[str, np.ndarray], rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(u, dx, dy)`` from the primary movement's progress ``u``: the progress after this noise, and
        offsets (pixels, canonical frame) that are 0 at both ends."""


class TimingPart(Part):
    family = "timing"

    @abc.abstractmethod
    def logger(self, rng: np.random.Generator) -> Logger:
        """A logger drawn from this part's range (one per batch of movements)."""


_BASES: dict[str, type] = {"path": PathPart, "speed": SpeedPart, "noise": NoisePart, "timing": TimingPart}


def _checker(family: str):
    def check(name: str, cls: object) -> type[Part]:
        base = _BASES[family]
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise ConfigError(f"{family} part {name!r}: {cls!r} is not a {base.__name__} subclass")
        if getattr(cls, "name", None) != name:
            raise ConfigError(f"{family} part {name!r}: its name attribute is {getattr(cls, 'name', None)!r}")
        return cls
    return check


#: One registry per family (entry-point groups ``deval.composite.<family>s``).
PARTS: dict[str, Registry[type[Part]]] = {
    f: Registry(f"{f} part", group=f"deval.composite.{f}s", check=_checker(f)) for f in FAMILIES}


def register_part(cls: type[Part], *, replace: bool = False) -> type[Part]:
    """Add a part class to its family's registry under its ``name`` (usable as a decorator).

    Raises
    ------
    ConfigError
        Not a part subclass of a known family, a name that is not kebab-case,
        or a name already taken (unless ``replace``).
    """
    family = getattr(cls, "family", None) if isinstance(cls, type) and issubclass(cls, Part) else None
    if family not in PARTS:
        raise ConfigError(f"register_part: {cls!r} is not a PathPart, SpeedPart, NoisePart or TimingPart subclass")
    return PARTS[family].register(getattr(cls, "name", None), cls, replace=replace)


def part_names(family: str) -> tuple[str, ...]:
    """Registered part names of a family, sorted."""
    if family not in PARTS:
        raise ConfigError(f"unknown part family {family!r}; families: {', '.join(FAMILIES)}")
    return tuple(PARTS[family].available())


def part(family: str, name: str) -> Part:
    """An instance of the part ``name`` of ``family``."""
    names = part_names(family)
    if name not in names:
        raise ConfigError(f"unknown {family} part {name!r}; known: {', '.join(names)}")
    return PARTS[family].get(name)()
