"""What research pipelines do to recordings after the logger: dt clipping, fixed-length resampling, truncation.

Each step is a frozen dataclass with ``apply(traj) -> Trajectories``,
``describe()`` and ``to_dict()``, registered in :data:`STEPS` by its
``kind`` (plugins: entry-point group ``deval.logger_steps``). A
:class:`~deval.loggers.logger.Logger` applies its steps, in order, to what
its clock, stamps and grid recorded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

import numpy as np

from deval.errors import ConfigError
from deval.registry import Registry
from deval.trajectories import Trajectories

__all__ = ["Step", "ClipIntervals", "Resample", "Truncate", "STEPS"]


class Step(ABC):
    """Base class of preprocessing steps."""

    kind: ClassVar[str] = ""

    @abstractmethod
    def apply(self, traj: Trajectories) -> Trajectories:
        """``traj`` after this step (metadata kept)."""

    @abstractmethod
    def describe(self) -> str:
        """The step in words."""

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}  # type: ignore[call-overload]

    @staticmethod
    def from_dict(d: dict) -> "Step":
        kind = d.get("kind")
        if not isinstance(kind, str) or kind not in STEPS:
            raise ConfigError(f"unknown preprocessing step {kind!r}; known: {', '.join(STEPS.available())}")
        klass = STEPS.get(kind)
        try:
            return klass(**{k: v for k, v in d.items() if k in {f.name for f in fields(klass)}})
        except TypeError as exc:
            raise ConfigError(f"invalid {kind} step settings ({exc})") from None


def _rebuild(traj: Trajectories, x, y, t, lengths) -> Trajectories:
    out = Trajectories.from_arrays(x, y, t, lengths=lengths)
    return Trajectories(out.x, out.y, out.t, out.offsets, None, traj.meta, traj.attrs)


@dataclass(frozen=True)
class ClipIntervals(Step):
    """Every interval clipped to ``[low, high]`` seconds, times rebuilt by summing them (from each start)."""

    kind: ClassVar[str] = "clip-dt"
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and 0.0 <= self.low < self.high):
            raise ConfigError(f"clip-dt needs 0 <= low < high, got [{self.low}, {self.high}]")
        if self.low == 0.0:
            raise ConfigError("clip-dt low must be > 0 (times must increase)")

    def apply(self, traj: Trajectories) -> Trajectories:
        if len(traj) == 0:
            return traj
        dt = np.diff(traj.t, prepend=0.0)
        dt = np.clip(dt, self.low, self.high)
        dt[traj.first_index] = 0.0
        t = np.cumsum(dt)
        t = t - np.repeat(t[traj.first_index], traj.lengths) + np.repeat(traj.t[traj.first_index], traj.lengths)
        return _rebuild(traj, traj.x, traj.y, t, traj.lengths)

    def describe(self) -> str:
        return f"dt clipped to {self.low * 1e3:g}-{self.high * 1e3:g} ms"


@dataclass(frozen=True)
class Resample(Step):
    """Every movement resampled to ``n_points`` points evenly spaced in time (linear interpolation)."""

    kind: ClassVar[str] = "resample"
    n_points: int = 64

    def __post_init__(self) -> None:
        if not (isinstance(self.n_points, (int, np.integer)) and self.n_points >= 2):
            raise ConfigError(f"resample needs n_points >= 2, got {self.n_points!r}")

    def apply(self, traj: Trajectories) -> Trajectories:
        from deval.canonical import interpolate_at

        n, k = len(traj), int(self.n_points)
        if n == 0:
            return traj
        seg = np.repeat(np.arange(n), k)
        rel = np.tile(np.linspace(0.0, 1.0, k), n) * traj.durations[seg]
        x, y = interpolate_at(traj, seg, rel)
        return _rebuild(traj, x, y, rel + traj.t[traj.first_index][seg], np.full(n, k))

    def describe(self) -> str:
        return f"resampled to {self.n_points} points"


@dataclass(frozen=True)
class Truncate(Step):
    """Movements cut after their first ``max_points`` points."""

    kind: ClassVar[str] = "truncate"
    max_points: int = 200

    def __post_init__(self) -> None:
        if not (isinstance(self.max_points, (int, np.integer)) and self.max_points >= 2):
            raise ConfigError(f"truncate needs max_points >= 2, got {self.max_points!r}")

    def apply(self, traj: Trajectories) -> Trajectories:
        if len(traj) == 0 or int(traj.lengths.max()) <= self.max_points:
            return traj
        pos = np.arange(traj.n_points) - np.repeat(traj.offsets[:-1], traj.lengths)
        keep = pos < self.max_points
        return _rebuild(traj, traj.x[keep], traj.y[keep], traj.t[keep], np.minimum(traj.lengths, self.max_points))

    def describe(self) -> str:
        return f"truncated at {self.max_points} points"


def _check_step(name: str, obj: object) -> type[Step]:
    if not (isinstance(obj, type) and issubclass(obj, Step)) or getattr(obj, "__abstractmethods__", None):
        raise ConfigError(f"preprocessing step {name!r} must be a concrete Step subclass, got {obj!r}")
    if obj.kind != name:
        raise ConfigError(f"preprocessing step {name!r}: its kind attribute is {obj.kind!r}")
    return obj


#: Preprocessing steps by name (plugins: entry-point group ``deval.logger_steps``).
STEPS: Registry[type[Step]] = Registry("preprocessing step", group="deval.logger_steps", check=_check_step)
for _cls in (ClipIntervals, Resample, Truncate):
    STEPS.register(_cls.kind, _cls)
