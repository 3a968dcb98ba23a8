"""What a logger writes down: time stamps on a grid, positions on a grid.

* :class:`StampGrid`: time stamps rounded down to ``resolution`` seconds
  (0.001: whole milliseconds; 1/64 s: the Windows timer; 0: exact). Samples
  that share a stamp with the sample before are dropped (the first of each
  stamp is kept), as loggers and loaders do.
* :class:`PositionGrid`: positions rounded to multiples of ``step`` pixels
  (1: whole pixels; 0.5: CSS pixels of a 2x HiDPI screen; 0: sub-pixel), then
  optionally stored as float32 (the round-off of pipelines that scale and
  unscale positions in single precision).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from deval.errors import ConfigError

__all__ = ["StampGrid", "PositionGrid"]


@dataclass(frozen=True)
class StampGrid:
    """Time stamps rounded down to multiples of ``resolution`` seconds (0: exact)."""

    resolution: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.resolution) and 0.0 <= self.resolution <= 0.5):
            raise ConfigError(f"stamp grid resolution must be in [0, 0.5] s, got {self.resolution}")

    def apply(self, t: np.ndarray) -> np.ndarray:
        """Stamps of times ``t`` [s]."""
        if not self.resolution:
            return t
        return np.floor(t / self.resolution + 1e-9) * self.resolution

    def describe(self) -> str:
        r = self.resolution
        if not r:
            return "exact time stamps"
        if abs(r - 1 / 64) < 1e-9:
            return "15.6 ms timer stamps"
        return f"{r * 1e3:g} ms stamps" if r >= 1e-4 else f"{r * 1e6:g} us stamps"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PositionGrid:
    """Positions rounded to multiples of ``step`` pixels (0: sub-pixel), stored as float32 when ``float32``."""

    step: float = 1.0
    float32: bool = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.step) and 0.0 <= self.step <= 50.0):
            raise ConfigError(f"position grid step must be in [0, 50] px, got {self.step}")

    def apply(self, v: np.ndarray) -> np.ndarray:
        """Recorded values of positions ``v`` [px]."""
        if self.step:
            v = np.round(v / self.step) * self.step
        if self.float32:  # min-max scaled, stored in single precision and unscaled, as research pipelines do
            scale = 1.0 / 1919.7
            v = (v * scale).astype(np.float32).astype(np.float64) / scale
        return v

    def describe(self) -> str:
        if not self.step:
            words = "sub-pixel positions"
        elif self.step == 1.0:
            words = "whole px"
        elif self.step < 1.0 and abs(1.0 / self.step - round(1.0 / self.step)) < 1e-6:
            words = f"1/{round(1.0 / self.step)} px (HiDPI {round(1.0 / self.step)}x)"
        else:
            words = f"{self.step:g} px grid"
        return words + (", float32 round-off" if self.float32 else "")

    def to_dict(self) -> dict:
        return asdict(self)
