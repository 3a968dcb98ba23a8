"""Exception hierarchy.

Every error that a user can cause (a bad file, a bad parameter, a missing
checkpoint) is a :class:`DevalError`. The CLI turns these into a one-line
message and a non-zero exit code; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import os


class DevalError(Exception):
    """Base class of every error deval raises on purpose."""


class DataError(DevalError, ValueError):
    """A trajectory file or array is malformed.

    Parameters
    ----------
    source : str or path-like or None
        The file (or a short description such as ``"<array>"``) the data came from.
    problem : str
        What is wrong, in a few words.
    """

    def __init__(self, source: str | os.PathLike | None, problem: str):
        self.source = None if source is None else os.fspath(source)
        self.problem = problem
        prefix = f"{self.source}: " if self.source else ""
        super().__init__(prefix + problem)


class ConfigError(DevalError, ValueError):
    """An invalid parameter, option or configuration value."""


class OutputExistsError(DevalError, FileExistsError):
    """An output already exists and ``force`` was not given."""

    def __init__(self, path: str | os.PathLike, why: str = "already exists (use --force to overwrite)"):
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: {why}")


class CheckpointError(DevalError):
    """A model checkpoint is missing, incomplete or unsafe to load."""
