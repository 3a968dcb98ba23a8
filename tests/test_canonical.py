import numpy as np
import pytest

from deval.canonical import Normalizer, canonicalize, from_deltas, resample, to_deltas
from deval.errors import ConfigError
from deval.trajectories import Trajectories


def random_traj(n=50, seed=0):
    rng = np.random.default_rng(seed)
    moves = []
    for _ in range(n):
        m = rng.integers(3, 40)
        xy = np.cumsum(rng.normal(0, 10, size=(m, 2)), axis=0) + rng.uniform(0, 1000, 2)
        t = np.cumsum(rng.uniform(0.005, 0.03, m)) - 0.01
        moves.append(np.column_stack([xy, t - t[0]]))
    return Trajectories.from_list(moves)


def test_canonical_starts_at_origin_and_ends_on_x_axis():
    tr = random_traj()
    canon, frame = canonicalize(tr)
    np.testing.assert_allclose(canon.start, 0, atol=1e-9)
    np.testing.assert_allclose(canon.end[:, 1], 0, atol=1e-9)
    np.testing.assert_allclose(canon.end[:, 0], np.hypot(*(tr.end - tr.start).T), rtol=1e-12)
    assert (canon.end[:, 0] >= 0).all()


@pytest.mark.parametrize("mirror", [False, True, "auto"])
def test_canonical_inverse_is_exact(mirror):
    tr = random_traj(seed=1)
    canon, frame = canonicalize(tr, mirror=mirror)
    back = frame.invert(canon)
    np.testing.assert_allclose(back.x, tr.x, atol=1e-9)
    np.testing.assert_allclose(back.y, tr.y, atol=1e-9)
    np.testing.assert_allclose(back.t, tr.t, atol=1e-12)


def test_auto_mirror_bows_positive():
    tr = random_traj(seed=2)
    canon, frame = canonicalize(tr, mirror="auto")
    sums = np.bincount(canon.segment_ids, weights=canon.y)
    assert (sums >= -1e-9).all()
    assert frame.mirrored.any() and not frame.mirrored.all()


def test_rotation_known_case():
    # a movement going straight down the screen (y grows) is rotated by +90 degrees
    tr = Trajectories.from_list([np.array([[10.0, 10, 0], [11, 20, 0.01], [10, 30, 0.02]])])
    canon, frame = canonicalize(tr)
    np.testing.assert_allclose(frame.angle, [np.pi / 2])
    np.testing.assert_allclose(canon.x, [0, 10, 20], atol=1e-12)
    np.testing.assert_allclose(canon.y, [0, -1, 0], atol=1e-12)


def test_resample_n_points_keeps_endpoints_and_linear_motion():
    t = np.array([0, 0.1, 0.3, 0.6])
    tr = Trajectories.from_list([np.column_stack([100 * t, 5 + 0 * t, t])])
    r = resample(tr, n_points=7)
    np.testing.assert_allclose(r.t, np.linspace(0, 0.6, 7))
    np.testing.assert_allclose(r.x, 100 * np.linspace(0, 0.6, 7))
    np.testing.assert_allclose(r.end, tr.end)


def test_resample_rate_and_jitter():
    tr = random_traj(seed=3)
    r = resample(tr, rate_hz=60)
    r.validate()
    np.testing.assert_allclose(r.end, tr.end)
    np.testing.assert_allclose(r.durations, tr.durations)
    steps = np.diff(r.t)[np.diff(r.segment_ids) == 0]
    assert np.median(steps) == pytest.approx(1 / 60)
    j1 = resample(tr, rate_hz=60, jitter=0.2, seed=5)
    j2 = resample(tr, rate_hz=60, jitter=0.2, seed=5)
    j1.validate()
    np.testing.assert_array_equal(j1.t, j2.t)
    assert not np.array_equal(j1.t, r.t)
    with pytest.raises(ConfigError):
        resample(tr)


def test_deltas_round_trip():
    tr = random_traj(seed=4)
    canon, _ = canonicalize(tr)
    v, m = to_deltas(canon)
    assert v.shape == (len(tr), tr.lengths.max() - 1, 3)
    np.testing.assert_array_equal(m.sum(1), tr.lengths - 1)
    back = from_deltas(v, m)
    np.testing.assert_allclose(back.x, canon.x, atol=1e-9)
    np.testing.assert_allclose(back.y, canon.y, atol=1e-9)
    np.testing.assert_allclose(back.t, canon.t, atol=1e-12)
    v2, m2 = to_deltas(canon, max_len=5)
    assert v2.shape[1] == 5 and m2.sum(1).max() == 5
    np.testing.assert_array_equal(v2, v[:, :5])


def test_normalizer_fit_on_masked_values_and_json(tmp_path):
    tr = random_traj(seed=5)
    v, m = to_deltas(tr)
    norm = Normalizer().fit(v, m)
    z = norm.transform(v, m)
    np.testing.assert_allclose(z[m].mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(z[m].std(0), 1, atol=1e-9)
    assert (z[~m] == 0).all()
    np.testing.assert_allclose(norm.inverse_transform(z)[m], v[m])
    norm.save(tmp_path / "norm.json")
    loaded = Normalizer.load(tmp_path / "norm.json")
    np.testing.assert_array_equal(loaded.mean_, norm.mean_)
    with pytest.raises(ConfigError):
        Normalizer().transform(v)


def test_canonical_on_real_data(sapimouse):
    canon, frame = canonicalize(sapimouse[:2000])
    back = frame.invert(canon)
    np.testing.assert_allclose(back.x, sapimouse[:2000].x, atol=1e-7)
