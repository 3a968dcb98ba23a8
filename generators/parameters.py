"""Parameter specifications of generators: declared once, validated at construction.

Every generator declares its parameters as a tuple of :class:`ParamSpec`. A
generator is built with keyword arguments (``SplineBot(curvature=0.2)``) or from
the command line (``--param spline.curvature=0.2``); :func:`validate_params`
checks every value against its spec and raises :class:`~deval.errors.ConfigError`
naming the generator and the parameter on the first problem.

Most scripted-bot parameters are *ranges*: a movement-level value is drawn
uniformly from ``(low, high)`` for each movement, so that one style is a family
of movements rather than one curve. A range parameter accepts either a pair
``[low, high]`` or a single number (which fixes the value for every movement).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal, Mapping

import numpy as np

from deval.errors import ConfigError

__all__ = ["ParamSpec", "ParamKind", "validate_params", "draw_uniform", "draw_log_uniform", "draw_integers"]

ParamKind = Literal["float", "int", "bool", "choice", "float-range", "int-range", "path", "names"]
_KINDS = ("float", "int", "bool", "choice", "float-range", "int-range", "path", "names")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a generator.

    Parameters
    ----------
    name : str
        Keyword name (snake_case).
    default : Any
        Value used when the parameter is not given (already valid).
    help : str
        One line: what the parameter does and its unit.
    kind : {"float", "int", "bool", "choice", "float-range", "int-range", "path", "names"}
        ``*-range`` kinds hold a ``(low, high)`` pair drawn per movement; ``names`` is a
        comma-separated list of names (``all``: every one), kept as a tuple of strings.
    low, high : float, optional
        Inclusive bounds of the value (of both ends for ranges).
    choices : tuple or callable, optional
        Allowed values of a ``choice`` parameter, or a function that returns them when asked (a
        registry's names, so a plugin registered later is a valid value).
    nullable : bool
        ``None`` is allowed (e.g. an optional data path).
    """

    name: str
    default: Any
    help: str
    kind: ParamKind = "float"
    low: float | None = None
    high: float | None = None
    choices: "tuple | Callable[[], tuple] | None" = None
    nullable: bool = False

    def allowed_choices(self) -> tuple:
        """The values a ``choice`` parameter accepts now (``choices``, called if it is a function)."""
        return tuple(self.choices() if callable(self.choices) else self.choices or ())

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.name!r} needs choices")

    # ------------------------------------------------------------ validation
    def _bounds_text(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"[{lo}, {hi}]"

    def _check_number(self, v: Any, owner: str, integer: bool) -> float | int:
        if not _is_number(v):
            raise ConfigError(f"{owner}: parameter {self.name!r} must be a number, got {v!r}")
        if not math.isfinite(float(v)):
            raise ConfigError(f"{owner}: parameter {self.name!r} must be finite, got {v!r}")
        if integer:
            if float(v) != int(v):
                raise ConfigError(f"{owner}: parameter {self.name!r} must be an integer, got {v!r}")
            v = int(v)
        else:
            v = float(v)
        if (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
            raise ConfigError(f"{owner}: parameter {self.name!r} must be within {self._bounds_text()}, got {v:g}")
        return v

    def validate(self, value: Any, owner: str = "generator") -> Any:
        """Return ``value`` normalised (ranges become tuples), or raise ConfigError."""
        if value is None:
            if self.nullable:
                return None
            raise ConfigError(f"{owner}: parameter {self.name!r} must not be empty")
        kind = self.kind
        if kind == "float":
            return self._check_number(value, owner, integer=False)
        if kind == "int":
            return self._check_number(value, owner, integer=True)
        if kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise ConfigError(f"{owner}: parameter {self.name!r} must be true or false, got {value!r}")
        if kind == "choice":
            allowed = self.allowed_choices()
            if value in allowed:
                return value
            raise ConfigError(
                f"{owner}: parameter {self.name!r} must be one of {', '.join(map(str, allowed))}; got {value!r}"
            )
        if kind == "names":
            items = value.split(",") if isinstance(value, str) else value
            if isinstance(items, (list, tuple)) and items and all(isinstance(v, str) and v.strip() for v in items):
                return tuple(v.strip() for v in items)
            raise ConfigError(f"{owner}: parameter {self.name!r} must be a comma-separated list of names, got {value!r}")
        if kind == "path":
            if isinstance(value, (str, os.PathLike)) and os.fspath(value):
                return os.fspath(value)
            raise ConfigError(f"{owner}: parameter {self.name!r} must be a file path, got {value!r}")
        # ranges
        integer = kind == "int-range"
        if _is_number(value):
            v = self._check_number(value, owner, integer)
            return (v, v)
        if isinstance(value, (list, tuple, np.ndarray)) and len(value) == 2:
            lo = self._check_number(value[0], owner, integer)
            hi = self._check_number(value[1], owner, integer)
            if lo > hi:
                raise ConfigError(f"{owner}: parameter {self.name!r} range [{lo:g}, {hi:g}] has low > high")
            return (lo, hi)
        raise ConfigError(
            f"{owner}: parameter {self.name!r} must be a number or a [low, high] pair, got {value!r}"
        )

    # ----------------------------------------------------------- describing
    def default_text(self) -> str:
        """The default as it would be typed on the command line."""
        d = self.default
        if d is None:
            return "none"
        if isinstance(d, bool):
            return str(d).lower()
        if isinstance(d, tuple) and self.kind == "names":
            return ",".join(d)
        if isinstance(d, tuple):
            return "[" + ", ".join(f"{v:g}" for v in d) + "]"
        if isinstance(d, float):
            return f"{d:g}"
        return str(d)

    def allowed_text(self) -> str:
        """What values are allowed, e.g. ``range within [0, 1]`` or ``one of a, b``."""
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.allowed_choices()))
        if self.kind == "bool":
            return "true/false"
        if self.kind == "path":
            return "file path"
        if self.kind == "names":
            return "comma-separated names, or all"
        prefix = {"float": "number", "int": "integer", "float-range": "[low, high]", "int-range": "[low, high] integers"}[
            self.kind
        ]
        if self.low is None and self.high is None:
            return prefix
        return f"{prefix} within {self._bounds_text()}"

    def to_dict(self) -> dict:
        """A JSON-friendly description."""
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "name": self.name, "kind": self.kind, "default": default, "low": self.low, "high": self.high,
            "choices": None if self.choices is None else list(self.allowed_choices()), "help": self.help,
        }


def validate_params(specs: Iterable[ParamSpec], given: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Complete ``given`` with defaults and validate every value.

    Parameters
    ----------
    specs : iterable of ParamSpec
        The generator's parameter specification.
    given : mapping
        User-supplied values.
    owner : str
        Name used in error messages (the generator's name).

    Returns
    -------
    dict
        Every parameter, in spec order, with normalised values.

    Raises
    ------
    ConfigError
        An unknown parameter name or an invalid value (the message names it).
    """
    specs = list(specs)
    known = {s.name: s for s in specs}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ConfigError(
            f"{owner}: unknown parameter {unknown[0]!r}; known parameters: {', '.join(known) or '(none)'}"
        )
    out: dict[str, Any] = {}
    for spec in specs:
        out[spec.name] = spec.validate(given[spec.name], owner) if spec.name in given else spec.default
    return out


# ------------------------------------------------------------------ drawing
def draw_uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    """``n`` values uniform in ``bounds = (low, high)`` (constant when low == high), float64 (n,)."""
    lo, hi = bounds
    if lo == hi:
        return np.full(n, float(lo))
    return rng.uniform(lo, hi, size=n)


def draw_log_uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    """``n`` values log-uniform in ``bounds`` (both > 0), float64 (n,)."""
    lo, hi = bounds
    if lo == hi:
        return np.full(n, float(lo))
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size=n))


def draw_integers(rng: np.random.Generator, bounds: tuple[int, int], n: int) -> np.ndarray:
    """``n`` integers uniform in the inclusive range ``bounds``, int64 (n,)."""
    lo, hi = bounds
    if lo == hi:
        return np.full(n, int(lo), dtype=np.int64)
    return rng.integers(lo, hi + 1, size=n, dtype=np.int64)
