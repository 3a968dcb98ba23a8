"""Keyframe diffusion (two-stage: keypoints, then fill-in): corruption, clamps, what each stage learns,
sampling, frames, and training / sampling end to end through the registry and the CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deval.errors import ConfigError
from deval.generators.keyframe.anchor_masks import (anchor_counts, anchor_mask_at, keypoint_indices, keypoint_mask,
                                                    nested_anchor_masks)
from deval.generators.keyframe.bootstrap import BootstrapSchedule, bootstrapped_keypoints
from deval.generators.keyframe.causal_fill_in import causal_corruption, causal_fill_in
from deval.generators.keyframe.clamp import apply_clamp
from deval.generators.keyframe.fill_in_model import (FillInDenoiser, corrupt, fill_in, fill_in_loss, gather_keypoints,
                                                     scatter_keypoints)
from deval.generators.keyframe.interpolation import interpolate_from_anchors
from deval.generators.keyframe.keypoint_model import build_keypoint_model, sample_keypoints

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------ corruption
def test_keypoints_are_evenly_spaced_and_include_both_endpoints():
    n = torch.tensor([2, 5, 10, 33, 65])
    idx = keypoint_indices(n, 8)
    assert idx.shape == (5, 8)
    assert torch.equal(idx[:, 0], torch.zeros(5, dtype=torch.long))
    assert torch.equal(idx[:, -1], n - 1)
    assert (idx.diff(dim=1) >= 0).all()
    assert idx[4].tolist() == [0, 9, 18, 27, 37, 46, 55, 64]  # round(j * 64 / 7), halves up
    assert idx[2].tolist() == [0, 1, 3, 4, 5, 6, 8, 9]
    with pytest.raises(ConfigError):
        keypoint_indices(n, 1)


def test_anchor_masks_are_nested_and_keep_the_endpoints():
    n = torch.tensor([2, 9, 17, 40, 65])
    S, K, P = 6, 5, 65
    masks = nested_anchor_masks(n, K, S, P, torch.Generator().manual_seed(0))
    assert masks.shape == (5, S + 1, P)
    valid = torch.arange(P)[None, :] < n[:, None]
    assert torch.equal(masks[:, 0], valid)  # level 0: every point, clean
    assert torch.equal(masks[:, S], keypoint_mask(n, K, P))  # level S: the keypoints only
    assert not (masks & ~valid[:, None, :]).any()  # padding is never an anchor
    assert (masks[:, 1:] <= masks[:, :-1]).all()  # M_s is a subset of M_{s-1}
    assert masks[:, :, 0].all() and masks[torch.arange(5), :, n - 1].all()  # both endpoints at every level
    counts = masks.sum(-1)
    assert (counts.diff(dim=1) <= 0).all()
    assert counts[3].tolist() == anchor_counts(n, keypoint_mask(n, K, P).sum(1), S)[3].tolist()
    assert counts[4, 0] == 65 and counts[4, S] == 5 and counts[4, S // 2] == round(5 * (65 / 5) ** 0.5)
    # different seeds give different (random) intermediate anchors, the same seed the same
    again = nested_anchor_masks(n, K, S, P, torch.Generator().manual_seed(0))
    other = nested_anchor_masks(n, K, S, P, torch.Generator().manual_seed(1))
    assert torch.equal(masks, again) and not torch.equal(masks, other)


def test_one_mask_per_row_at_its_own_level():
    n = torch.full((4,), 33)
    level = torch.tensor([0, 1, 3, 4])
    m = anchor_mask_at(n, 5, 4, level, 40, torch.Generator().manual_seed(0))
    counts = anchor_counts(n, torch.full((4,), 5), 4)
    assert m.sum(1).tolist() == [int(counts[i, s]) for i, s in enumerate(level)]


def test_interpolation_with_all_anchors_is_the_identity_and_linear_between_anchors():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 20, 3, generator=g)
    assert torch.equal(interpolate_from_anchors(x, torch.ones(3, 20, dtype=torch.bool)), x)
    v = (torch.arange(8.0) ** 2).reshape(1, 8, 1)
    a = torch.zeros(1, 8, dtype=torch.bool)
    a[0, [1, 4, 6]] = True
    out = interpolate_from_anchors(v, a)[0, :, 0]
    # held before the first and after the last anchor, linear in between, exact at anchors
    assert out.tolist() == [1.0, 1.0, 6.0, 11.0, 16.0, 26.0, 36.0, 36.0]
    with pytest.raises(ConfigError, match="at least one anchor"):
        interpolate_from_anchors(v, torch.zeros(1, 8, dtype=torch.bool))


def test_corruption_at_level_s_interpolates_the_clean_movement():
    g = torch.Generator().manual_seed(0)
    n = torch.tensor([12, 30, 30])
    x0 = torch.randn(3, 30, 3, generator=g)
    c = corrupt(x0, n, 4, 5, g)
    assert ((c.level >= 1) & (c.level <= 5)).all()
    assert torch.equal(c.x_s, interpolate_from_anchors(x0, c.anchors))
    assert torch.equal(c.x_s[c.anchors], x0[c.anchors])
    # bootstrapped rows: level S, keypoints replaced by the given ones
    kp = torch.randn(3, 4, 3, generator=g)
    use = torch.tensor([True, False, True])
    cb = corrupt(x0, n, 4, 5, g, keypoints=kp, use_keypoints=use)
    assert cb.level[0] == 5 and cb.level[2] == 5
    assert torch.equal(gather_keypoints(cb.x_s, n, 4)[use], kp[use])
    assert torch.equal(cb.values[1], x0[1])


def test_causal_corruption_gives_the_prefix_clean_and_scores_one_chunk():
    g = torch.Generator().manual_seed(0)
    n = torch.tensor([20, 33, 33, 7])
    x0 = torch.randn(4, 33, 3, generator=g)
    c = causal_corruption(corrupt(x0, n, 4, 4, g), x0, n, 8, g)
    k = torch.arange(33)
    for i in range(4):
        scored = torch.nonzero(c.loss_mask[i]).flatten()
        assert len(scored) >= 1
        chunk = int(scored[0]) // 8
        assert ((scored // 8) == chunk).all() and (scored < n[i]).all()
        prefix = k < chunk * 8
        assert c.anchors[i, prefix].all()
        assert torch.equal(c.x_s[i, prefix], x0[i, prefix])


# ---------------------------------------------------------------------- clamp
@pytest.mark.parametrize("policy", ["endpoints", "all-anchors", "none"])
@pytest.mark.parametrize("channels", ["position", "all"])
def test_clamp_policies_hold_exactly(policy, channels):
    g = torch.Generator().manual_seed(0)
    n = torch.tensor([10, 17])
    x = torch.randn(2, 17, 3, generator=g)
    kp = torch.randn(2, 5, 3, generator=g)
    anchors = keypoint_mask(n, 5, 17)
    values = scatter_keypoints(torch.zeros_like(x), kp, n)
    out = apply_clamp(x, values, anchors, n, policy, channels)
    chans = [0, 1] if channels == "position" else [0, 1, 2]
    other = [c for c in range(3) if c not in chans]
    idx = keypoint_indices(n, 5)
    for i in range(2):
        ends = [0, int(n[i]) - 1]
        clamped = {"endpoints": ends, "all-anchors": idx[i].tolist(), "none": []}[policy]
        for p in range(17):
            if p in clamped:
                assert torch.equal(out[i, p, chans], values[i, p, chans])
                assert torch.equal(out[i, p, other], x[i, p, other])
            else:
                assert torch.equal(out[i, p], x[i, p])
    with pytest.raises(ConfigError):
        apply_clamp(x, values, anchors, n, "keypoints", channels)


# -------------------------------------------------------------- bootstrapping
def test_bootstrap_share_grows_to_its_cap():
    s = BootstrapSchedule(max_share=0.5, start=0.2, ramp=0.4, total_steps=1000)
    assert s.share(0) == 0.0 and s.share(199) == 0.0
    assert s.share(400) == pytest.approx(0.25)
    assert s.share(600) == pytest.approx(0.5) and s.share(1000) == pytest.approx(0.5)
    rows = s.rows(1000, 20_000, torch.Generator().manual_seed(0))
    assert abs(float(rows.float().mean()) - 0.5) < 0.02
    assert not s.rows(10, 1000).any()
    with pytest.raises(ConfigError):
        BootstrapSchedule(max_share=1.5)


# ----------------------------------------------------------- what stages learn
def _smooth_movements(n: torch.Tensor, length: int, g: torch.Generator) -> torch.Tensor:
    """Bowed, smoothly accelerating paths (B, length, 3): x, y, t along a point index normalised to [0, 1]."""
    s = (torch.arange(length)[None, :].float() / (n[:, None] - 1)).clamp(max=1)
    bow = torch.randn(len(n), 1, generator=g) * 0.4
    w = torch.rand(len(n), 1, generator=g) * 2 + 1
    x = s - 0.1 * torch.sin(2 * math.pi * s) * w / 3
    return torch.stack([x, bow * torch.sin(math.pi * s), s], dim=-1)


def test_fill_in_model_beats_plain_interpolation_on_smooth_movements():
    torch.manual_seed(0)
    P, K, S = 20, 4, 4
    net = FillInDenoiser(3, 2, S, d_model=32, layers=2, heads=4, emb_dim=32)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(80):
        n = torch.randint(10, P + 1, (64,), generator=g)
        x0 = _smooth_movements(n, P, g)
        loss = fill_in_loss(net, x0, n, torch.zeros(64, 2), corrupt(x0, n, K, S, g))
        opt.zero_grad()
        loss.backward()
        opt.step()
    g = torch.Generator().manual_seed(99)
    n = torch.randint(10, P + 1, (400,), generator=g)
    x0 = _smooth_movements(n, P, g)
    kp = gather_keypoints(x0, n, K)
    valid = torch.arange(P)[None, :] < n[:, None]
    plain = interpolate_from_anchors(x0, keypoint_mask(n, K, P))
    one_step = fill_in(net.eval(), kp, n, P, torch.zeros(400, 2))
    err_plain = float(((plain - x0) ** 2)[valid].mean())
    err_model = float(((one_step - x0) ** 2)[valid].mean())
    assert err_model < 0.5 * err_plain, (err_model, err_plain)
    walk = fill_in(net, kp, n, P, torch.zeros(400, 2), steps=S, generator=torch.Generator().manual_seed(0))
    assert float(((walk - x0) ** 2)[valid].mean()) < err_plain
    # the causal variant with an untrained (zero-output) network is the plain interpolation of the keypoints
    fresh = FillInDenoiser(3, 2, S, d_model=16, layers=1, heads=2, emb_dim=16)
    calls = []
    causal = causal_fill_in(fresh, kp, n, P, torch.zeros(400, 2), 6, on_step=calls.append)
    assert len(calls) == math.ceil(int(n.max()) / 6)
    assert torch.allclose(causal[valid], plain[valid], atol=1e-6)


def test_keypoint_ddim_samples_match_a_known_distribution():
    """Keypoints = sign(goal) * mu + 0.2 * noise: DDIM samples recover the mean per goal and a similar spread."""
    torch.manual_seed(0)
    K = 4
    mu = torch.tensor([[0.0, 0.0, 0.0], [0.5, 1.0, 0.3], [1.0, -0.5, 0.6], [1.5, 0.0, 1.0]])
    model = build_keypoint_model(2, d_model=32, layers=2, heads=2, emb_dim=32, timesteps=100, cond_drop=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        sign = torch.randint(0, 2, (128,), generator=g).float() * 2 - 1
        x0 = sign[:, None, None] * mu + 0.2 * torch.randn(128, K, 3, generator=g)
        loss = model.loss(x0, torch.ones(128, K, dtype=torch.bool), torch.stack([sign, torch.ones(128)], 1), g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    for sign in (1.0, -1.0):
        goal = torch.tensor([[sign, 1.0]]).repeat(1000, 1)
        x = sample_keypoints(model, goal, K, steps=20, generator=torch.Generator().manual_seed(1))
        assert float((x.mean(0) - sign * mu).abs().max()) < 0.15
        assert 0.1 < float(x.std(0).mean()) < 0.3
    again = sample_keypoints(model, goal[:50], K, steps=20, generator=torch.Generator().manual_seed(1))
    assert torch.equal(again, sample_keypoints(model, goal[:50], K, steps=20,
                                               generator=torch.Generator().manual_seed(1)))
    # bootstrapped keypoints at low strength stay near the true ones; at full strength they are plain samples
    true = -mu.expand(50, -1, -1)
    near = bootstrapped_keypoints(model, true, goal[:50], strength=0.2, steps=10,
                                  generator=torch.Generator().manual_seed(2))
    assert float((near - true).abs().mean()) < 0.2


# ------------------------------------------------------------------ frames
def test_frames_are_written_as_png_and_gif(tmp_path):
    from PIL import Image

    from deval.errors import OutputExistsError
    from deval.generators.keyframe.frames import GIF_NAME, write_denoising_frames
    from deval.generators.keyframe.two_stage_sampling import DenoisingFrame

    kp = np.array([[0, 0, 0], [0.5, 0.2, 0.3], [1, 0, 0.6]], float)
    pts = np.column_stack([np.linspace(0, 1, 9), 0.2 * np.sin(np.linspace(0, np.pi, 9)), np.linspace(0, 0.6, 9)])
    frames = [DenoisingFrame("keypoints", i, 2, f"step {i}", keypoints=kp, noisy_keypoints=kp + 0.1 * i)
              for i in range(2)]
    frames.append(DenoisingFrame("fill-in", 0, 1, "fill", scaffold=pts * 0.9, points=pts,
                                 anchors=np.arange(9) % 4 == 0))
    written = write_denoising_frames(frames, tmp_path / "f", fps=5, mp4=False)
    names = sorted(p.name for p in written)
    assert names == ["denoising.gif", "frame_000.png", "frame_001.png", "frame_002.png"]
    assert (tmp_path / "f" / "frame_000.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(tmp_path / "f" / GIF_NAME) as gif:
        assert gif.format == "GIF" and gif.n_frames >= 3
    with pytest.raises(OutputExistsError):
        write_denoising_frames(frames, tmp_path / "f", mp4=False)
    assert len(write_denoising_frames(frames, tmp_path / "f", mp4=False, force=True)) == 4


# ------------------------------------------------- end to end (smoke preset)
@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    from test_diffusion_representation import _movements

    path = tmp_path_factory.mktemp("kf_data") / "real.npz"
    _movements(240, seed=3).save(path)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_file):
    import json

    from click.testing import CliRunner

    from deval.app.cli.main import cli

    out = tmp_path_factory.mktemp("kf_run") / "smoke"
    res = CliRunner().invoke(cli, ["train-generator", "keyframe-diffusion", "--data", str(data_file), "--out",
                                   str(out), "--preset", "smoke", "--seed", "0", "-q", "train.val_samples=40"])
    assert res.exit_code == 0, res.output
    return out, json.loads(res.output)


def test_smoke_preset_trains_both_stages(trained):
    import json

    out, summary = trained
    assert summary["steps"] == 150
    first, last = summary["first"], summary["last"]
    assert last["loss1"] < 0.6 * first["loss1"], (first, last)
    assert last["loss2"] < 0.6 * first["loss2"], (first, last)
    for sub in ("best", "final"):
        for f in ("model.safetensors", "config.json", "normalizer.json", "encoder.json"):
            assert (out / sub / f).is_file()
        from safetensors.torch import load_file

        state = load_file(out / sub / "model.safetensors")
        assert any(k.startswith("keypoint_model.") for k in state) and any(k.startswith("fill_model.") for k in state)
    line = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    for key in ("val_loss1", "val_loss2", "c2st_acc", "mmd2", "prd_precision", "goal_distance_err_rel"):
        assert key in line
    assert json.loads((out / "best" / "config.json").read_text())["generator"] == "keyframe-diffusion"
    assert json.loads((out / "split.json").read_text())["how"] == "user"


def test_registry_samples_end_on_targets_and_reproduce(trained, data_file):
    from deval.generators import available, get
    from deval.io import load_trajectories
    from deval.trajectories import Endpoints

    assert "keyframe-diffusion" in available()
    out, _ = trained
    gen = get("keyframe-diffusion").load(out, timing="own")  # the network's own point counts and times
    real = load_trajectories(data_file)
    ep = real.endpoints().resample(60, seed=1)
    cond = Endpoints(ep.start, ep.end, None, np.r_[np.full(30, 40), np.full(30, 9)])  # 40 > max_len + 1: re-cut
    fake = gen.sample(60, cond=cond, seed=0)
    assert len(fake) == 60 and set(fake.style) == {"keyframe-diffusion"} and (fake.label == 1).all()
    np.testing.assert_array_equal(fake.end, cond.end)
    np.testing.assert_array_equal(fake.start, cond.start)
    np.testing.assert_array_equal(fake.lengths, cond.n_points)
    dt = np.diff(fake.t)[np.diff(fake.segment_ids) == 0]
    assert (dt > 0).all() and np.isfinite(fake.x).all()
    again = gen.sample(60, cond=cond, seed=0)
    np.testing.assert_array_equal(again.x, fake.x)
    np.testing.assert_array_equal(again.t, fake.t)
    assert not np.array_equal(gen.sample(60, cond=cond, seed=1).x, fake.x)
    # other stage-2 settings still give valid movements on their targets
    for params in ({"clamp": "all-anchors", "clamp_channels": "all"}, {"clamp": "none", "fill_steps": 4},
                   {"sampler": "dpm-solver", "steps": 5, "cfg_scale": 2.0}):
        alt = get("keyframe-diffusion").load(out, **params).sample(20, cond=cond.take(np.arange(20)), seed=0)
        np.testing.assert_array_equal(alt.end, cond.end[:20])
        assert (np.diff(alt.t)[np.diff(alt.segment_ids) == 0] > 0).all()
    free = gen.sample(10, seed=3)  # no condition: endpoints drawn from the training movements
    assert len(free) == 10


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_checkpoint_round_trip(trained, tmp_path):
    from deval.errors import CheckpointError
    from deval.generators.keyframe.generator import KeyframeDiffusionGenerator

    out, _ = trained
    gen = KeyframeDiffusionGenerator.load(out)
    gen.save(tmp_path / "copy")
    back = KeyframeDiffusionGenerator.load(tmp_path / "copy")
    a, b = gen.sample(15, seed=4), back.sample(15, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)
    (tmp_path / "bad").mkdir()
    for f in ("config.json", "normalizer.json", "encoder.json"):
        (tmp_path / "bad" / f).write_bytes((tmp_path / "copy" / f).read_bytes())
    import pickle

    (tmp_path / "bad" / "model.pt").write_bytes(pickle.dumps({"x": object()}))
    with pytest.raises(CheckpointError):
        KeyframeDiffusionGenerator.load(tmp_path / "bad")


def test_cli_generate_with_frames_and_compare_embeds_the_gif(trained, data_file, tmp_path):
    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.io import load_trajectories

    out, _ = trained
    neg = tmp_path / "neg.npz"
    frames = tmp_path / "frames"
    r = CliRunner().invoke(cli, ["generate-negatives", "--source", "keyframe-diffusion", "--checkpoint", str(out),
                                 "--like", str(data_file), "--n", "50", "--seed", "0", "-q", "--out", str(neg),
                                 "--save-diffusion-frames", str(frames), "--param", "steps=4"])
    assert r.exit_code == 0, r.output
    fake = load_trajectories(neg)
    assert len(fake) == 50 and set(fake.style) == {"keyframe-diffusion"}
    pngs = sorted((frames / "keyframe-diffusion").glob("frame_*.png"))
    assert len(pngs) == 4 + 1 + 1  # 4 stage-1 steps, one stage-2 call, the result
    gif = frames / "keyframe-diffusion" / "denoising.gif"
    assert gif.read_bytes()[:6] == b"GIF89a"
    # refusing to overwrite the frames, and sources without frames
    r = CliRunner().invoke(cli, ["generate-negatives", "--source", "keyframe-diffusion", "--checkpoint", str(out),
                                 "--n", "5", "--out", str(tmp_path / "n2.npz"), "--save-diffusion-frames", str(frames)])
    assert r.exit_code != 0 and "not empty" in r.output
    r = CliRunner().invoke(cli, ["generate-negatives", "--source", "spline", "--n", "5", "--out",
                                 str(tmp_path / "n3.npz"), "--save-diffusion-frames", str(tmp_path / "f2")])
    assert r.exit_code != 0 and "denoising frames" in r.output
    report = tmp_path / "report"
    r = CliRunner().invoke(cli, ["compare", str(data_file), str(neg), "--out", str(report), "--metrics", "c2st",
                                 "--no-baselines", "--folds", "2", "-q", "--animation", str(gif)])
    assert r.exit_code == 0, r.output
    html = (report / "report.html").read_text()
    assert "data:image/gif;base64,R0lGOD" in html  # base64 of "GIF89a"
    r = CliRunner().invoke(cli, ["compare", str(data_file), str(neg), "--out", str(tmp_path / "r2"), "--animation",
                                 str(pngs[0])])
    assert r.exit_code != 0 and "not a GIF" in r.output and "Traceback" not in r.output


def test_causal_variant_with_bootstrapping_trains_and_samples(data_file, tmp_path):
    from deval.generators.keyframe.generator import KeyframeDiffusionGenerator
    from deval.io import load_trajectories

    real = load_trajectories(data_file)
    summary = KeyframeDiffusionGenerator.train_run(
        real, tmp_path / "causal", preset_name="smoke", seed=0, steps=30,
        overrides={"stage2.causal": True, "bootstrap.enabled": True, "bootstrap.start": 0.0, "bootstrap.ramp": 0.5,
                   "train.val_samples": 20})
    assert summary["last"]["bootstrap_share"] > 0.3  # the share grew to its cap of 0.5
    gen = KeyframeDiffusionGenerator.load(tmp_path / "causal")
    assert gen.net.causal_chunk == 4
    cond = real.endpoints().resample(20, seed=0)
    fake = gen.sample(20, cond=cond, seed=0)
    np.testing.assert_array_equal(fake.end, cond.end)
