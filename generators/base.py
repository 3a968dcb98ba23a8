"""The generator interface.

A :class:`Generator` produces :class:`~deval.trajectories.Trajectories` in
pixels and seconds, labelled as bots (``label = 1``) with its name as the
``style`` of every movement::

    gen = SplineBot(curvature=(0.1, 0.3))
    negatives = gen.sample(1000, cond=real.endpoints().resample(1000, seed=0), seed=0)

A generator declares its parameters in ``param_specs`` (a tuple of
:class:`~deval.generators.parameters.ParamSpec`); the constructor validates
keyword arguments against it and raises :class:`~deval.errors.ConfigError`
naming the parameter. Subclasses implement :meth:`Generator._generate`;
:meth:`Generator.sample` handles the seed, the endpoints and the metadata.

A :class:`TrainableGenerator` also learns from real movements (``fit``) and
is stored in a directory (``save`` / ``load``).
"""

from __future__ import annotations

import abc
import os
from typing import Any, ClassVar

import numpy as np

from deval.errors import ConfigError
from deval.generators.endpoints import draw_endpoints
from deval.generators.parameters import ParamSpec, validate_params
from deval.trajectories import BOT, Endpoints, Trajectories

__all__ = ["Generator", "TrainableGenerator", "SeedLike"]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


class Generator(abc.ABC):
    """Base class of every generator.

    Class attributes
    ----------------
    name : str
        Registry name (kebab-case); also the ``style`` of generated movements.
    description : str
        One line for ``deval list-generators``.
    param_specs : tuple of ParamSpec
        The parameters accepted by the constructor.
    kind : str
        What it makes: ``"pointing"`` (single pointer movements from a start to
        a target, the default) or ``"actions"`` (fixed-length ``x, y, press``
        sequences of clicks, swipes and drags). Pipelines that compare with a
        set of pointing movements (``deval demo``) use the pointing kind only.

    Parameters
    ----------
    **params
        Values for the parameters in ``param_specs``; the rest take their defaults.

    Attributes
    ----------
    params : dict
        Every parameter, validated and normalised (ranges are ``(low, high)`` tuples).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    param_specs: ClassVar[tuple[ParamSpec, ...]] = ()
    kind: ClassVar[str] = "pointing"

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = validate_params(self.param_specs, params, self._owner())

    @classmethod
    def _owner(cls) -> str:
        return getattr(cls, "name", cls.__name__)

    def __repr__(self) -> str:
        changed = {s.name: self.params[s.name] for s in self.param_specs if self.params[s.name] != s.default}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------- sampling
    def sample(self, n: int, *, cond: Endpoints | None = None, seed: SeedLike = None) -> Trajectories:
        """Generate ``n`` movements.

        Parameters
        ----------
        n : int
            Number of movements (>= 0).
        cond : Endpoints, optional
            Start and end points (pixels) of the ``n`` movements, and optionally
            their durations (s) and point counts. Movement ``i`` starts exactly
            at ``cond.start[i]`` and ends at ``cond.end[i]``. Without it the
            generator draws plausible endpoints on a 1920x1080 screen.
        seed : int, Generator or None
            Seed of every random choice; the same seed gives the same output.

        Returns
        -------
        Trajectories
            ``n`` movements in pixels and seconds (t from 0, strictly
            increasing), with ``style = self.name`` and ``label = 1``.

        Raises
        ------
        ConfigError
            ``n`` is negative or ``cond`` does not hold ``n`` endpoints.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ConfigError(f"{self._owner()}: n must be a non-negative integer, got {n!r}")
        n = int(n)
        rng = np.random.default_rng(seed)
        if cond is None:
            cond = self.draw_endpoints(n, rng)
        elif not isinstance(cond, Endpoints):
            raise ConfigError(f"{self._owner()}: cond must be an Endpoints value, got {type(cond).__name__}")
        elif len(cond) != n:
            raise ConfigError(f"{self._owner()}: cond holds {len(cond)} endpoints for n={n} movements")
        if n == 0:
            return Trajectories.empty().with_meta(style=self.name, label=BOT)
        traj = self._generate(cond, rng)
        if len(traj) != n:  # pragma: no cover - a bug in a subclass
            raise RuntimeError(f"{type(self).__name__} produced {len(traj)} movements, expected {n}")
        return traj.with_meta(style=self.name, label=np.full(n, BOT, dtype=np.int64))

    def draw_endpoints(self, n: int, rng: np.random.Generator) -> Endpoints:
        """Endpoints used when :meth:`sample` is given no ``cond`` (see :mod:`~deval.generators.endpoints`)."""
        return draw_endpoints(n, rng)

    @abc.abstractmethod
    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        """Movements for the endpoints ``cond`` (N >= 1); metadata is set by :meth:`sample`."""

    # ------------------------------------------------------------ describing
    @classmethod
    def describe(cls) -> str:
        """Name, description and parameters as text (what ``deval list-generators`` prints).

        One line ``name: description`` (``name (trainable): ...`` for trainable
        generators), then per parameter ``key = default   [allowed values]`` and its help.
        """
        kind = " (trainable)" if issubclass(cls, TrainableGenerator) else ""
        lines = [f"{cls.name}{kind}: {cls.description}"]
        for spec in cls.param_specs:
            lines.append(f"    {spec.name} = {spec.default_text()}   [{spec.allowed_text()}]")
            lines.append(f"        {spec.help}")
        return "\n".join(lines)

    @classmethod
    def info(cls) -> dict:
        """JSON-friendly description: name, description, trainable, parameters."""
        return {
            "name": cls.name, "description": cls.description,
            "trainable": issubclass(cls, TrainableGenerator),
            "params": [s.to_dict() for s in cls.param_specs],
        }


class TrainableGenerator(Generator):
    """A generator that learns from real movements.

    Subclasses implement :meth:`fit`, :meth:`save` and :meth:`load`.

    Class attributes
    ----------------
    cheap_fit : bool
        Fitting takes seconds, not a training run; ``deval generate-negatives``
        then fits an unfitted generator on the ``--like`` file by itself.
    """

    cheap_fit: ClassVar[bool] = False

    @property
    def is_fitted(self) -> bool:
        """Whether the generator can sample (fitted or loaded)."""
        return True

    @abc.abstractmethod
    def fit(self, trajectories: Trajectories, **kwargs: Any) -> "TrainableGenerator":
        """Learn from real movements (pixels and seconds); returns ``self``."""

    @abc.abstractmethod
    def save(self, directory: str | os.PathLike, force: bool = False) -> None:
        """Write everything :meth:`load` needs into ``directory`` (atomic writes)."""

    @classmethod
    @abc.abstractmethod
    def load(cls, directory: str | os.PathLike, **params: Any) -> "TrainableGenerator":
        """Restore a generator saved with :meth:`save`; ``params`` override saved parameters
        where the generator allows it. Raises :class:`~deval.errors.CheckpointError`."""
