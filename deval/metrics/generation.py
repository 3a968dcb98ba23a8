"""Metrics of conditional generators: goal accuracy and diversity.

* :func:`goal_accuracy` - how well a generator follows its condition *by
  itself*: the distance and angle error of the end point it produced before
  any exact-endpoint correction, against the requested target.
* :func:`diversity` - mean pairwise distance between movements generated for
  the same condition (a collapsed generator scores 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deval.errors import ConfigError, DataError
from deval.metrics.results import JSONResult
from deval.trajectories import Endpoints, Trajectories

__all__ = ["GoalAccuracy", "Diversity", "goal_accuracy", "diversity"]


@dataclass(frozen=True)
class GoalAccuracy(JSONResult):
    """Result of :func:`goal_accuracy`.

    Attributes
    ----------
    distance_error_px_mean, distance_error_px_median : float
        ``| |generated end - start| - |target - start| |`` in pixels.
    distance_error_rel_mean, distance_error_rel_median : float
        The same divided by the target distance.
    endpoint_error_rel_mean : float
        ``|generated end - target| / target distance`` (position error, both components).
    angle_error_deg_mean, angle_error_deg_median : float
        Absolute angle between the generated and the requested displacement, degrees.
    n : int
    """

    distance_error_px_mean: float
    distance_error_px_median: float
    distance_error_rel_mean: float
    distance_error_rel_median: float
    endpoint_error_rel_mean: float
    angle_error_deg_mean: float
    angle_error_deg_median: float
    n: int


def goal_accuracy(generated_end: np.ndarray, cond: Endpoints) -> GoalAccuracy:
    """Distance and angle errors of generated end points against their targets.

    Parameters
    ----------
    generated_end : array, (N, 2)
        End points in pixels as the generator produced them (before any
        correction that moves them onto the target).
    cond : Endpoints
        The requested starts and targets (N).

    Returns
    -------
    GoalAccuracy
    """
    g = np.asarray(generated_end, dtype=np.float64)
    if g.shape != (len(cond), 2):
        raise DataError(None, f"generated_end has shape {g.shape}, expected ({len(cond)}, 2)")
    if not np.isfinite(g).all():
        raise DataError(None, "generated_end has non-finite values")
    if len(cond) == 0:
        raise DataError(None, "no movements")
    want = cond.displacement
    got = g - cond.start
    dist = np.hypot(*want.T)
    if (dist <= 0).any():
        raise DataError(None, "targets with zero displacement have no direction")
    d_err = np.abs(np.hypot(*got.T) - dist)
    ang = np.arctan2(got[:, 1], got[:, 0]) - np.arctan2(want[:, 1], want[:, 0])
    ang = np.abs((ang + np.pi) % (2 * np.pi) - np.pi)
    ang_deg = np.degrees(ang)
    return GoalAccuracy(
        float(d_err.mean()), float(np.median(d_err)), float((d_err / dist).mean()), float(np.median(d_err / dist)),
        float((np.hypot(*(got - want).T) / dist).mean()), float(ang_deg.mean()), float(np.median(ang_deg)),
        int(len(cond)),
    )


@dataclass(frozen=True)
class Diversity(JSONResult):
    """Result of :func:`diversity`.

    Attributes
    ----------
    mean_pairwise_px : float
        Mean over conditions of the mean pairwise path distance (pixels) between
        movements of that condition; the path distance is the mean Euclidean
        distance between corresponding points after resampling both paths to
        ``n_points`` points evenly spaced in time.
    mean_pairwise_rel : float
        The same with each distance divided by the condition's start-end distance.
    n_groups : int
        Conditions with at least two movements.
    n_points : int
    """

    mean_pairwise_px: float
    mean_pairwise_rel: float
    n_groups: int
    n_points: int


def diversity(traj: Trajectories, groups: np.ndarray, n_points: int = 32) -> Diversity:
    """Mean pairwise distance between movements generated for the same condition.

    Parameters
    ----------
    traj : Trajectories
        Generated movements in pixels.
    groups : array, (N,)
        Condition id of each movement; groups of one movement are ignored.
    n_points : int
        Points per path after resampling in time.

    Returns
    -------
    Diversity
    """
    from deval.canonical import resample

    groups = np.asarray(groups)
    if groups.shape != (len(traj),):
        raise DataError(None, f"groups has shape {groups.shape}, expected ({len(traj)},)")
    if int(n_points) < 2:
        raise ConfigError(f"n_points must be >= 2, got {n_points}")
    paths = resample(traj, n_points=int(n_points))
    xy = np.stack([paths.x, paths.y], axis=1).reshape(len(traj), int(n_points), 2)
    scale = np.hypot(*(traj.end - traj.start).T)
    _, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.argsort(inv, kind="stable")
    sums_px, sums_rel, n_groups = 0.0, 0.0, 0
    for k in np.unique(counts[counts >= 2]):  # one batched computation per group size
        gids = np.flatnonzero(counts == k)
        member = np.isin(inv[order], gids)
        idx = order[member].reshape(len(gids), k)  # rows: groups, sorted by group id
        p = xy[idx]  # (G, k, M, 2)
        d = np.sqrt(((p[:, :, None] - p[:, None, :]) ** 2).sum(-1)).mean(-1)  # (G, k, k)
        iu = np.triu_indices(k, 1)
        pair = d[:, iu[0], iu[1]].mean(axis=1)
        ref = np.maximum(scale[idx].mean(axis=1), 1e-12)
        sums_px += pair.sum()
        sums_rel += (pair / ref).sum()
        n_groups += len(gids)
    if n_groups == 0:
        raise DataError(None, "diversity needs at least one condition with two or more movements")
    return Diversity(sums_px / n_groups, sums_rel / n_groups, n_groups, int(n_points))
