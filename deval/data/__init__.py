"""Data shipped with deval: a 2,000-movement sample of SapiMouse-dev (see ``README.md`` here for its citation).

>>> from deval.data import load_sample
>>> real = load_sample()            # doctest: +SKIP
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from deval.trajectories import Trajectories

__all__ = ["SAMPLE_NAME", "sample_path", "load_sample"]

SAMPLE_NAME = "sapimouse_sample.npz"


def sample_path() -> Path:
    """Path of the shipped SapiMouse-dev sample (2,000 movements, 72 people, browser logging at ~60 Hz)."""
    return Path(str(resources.files(__name__) / SAMPLE_NAME))


def load_sample() -> Trajectories:
    """The shipped SapiMouse-dev sample as :class:`~deval.trajectories.Trajectories`."""
    from deval.io import load_trajectories

    return load_trajectories(sample_path())
