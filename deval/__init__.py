"""deval: realism metrics, hard negatives and detector evaluation for mouse-movement bot detection.

Importing :mod:`deval` is cheap: it loads the data model only (NumPy and
pandas); torch, scikit-learn and matplotlib are imported by the modules that
need them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from deval.errors import ConfigError, DataError, DevalError
from deval.trajectories import BOT, HUMAN, Endpoints, Trajectories

try:
    __version__ = version("deval")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"


def load_trajectories(path, format=None, **kwargs):  # noqa: D103 - re-exported
    from deval.io import load_trajectories as _load

    return _load(path, format, **kwargs)


load_trajectories.__doc__ = "Read a trajectory file; see :func:`deval.io.load_trajectories`."

#: the library call behind each command, imported on first use: ``deval.generate_negatives(...)``
_API = {
    "generate_negatives": "deval.negatives",          # deval generate-negatives
    "compare_sets": "deval.compare",                  # deval compare
    "CompareSettings": "deval.compare",
    "train_generator": "deval.generators.training",   # deval train-generator
    "train_detector": "deval.detectors.training",     # deval train-detector
    "evaluate_holdout": "deval.detectors.evaluation",  # deval evaluate
    "score_movements": "deval.detectors.scoring",     # deval score
    "run_demo": "deval.app.demo",                     # deval demo
}


def __getattr__(name: str):
    if name in _API:
        from importlib import import_module

        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'deval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))

__all__ = [
    "BOT", "HUMAN", "ConfigError", "DataError", "DevalError", "Endpoints", "Trajectories",
    "load_trajectories", "__version__", *_API,
]
