"""``relog``: movements re-recorded through the logger of a reference file or a named logger (``deval relog``).

The same code as ``generate-negatives --timing like``: the reference's logger
is fitted with :meth:`Logger.fit` and applied with :meth:`Logger.relog`.
"""

from __future__ import annotations

from dataclasses import dataclass

from deval.errors import ConfigError, DataError
from deval.loggers.kinds import parse_logger
from deval.loggers.logger import Logger
from deval.trajectories import Trajectories

__all__ = ["relog", "RelogResult"]


@dataclass(frozen=True)
class RelogResult:
    """What :func:`relog` made: the re-recorded movements and the logger that recorded them."""

    movements: Trajectories
    logger: Logger


def relog(movements: Trajectories, *, like: Trajectories | None = None, logger: str | Logger | None = None,
          seed: int = 0, like_source: str | None = None, source: str | None = None) -> RelogResult:
    """Re-record ``movements`` through the logger of ``like`` (fitted) or ``logger`` (a spec, name or Logger).

    Exactly one of ``like`` and ``logger``. The ``logger`` metadata column names the logger; everything else in
    the metadata is kept. ``like_source`` and ``source`` name the reference and the movements' files in error
    messages.
    """
    if (like is None) == (logger is None):
        raise ConfigError("give exactly one of like (a reference recording) and logger (a logger spec)")
    if like is not None:
        lg = Logger.fit(like, seed=seed, source=like_source)
    else:
        lg = logger if isinstance(logger, Logger) else parse_logger(str(logger))
    try:
        out = lg.relog(movements, seed).with_meta(logger=lg.name)
    except DataError as exc:
        raise DataError(exc.source or source, exc.problem) from None
    return RelogResult(out, lg)
