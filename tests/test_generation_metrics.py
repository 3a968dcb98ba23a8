"""Goal accuracy and diversity of generated movements against known answers."""

from __future__ import annotations

import numpy as np
import pytest

from deval.errors import DataError
from deval.metrics.generation import diversity, goal_accuracy
from deval.trajectories import Endpoints, Trajectories


def test_goal_accuracy_known_answers():
    cond = Endpoints([[0, 0], [10, 10], [0, 0]], [[100, 0], [10, 210], [0, 50]])
    perfect = goal_accuracy(cond.end, cond)
    assert perfect.distance_error_px_mean == 0 and perfect.angle_error_deg_mean == 0
    assert perfect.endpoint_error_rel_mean == 0 and perfect.n == 3
    # 10% too long along the target direction; 90 degrees off at the right length; 180 degrees off
    gen = np.array([[110, 0], [210, 10], [0, -50]], float)
    r = goal_accuracy(gen, cond)
    np.testing.assert_allclose([r.distance_error_px_mean, r.distance_error_rel_mean], [10 / 3, 0.1 / 3])
    assert r.angle_error_deg_mean == pytest.approx((0 + 90 + 180) / 3)
    assert r.angle_error_deg_median == pytest.approx(90)
    assert r.endpoint_error_rel_mean == pytest.approx((0.1 + np.sqrt(2) + 2) / 3)
    with pytest.raises(DataError):
        goal_accuracy(gen[:2], cond)
    with pytest.raises(DataError):
        goal_accuracy(np.zeros((1, 2)), Endpoints([[0, 0]], [[0, 0]]))


def _line(offset, n=10):
    t = np.linspace(0, 0.5, n)
    return np.column_stack([np.linspace(0, 100, n), np.full(n, offset), t])


def test_diversity_known_answers():
    # condition 0: three identical paths -> 0; condition 1: paths at y = 0 and y = 6 -> 6 px (distance 100)
    moves = [_line(0), _line(0), _line(0), _line(0), _line(6)]
    traj = Trajectories.from_list(moves)
    d = diversity(traj, np.array([0, 0, 0, 1, 1]), n_points=16)
    assert d.n_groups == 2
    assert d.mean_pairwise_px == pytest.approx((0 + 6) / 2)
    assert d.mean_pairwise_rel == pytest.approx((0 + 0.06) / 2)
    # groups of one do not count; three paths at 0, 3, 9 -> mean of 3, 9, 6
    traj2 = Trajectories.from_list([_line(0), _line(3), _line(9), _line(50)])
    d2 = diversity(traj2, np.array(["a", "a", "a", "b"]))
    assert d2.n_groups == 1 and d2.mean_pairwise_px == pytest.approx(6.0)
    with pytest.raises(DataError):
        diversity(traj2, np.array([0, 1, 2, 3]))
