"""Diffusion representation: exact round trip, exact endpoints, valid output for any model output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deval.errors import ConfigError, DataError
from deval.generators.diffusion import augment as A
from deval.generators.diffusion.representation import MovementEncoder, resample_by_index
from deval.trajectories import Endpoints, Trajectories


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _movements(n=120, seed=0, integer=True):
    """Curved movements with integer pixels and whole-millisecond times, 5 users."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        m = int(rng.integers(8, 50))
        s = np.linspace(0, 1, m)
        d = rng.uniform(40, 900)
        a = rng.uniform(-np.pi, np.pi)
        bow = rng.normal(0, 0.15) * d
        px = s * d
        py = bow * np.sin(np.pi * s) + rng.normal(0, 1.0, m) * (s > 0) * (s < 1)
        x = 500 + px * np.cos(a) - py * np.sin(a)
        y = 500 + px * np.sin(a) + py * np.cos(a)
        t = np.cumsum(np.r_[0, rng.integers(8, 25, m - 1)]) / 1000.0
        if integer:
            x, y = np.round(x), np.round(y)
        out.append(np.column_stack([x, y, t]))
    traj = Trajectories.from_list(out, meta={"user": np.arange(n) % 5})
    keep = traj.endpoints().distance > 0
    return traj[keep]


@pytest.fixture(scope="module")
def data():
    return _movements()


@pytest.mark.parametrize("features", ["deltas", "rich"])
@pytest.mark.parametrize("scale", ["distance", "pixels"])
def test_encode_decode_round_trip_is_exact(data, features, scale):
    enc = MovementEncoder(64, features=features, spatial_scale=scale).fit(data)
    assert enc.stats.pixel_resolution == 1.0 and enc.stats.time_resolution == 0.001
    values, mask, goal = enc.encode(data)
    assert values.shape == (len(data), 64, enc.n_channels) and goal.shape == (len(data), 3)
    assert torch.equal(mask.sum(1), torch.as_tensor(data.lengths - 1))
    assert float(values[~mask].abs().max()) == 0.0  # padding is zero
    ep = data.endpoints()
    out, raw_end = enc.decode(values, mask, ep, n_points=ep.n_points)
    np.testing.assert_array_equal(out.lengths, data.lengths)
    np.testing.assert_allclose(out.x, data.x, atol=1e-9)
    np.testing.assert_allclose(out.y, data.y, atol=1e-9)
    np.testing.assert_allclose(out.t, data.t, atol=1e-9)
    np.testing.assert_allclose(raw_end, np.tile([1.0, 0.0], (len(data), 1)), atol=1e-6)


def test_goal_condition_values(data):
    enc = MovementEncoder(64).fit(data)
    ep = data.endpoints()
    g = enc.goal(torch.as_tensor(ep.distance), torch.as_tensor(ep.angle)).double().numpy()
    np.testing.assert_allclose(g[:, 1], np.cos(ep.angle), atol=1e-6)
    np.testing.assert_allclose(g[:, 2], np.sin(ep.angle), atol=1e-6)
    ld = np.log(ep.distance)
    np.testing.assert_allclose(g[:, 0], (ld - ld.mean()) / ld.std(), atol=1e-5)  # fitted on these movements
    enc4 = MovementEncoder(64, use_duration=True).fit(data)
    assert enc4.goal_dim == 4
    with pytest.raises(ConfigError):
        enc4.goal(torch.ones(2), torch.zeros(2))


def test_long_movements_are_recut_and_restored(data):
    enc = MovementEncoder(16).fit(data)
    values, mask, _ = enc.encode(data)
    ep = data.endpoints()
    out, _ = enc.decode(values, mask, ep, n_points=ep.n_points)
    np.testing.assert_array_equal(out.lengths, data.lengths)  # re-cut by index back to the requested count
    np.testing.assert_allclose(out.durations, data.durations, atol=1e-9)
    np.testing.assert_allclose(out.end, data.end, atol=0)
    out.validate()


@pytest.mark.parametrize("scale", [0.0, 1.0, 5.0])
def test_decode_any_output_hits_targets_exactly_with_increasing_time(data, scale):
    """Whatever the network outputs (zeros, noise, wild noise), decoded movements are valid."""
    enc = MovementEncoder(32).fit(data)
    rng = np.random.default_rng(1)
    n = 300
    start = rng.uniform(0, 1900, (n, 2))
    ang = rng.uniform(-np.pi, np.pi, n)
    dist = rng.uniform(21, 1500, n)
    end = start + np.column_stack([np.cos(ang), np.sin(ang)]) * dist[:, None]
    npts = rng.integers(2, 60, n)
    cond = Endpoints(start, end, None, npts)
    steps = np.clip(npts - 1, 1, 32)
    mask = np.arange(32)[None] < steps[:, None]
    values = rng.normal(0, 1, (n, 32, 3)) * scale
    values[:, :, 2] = np.clip(values[:, :, 2], -50, 50)
    out, raw_end = enc.decode(values, mask, cond, n_points=npts)
    out.validate()  # finite, strictly increasing time
    np.testing.assert_array_equal(out.start, start)
    np.testing.assert_array_equal(out.end, end)
    np.testing.assert_array_equal(out.lengths, npts)
    assert np.isfinite(raw_end).all()
    assert (out.label == 1).all() and (out.style == "diffusion").all()
    inner = np.ones(out.n_points, bool)
    inner[out.first_index] = inner[out.last_index] = False
    np.testing.assert_array_equal(out.x[inner], np.round(out.x[inner]))  # integer pixels like the data
    dt = np.diff(out.t)[np.diff(out.segment_ids) == 0]
    assert dt.min() >= 0.001 - 1e-12
    np.testing.assert_allclose(np.round(out.t * 1000), out.t * 1000, atol=1e-6)


def test_condition_errors(data):
    enc = MovementEncoder(32).fit(data)
    with pytest.raises(DataError, match="zero displacement"):
        enc.check_condition(Endpoints([[0, 0]], [[0, 0]]))
    with pytest.raises(DataError, match="n_points"):
        enc.check_condition(Endpoints([[0, 0]], [[10, 0]], None, [1]))
    with pytest.raises(ConfigError):
        MovementEncoder(32, features="spline")


def test_draw_lengths_follow_distance(data):
    enc = MovementEncoder(64).fit(data)
    n_short, _ = enc.draw_lengths(np.full(200, 50.0), seed=0)
    n_long, _ = enc.draw_lengths(np.full(200, 880.0), seed=0)
    assert np.array_equal(enc.draw_lengths(np.full(5, 50.0), seed=3)[0], enc.draw_lengths(np.full(5, 50.0), seed=3)[0])
    assert set(n_short) <= set(enc.stats.table_n_points)
    assert n_short.shape == (200,) and n_long.shape == (200,)


def test_resample_by_index_keeps_ends():
    pts = torch.tensor([[[0.0, 0, 0], [1, 1, 1], [2, 0, 2], [9, 9, 9]]])
    out = resample_by_index(pts, torch.tensor([3]), torch.tensor([5]), 5)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]))
    torch.testing.assert_close(out[0, :, 1], torch.tensor([0.0, 0.5, 1.0, 0.5, 0.0]))


@pytest.mark.parametrize("name", ["time_stretch", "time_warp", "jitter", "mirror", "crop"])
def test_augmentations_keep_movements_valid(data, name):
    enc = MovementEncoder(64).fit(data)
    b = enc.canonical(data)
    g = torch.Generator().manual_seed(0)
    fn = getattr(A, name)
    nb = fn(b, 1.0, g) if name in ("mirror", "crop") else fn(b, 0.2, 1.0, g)
    k = torch.arange(nb.points.shape[1])[None]
    valid = k < nb.n_points[:, None]
    t = nb.points[..., 2]
    assert torch.isfinite(nb.points).all()
    assert (((t[:, 1:] - t[:, :-1]) > 0) | ~valid[:, 1:]).all()
    end = nb.points[torch.arange(len(nb)), nb.n_points - 1, :2]
    torch.testing.assert_close(end, torch.tensor([1.0, 0.0]).expand_as(end), atol=1e-5, rtol=0)
    torch.testing.assert_close(nb.points[:, 0], torch.zeros_like(nb.points[:, 0]), atol=1e-6, rtol=0)
    assert (nb.n_points >= 2).all() and (nb.n_points <= 65).all()
    values, mask = enc.features_of(nb)
    assert torch.isfinite(values).all()
    if name == "mirror":
        torch.testing.assert_close(nb.points[..., 1], -b.points[..., 1])
        torch.testing.assert_close(torch.cos(nb.angle), -torch.cos(b.angle), atol=1e-5, rtol=0)
    if name == "time_stretch":
        assert not torch.equal(nb.n_points, b.n_points)
    if name == "crop":
        assert (nb.n_points <= b.n_points).all() and (nb.distance <= b.distance * 1.5 + 1e-3).all()


def test_moving_channel_marks_pauses_and_decodes_them_exactly(data):
    """Pause samples (same point again) get moving = -1; decoding zeroes dx, dy wherever moving < 0."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(len(data)):
        p = np.column_stack([data[i].x, data[i].y, data[i].t])
        k = int(rng.integers(1, len(p) - 1))  # repeat an interior point: a pause
        rows.append(np.vstack([p[:k + 1], [p[k, 0], p[k, 1], (p[k, 2] + p[k + 1, 2]) / 2], p[k + 1:]]))
    paused = Trajectories.from_list(rows)
    enc = MovementEncoder(64, moving_channel=True).fit(paused)
    assert enc.channels[-1] == "moving" and enc.n_channels == 4
    values, mask, _ = enc.encode(paused)
    raw = enc.normalizer.inverse_transform(values.double().numpy())[..., -1]
    assert (raw[mask.numpy()] < 0).sum() == len(paused)  # exactly one still step per movement
    ep = paused.endpoints()
    out, _ = enc.decode(values, mask, ep, n_points=ep.n_points)
    np.testing.assert_allclose(out.x, paused.x, atol=1e-9)
    # a denoiser's near-zero steps: small noise on dx, dy of still steps still decodes as an exact pause
    noisy = values.clone()
    still = torch.as_tensor(raw < 0) & mask
    noisy[..., :2] += 0.05 * torch.randn(noisy[..., :2].shape, generator=torch.Generator().manual_seed(0)) * still[..., None]
    out2, _ = enc.decode(noisy, mask, ep, n_points=ep.n_points)
    moved = np.hypot(np.diff(out2.x), np.diff(out2.y))
    first = np.zeros(len(out2.x) - 1, bool)
    first[paused.offsets[1:-1] - 1] = True  # steps across movement boundaries
    assert ((moved == 0) & ~first).sum() >= len(paused)
    assert MovementEncoder(64).n_channels == 3  # off by default: old checkpoints keep their channels
