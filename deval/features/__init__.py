"""Per-movement kinematic and spectral features.

:func:`extract_features` turns a :class:`~deval.trajectories.Trajectories` of N
movements into a :class:`pandas.DataFrame` with one row per movement (same
order, ``RangeIndex``) and one column per feature. Every column is documented
in :data:`FEATURE_DOCS` (name -> ``"description [unit]"``); features come in
groups (:data:`FEATURE_GROUPS`) that ``groups=`` selects:

==========  ====================================================================
group       features
==========  ====================================================================
timing      duration, number of points, sampling interval statistics
geometry    path length, straightness, heading change, curvature, lateral
            deviation from the start->end line, overshoot
dynamics    speed, tangential acceleration and jerk, speed peaks
            (sub-movements), end slowdown, pauses
spectral    band shares, centroid, peak and entropy of the Welch PSD of the
            uniformly resampled speed (see :mod:`deval.features.spectral`)
==========  ====================================================================

``"kinematic"`` stands for timing + geometry + dynamics and ``"all"`` for every
group; single feature names are accepted too. All computations are vectorised
over the batch (no Python loop over movements), and every value is finite for
finite input, including degenerate movements (0-2 points, repeated points,
zero time steps).

Examples
--------
>>> from deval.features import extract_features
>>> feats = extract_features(traj)                       # doctest: +SKIP
>>> feats[["duration", "straightness", "spec_hf_share"]]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from deval.errors import ConfigError
from deval.features.kinematic import (
    KINEMATIC_DOCS,
    KINEMATIC_GROUPS,
    check_trajectories,
    kinematic_features,
)
from deval.features.spectral import (
    DEFAULT_NPERSEG,
    DEFAULT_RATE_HZ,
    SPECTRAL_DOCS,
    spectral_features,
    speed_psd,
    uniform_speed,
)
from deval.trajectories import Trajectories

#: Every feature: name -> "description [unit]", in column order.
FEATURE_DOCS: dict[str, str] = {**KINEMATIC_DOCS, **SPECTRAL_DOCS}

#: Group name -> feature names.
FEATURE_GROUPS: dict[str, list[str]] = {**KINEMATIC_GROUPS, "spectral": list(SPECTRAL_DOCS)}

#: Names that stand for several groups.
GROUP_ALIASES: dict[str, list[str]] = {
    "kinematic": list(KINEMATIC_GROUPS),
    "all": list(FEATURE_GROUPS),
}


def feature_names(groups: str | Iterable[str] | None = None) -> list[str]:
    """Feature names selected by ``groups``, in :data:`FEATURE_DOCS` order.

    Parameters
    ----------
    groups : str or iterable of str, optional
        Group names (``timing``, ``geometry``, ``dynamics``, ``spectral``),
        aliases (``kinematic``, ``all``) or single feature names. None means all.

    Returns
    -------
    list of str

    Raises
    ------
    ConfigError
        An unknown name, or an empty selection.
    """
    if groups is None:
        return list(FEATURE_DOCS)
    if isinstance(groups, str):
        groups = [groups]
    wanted: set[str] = set()
    requested = list(groups)
    for name in requested:
        if not isinstance(name, str):
            raise ConfigError(f"groups: expected names, got {name!r}")
        if name in GROUP_ALIASES:
            for group in GROUP_ALIASES[name]:
                wanted.update(FEATURE_GROUPS[group])
        elif name in FEATURE_GROUPS:
            wanted.update(FEATURE_GROUPS[name])
        elif name in FEATURE_DOCS:
            wanted.add(name)
        else:
            valid = ", ".join([*FEATURE_GROUPS, *GROUP_ALIASES])
            raise ConfigError(f"groups: unknown feature group or feature {name!r} (groups: {valid})")
    if not wanted:
        raise ConfigError("groups: no features selected")
    return [name for name in FEATURE_DOCS if name in wanted]


def extract_features(
    traj: Trajectories,
    *,
    spectral: bool = True,
    rate_hz: float = DEFAULT_RATE_HZ,
    groups: str | Iterable[str] | None = None,
    n_threads: int | None = None,
) -> pd.DataFrame:
    """Features of every movement, one row per movement.

    Parameters
    ----------
    traj : Trajectories
        N movements in pixels and seconds (finite values).
    spectral : bool, default True
        Include the spectral features (the slower part). With ``groups=None``
        and ``spectral=False`` the result holds the kinematic features only.
    rate_hz : float, default 60
        Uniform resampling rate of the speed signal for the spectral features [Hz].
    groups : str or iterable of str, optional
        Restrict the columns (see :func:`feature_names`).
    n_threads : int, optional
        Threads working on chunks of movements (default: available CPUs, at
        most 4); the result does not depend on it.

    Returns
    -------
    DataFrame, N rows (``RangeIndex``), columns in :data:`FEATURE_DOCS` order
        Units are in :data:`FEATURE_DOCS`. Counts are int64, the rest float64;
        all values finite.

    Raises
    ------
    DataError
        ``traj`` is not a Trajectories or holds NaN/inf.
    ConfigError
        Unknown group, bad ``rate_hz``, or spectral features requested with
        ``spectral=False``.
    """
    check_trajectories(traj)
    names = feature_names(groups)
    spectral_names = [name for name in names if name in SPECTRAL_DOCS]
    if not spectral:
        if groups is not None and spectral_names:
            raise ConfigError(
                f"groups select spectral features ({', '.join(spectral_names)}) but spectral=False"
            )
        names = [name for name in names if name not in SPECTRAL_DOCS]
        spectral_names = []
    parts = []
    if any(name in KINEMATIC_DOCS for name in names):
        parts.append(kinematic_features(traj, n_threads=n_threads))
    if spectral_names:
        parts.append(spectral_features(traj, rate_hz=rate_hz, nperseg=DEFAULT_NPERSEG, n_threads=n_threads))
    frame = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return frame[names]


__all__ = [
    "FEATURE_DOCS", "FEATURE_GROUPS", "GROUP_ALIASES", "extract_features", "feature_names",
    "kinematic_features", "spectral_features", "speed_psd", "uniform_speed",
]
