"""Detector heads by name: ``hgb``, ``logistic``, ``density``, ``hybrid``, ``cnn``, ``gru`` and ``module``."""

from __future__ import annotations

import importlib

from deval.detectors.base import TrajectoryDetector
from deval.errors import ConfigError

__all__ = ["HEADS", "TRAINABLE_HEADS", "head_class", "make_detector"]

#: head name -> "module:class"
HEADS: dict[str, str] = {
    "hgb": "deval.detectors.feature_heads:HGBDetector",
    "logistic": "deval.detectors.feature_heads:LogisticDetector",
    "density": "deval.detectors.density_head:DensityDetector",
    "hybrid": "deval.detectors.density_head:HybridDetector",
    "cnn": "deval.detectors.cnn_head:CNNDetector",
    "gru": "deval.detectors.gru_head:GRUDetector",
    "module": "deval.detectors.module_head:ModuleFeatureDetector",
}
#: heads that train from data alone (the ``module`` head needs a torch module)
TRAINABLE_HEADS = ("hgb", "logistic", "cnn", "gru", "density", "hybrid")


def head_class(name: str) -> type[TrajectoryDetector]:
    """The detector class registered as ``name``."""
    target = HEADS.get(str(name))
    if target is None:
        raise ConfigError(f"unknown detector head {name!r}; choose from {', '.join(HEADS)}")
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def make_detector(name: str, **params) -> TrajectoryDetector:
    """A new, unfitted detector of head ``name`` with ``params`` (unknown names raise)."""
    cls = head_class(name)
    valid = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ConfigError(f"{name} head has no parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    return cls(**params)
