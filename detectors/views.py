"""Views: how a detector sees movements before any feature or model.

Two views exist, and a detector records the one it was trained with so that
scoring applies exactly the same one:

``raw``
    Movements as logged: the recorded timestamps and points, whatever the
    logger's sampling rate.
``resampled``
    Every movement re-timed to a common rate (default 60 Hz) by linear
    interpolation, with seeded Gaussian timing jitter (a fraction of the
    period), via :func:`deval.canonical.resample`. Humans and bots go through
    the identical transform, so a detector that only learned "this source logs
    at 125 Hz" or "this bot's timestamps are perfectly regular" loses that cue.

Spelling on the command line: ``raw``, ``resampled`` (with ``--resample-hz``),
or ``<rate>hz`` (``60hz``, ``120hz``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from deval.canonical import resample
from deval.errors import ConfigError
from deval.trajectories import Trajectories

__all__ = ["View", "parse_view"]

VIEW_KINDS = ("raw", "resampled")


@dataclass(frozen=True)
class View:
    """A pre-processing view of movements (see module docstring).

    Parameters
    ----------
    kind : {"raw", "resampled"}
        Which view.
    rate_hz : float
        Sampling rate of the resampled view [Hz] (ignored by ``raw``).
    jitter : float
        Standard deviation of the timing jitter of the resampled view, as a
        fraction of the period (0 = a perfectly regular grid).
    seed : int
        Seed of the jitter. The same seed on the same movements gives the same
        points.
    """

    kind: str = "raw"
    rate_hz: float = 60.0
    jitter: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in VIEW_KINDS:
            raise ConfigError(f"view must be one of {', '.join(VIEW_KINDS)}, got {self.kind!r}")
        if not self.rate_hz > 0:
            raise ConfigError(f"resample rate must be positive, got {self.rate_hz}")
        if not 0 <= self.jitter <= 0.45:
            raise ConfigError(f"view jitter must be in [0, 0.45] (fraction of the period), got {self.jitter}")

    @property
    def name(self) -> str:
        """Short label: ``raw`` or ``60hz``."""
        return "raw" if self.kind == "raw" else f"{self.rate_hz:g}hz"

    def apply(self, traj: Trajectories) -> Trajectories:
        """The movements as this view sees them (metadata kept)."""
        if self.kind == "raw":
            return traj
        return resample(traj, rate_hz=self.rate_hz, jitter=self.jitter, seed=self.seed)

    def to_dict(self) -> dict:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "View":
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(kind=str(d["kind"]), rate_hz=float(d.get("rate_hz", 60.0)),
                       jitter=float(d.get("jitter", 0.1)), seed=int(d.get("seed", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"invalid view settings {d!r} ({exc})") from None


def parse_view(spec: "str | View", *, rate_hz: float = 60.0, jitter: float = 0.1, seed: int = 0) -> View:
    """A :class:`View` from ``raw``, ``resampled`` (at ``rate_hz``) or ``<rate>hz``."""
    if isinstance(spec, View):
        return spec
    text = str(spec).strip().lower()
    if text == "raw":
        return View("raw", rate_hz=rate_hz, jitter=jitter, seed=seed)
    if text in ("resampled", "resample"):
        return View("resampled", rate_hz=rate_hz, jitter=jitter, seed=seed)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*hz", text)
    if m:
        return View("resampled", rate_hz=float(m.group(1)), jitter=jitter, seed=seed)
    raise ConfigError(f"unknown view {spec!r}; use raw, resampled or <rate>hz (e.g. 60hz)")
