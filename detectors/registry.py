"""Detector heads by name: ``hgb``, ``logistic``, ``density``, ``hybrid``, ``cnn``, ``gru`` and ``module``.

One :class:`deval.registry.Registry`: built-ins are imported on first use, and
plugins add heads through the entry-point group ``deval.detectors`` (a
:class:`~deval.detectors.base.TrajectoryDetector` subclass with a ``head`` name).
"""

from __future__ import annotations

from deval.detectors.base import TrajectoryDetector
from deval.errors import ConfigError
from deval.registry import Registry

__all__ = ["HEADS", "TRAINABLE_HEADS", "head_class", "make_detector", "register_head"]


def _check_head(name: str, cls: object) -> type[TrajectoryDetector]:
    if not isinstance(cls, type) or not issubclass(cls, TrajectoryDetector):
        raise ConfigError(f"detector head {name!r}: {cls!r} is not a TrajectoryDetector subclass")
    if getattr(cls, "__abstractmethods__", None):
        raise ConfigError(f"detector head {name!r}: {cls.__name__} is abstract "
                          f"(missing {', '.join(sorted(cls.__abstractmethods__))})")
    if getattr(cls, "head", None) != name:
        raise ConfigError(f"detector head {name!r}: {cls.__name__}.head is {getattr(cls, 'head', None)!r}; "
                          "it must equal the registered name")
    return cls


#: The head registry (``HEADS.available()``, ``HEADS.get(name)``, ``name in HEADS``).
HEADS: Registry[type[TrajectoryDetector]] = Registry("detector head", group="deval.detectors", check=_check_head,
                                                     builtins={
    "hgb": "deval.detectors.feature_heads:HGBDetector",
    "logistic": "deval.detectors.feature_heads:LogisticDetector",
    "density": "deval.detectors.density_head:DensityDetector",
    "hybrid": "deval.detectors.density_head:HybridDetector",
    "cnn": "deval.detectors.cnn_head:CNNDetector",
    "gru": "deval.detectors.gru_head:GRUDetector",
    "module": "deval.detectors.module_head:ModuleFeatureDetector",
})
#: heads that train from data alone (the ``module`` head needs a torch module)
TRAINABLE_HEADS = ("hgb", "logistic", "cnn", "gru", "density", "hybrid")


def register_head(cls: type[TrajectoryDetector]) -> type[TrajectoryDetector]:
    """Register a detector class under its ``head`` name (usable as a decorator)."""
    return HEADS.register(getattr(cls, "head", None), cls)


def head_class(name: str) -> type[TrajectoryDetector]:
    """The detector class registered as ``name``."""
    return HEADS.get(str(name))


def make_detector(name: str, **params) -> TrajectoryDetector:
    """A new, unfitted detector of head ``name`` with ``params`` (unknown names raise)."""
    cls = head_class(name)
    valid = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ConfigError(f"{name} head has no parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    return cls(**params)
