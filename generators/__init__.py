"""Generator registry and generators (installed as ``deval.generators``).

>>> from deval.generators import get, available
>>> available()                                   # doctest: +SKIP
['minimum-jerk', 'noise', 'pid', 'replay', 'sigma-lognormal', 'spline']
>>> bot = get("spline")(curvature=(0.1, 0.3))
>>> negatives = bot.sample(100, seed=0)

Built-in scripted bots (each randomises its parameters per movement, so one
style is a family of movements):

=================  ==========================================================
name               what it does
=================  ==========================================================
noise              straight line at constant speed + Gaussian jitter
spline             Bezier / Catmull-Rom curve with an easing velocity profile
pid                point mass driven by a PID controller (overshoot, settling)
minimum-jerk       Flash & Hogan minimum-jerk with via-points and corrections
sigma-lognormal    Plamondon's sigma-lognormal strokes (most human-like)
replay             recorded human movements warped onto new endpoints
=================  ==========================================================

Third-party generators register through the entry-point group
``deval.generators`` (see :mod:`deval.generators.registry`).
"""

from deval.generators.base import Generator, SeedLike, TrainableGenerator
from deval.generators.parameters import ParamSpec
from deval.generators.registry import (
    ENTRY_POINT_GROUP,
    Registry,
    available,
    default_registry,
    describe,
    get,
    register,
    unregister,
)

__all__ = [
    "ENTRY_POINT_GROUP", "Generator", "ParamSpec", "Registry", "SeedLike", "TrainableGenerator", "available",
    "default_registry", "describe", "get", "register", "unregister",
]
