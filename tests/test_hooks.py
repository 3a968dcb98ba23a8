"""``deval.app.hooks``: flags, data conversion, and the diffusion evaluation hook of a GAN harness."""

from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np
import pytest
import torch

from deval.errors import CheckpointError, ConfigError, DataError
from deval.app.hooks import HOOK_METRICS, DiffusionEvalHook, add_diffusion_eval_args, as_trajectories
from deval.trajectories import Trajectories

from gan_support import arcs, diffusion_checkpoint


def _parse(argv):
    p = argparse.ArgumentParser()
    add_diffusion_eval_args(p)
    return p.parse_args(argv)


def test_importing_and_a_disabled_hook_cost_nothing():
    code = (
        "import argparse, sys\n"
        "from deval.app.hooks import DiffusionEvalHook, add_diffusion_eval_args\n"
        "p = argparse.ArgumentParser(); add_diffusion_eval_args(p)\n"
        "hook = DiffusionEvalHook.from_args(p.parse_args([]))\n"
        "assert hook(1, object(), gan_sample_fn=lambda n: 1 / 0) == {}\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'matplotlib', 'scipy') if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_flags_defaults_values_and_errors(tmp_path, monkeypatch):
    a = _parse([])
    assert a.use_diffusion_eval is False and a.diffusion_eval_every == 1 and a.diffusion_eval_checkpoint is None
    assert (a.diffusion_eval_samples, a.diffusion_eval_out, a.diffusion_eval_steps, a.diffusion_eval_device) == (
        500, "diffusion_eval", 0, "cpu")
    a = _parse(["--use_diffusion_eval", "--diffusion_eval_every", "3", "--diffusion_eval_checkpoint", str(tmp_path),
                "--diffusion-eval-samples", "64", "--diffusion_eval_out", str(tmp_path / "o"),
                "--diffusion_eval_steps", "5", "--diffusion_eval_device", "cpu", "--diffusion_eval_channels", "deltas",
                "--diffusion_eval_no_plots"])
    hook = DiffusionEvalHook.from_args(a)
    assert hook.enabled and hook.every == 3 and hook.n_samples == 64 and hook.steps == 5
    assert hook.channels == "deltas" and not hook.plots and hook.out_dir == tmp_path / "o"
    for bad in (["--diffusion_eval_every", "0"], ["--diffusion_eval_samples", "x"], ["--diffusion_eval_device", "tpu"]):
        with pytest.raises(SystemExit):
            _parse(bad)
    from deval.generators.diffusion import pretrained

    if pretrained.available():  # no checkpoint given: the shipped pretrained model
        assert DiffusionEvalHook.from_args(_parse(["--use_diffusion_eval"])).checkpoint == pretrained.checkpoint_path()
    monkeypatch.setattr(pretrained, "available", lambda name=None: False)
    with pytest.raises(ConfigError, match="--diffusion_eval_checkpoint"):
        DiffusionEvalHook.from_args(_parse(["--use_diffusion_eval"]))
    with pytest.raises(CheckpointError, match="no such"):
        DiffusionEvalHook.from_args(_parse(["--use_diffusion_eval", "--diffusion_eval_checkpoint",
                                            str(tmp_path / "nope")]))
    with pytest.raises(ConfigError, match=">= 20"):
        DiffusionEvalHook(checkpoint=tmp_path, n_samples=5)


def _assert_same(a: Trajectories, b: Trajectories):
    np.testing.assert_array_equal(a.lengths, b.lengths)
    for k in ("x", "y", "t"):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=0, atol=1e-9)


def test_as_trajectories_reads_every_layout():
    ref = arcs(12, seed=4)
    vals, mask = ref.to_padded()  # x, y, t with zero padding
    lengths = mask.sum(1)
    _assert_same(as_trajectories(vals, mask=mask), ref)
    _assert_same(as_trajectories(torch.as_tensor(vals, dtype=torch.float64), lengths=torch.as_tensor(lengths)), ref)
    _assert_same(as_trajectories((vals, mask)), ref)
    _assert_same(as_trajectories((vals, lengths)), ref)
    _assert_same(as_trajectories({"values": vals, "lengths": lengths}), ref)
    _assert_same(as_trajectories(np.where(mask[..., None], vals, np.nan)), ref)  # NaN padding
    _assert_same(as_trajectories(ref), ref)
    # time offsets and a press channel do not matter
    shifted = np.concatenate([vals + [0, 0, 5.0], np.ones_like(vals[..., :1])], -1)
    _assert_same(as_trajectories(shifted, mask=mask), ref)
    # x, y only: points every dt seconds
    xy = as_trajectories(vals[..., :2], mask=mask, dt=0.016)
    np.testing.assert_allclose(xy.t, ref.t, atol=1e-12)
    assert np.allclose(as_trajectories(vals, mask=mask, channels="xy", dt=0.5).durations, (lengths - 1) * 0.5)
    # deltas: k steps -> k + 1 points from the given starts
    steps = np.zeros_like(vals[:, :-1])
    step_mask = mask[:, 1:]
    d = np.diff(vals, axis=1)
    steps[step_mask] = d[step_mask]
    _assert_same(as_trajectories(steps, mask=step_mask, channels="deltas", start=ref.start), ref)
    two = as_trajectories(steps[..., :2], mask=step_mask, channels="deltas", dt=0.016, start=ref.start)
    _assert_same(two, ref)
    # harness units -> pixels
    scaled = as_trajectories(vals / 100.0 * [1, 1, 100], mask=mask, xy_scale=100.0)
    _assert_same(scaled, ref)
    with pytest.raises(DataError, match="val_data"):
        as_trajectories(vals[0], source="val_data")
    with pytest.raises(DataError, match="at least 2 needed"):
        as_trajectories(vals, lengths=np.ones(len(vals), int))
    bad = vals.copy()
    bad[0, 2, 2] = bad[0, 1, 2]
    with pytest.raises(DataError, match="strictly increasing"):
        as_trajectories(bad, mask=mask)
    with pytest.raises(ConfigError):
        as_trajectories(vals, channels="polar")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return diffusion_checkpoint(tmp_path_factory)


def test_hook_scores_diffusion_and_gan_side_by_side(checkpoint, tmp_path):
    val = arcs(150, seed=1)
    other_humans = arcs(150, seed=2)  # same distribution as the validation set
    vals, mask = val.to_padded()
    hook = DiffusionEvalHook(checkpoint=checkpoint, every=2, n_samples=80, out_dir=tmp_path, seed=0, threads=1)
    gen = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5)).train()
    critic = torch.nn.Linear(2, 1).eval()
    seen = {}

    def gan_sample_fn(n, cond):
        seen.update(n=n, cond=cond, grad=torch.is_grad_enabled(), training=gen.training)
        v, m = other_humans.subsample(n, seed=0).to_padded()
        return torch.as_tensor(v), torch.as_tensor(m.sum(1))

    assert hook(1, vals, gan_sample_fn, model=[gen, critic], mask=mask) == {}  # every 2nd epoch only
    torch.manual_seed(123)
    out = hook(2, torch.as_tensor(vals), gan_sample_fn, model=[gen, critic], mask=torch.as_tensor(mask))
    after = torch.rand(3)
    torch.manual_seed(123)
    assert torch.equal(after, torch.rand(3))  # the harness's random stream is untouched
    assert gen.training and not critic.training  # modes restored
    assert seen["n"] == 80 and seen["grad"] is False and seen["training"] is False
    # the GAN is asked for the validation movements' own conditions
    pairs = {tuple(r) for r in np.hstack([val.start, val.end, val.lengths[:, None]]).round(6)}
    c = seen["cond"]
    assert {tuple(r) for r in np.hstack([c.start, c.end, c.n_points[:, None]]).round(6)} <= pairs
    assert set(out) == {"epoch"} | {f"{s}/{m}" for s in ("diffusion", "gan") for m in HOOK_METRICS}
    assert out["epoch"] == 2
    for k, v in out.items():
        assert np.isfinite(v), k
    # the held-out "GAN" is human data: the probe cannot separate it; the barely trained diffusion model it can
    assert out["gan/c2st_acc_val"] < 0.7
    assert out["diffusion/c2st_acc_val"] > 0.85
    assert out["gan/mmd_val"] < out["diffusion/mmd_val"]
    assert out["gan/prd_precision_val"] > out["diffusion/prd_precision_val"]
    assert out["gan/prd_recall_val"] > 0.7
    lines = DiffusionEvalHook.read_metrics(tmp_path / "metrics.jsonl")
    assert len(lines) == 1
    line = lines[0]
    assert line["epoch"] == 2 and line["n_val"] == 80 and line["n_samples"] == 80
    for src in ("diffusion", "gan"):
        assert {*HOOK_METRICS, "kinematic", "spectral"} <= set(line[src])
        assert line[src]["c2st_acc_val"] == out[f"{src}/c2st_acc_val"]
        assert set(line[src]["kinematic"]["median_fake"]) >= {"duration", "straightness", "speed_max"}
        assert line[src]["spectral"]["log_spectral_distance_db"] >= 0
    for kind in ("kinematic", "spectral"):
        png = tmp_path / f"epoch0002_{kind}.png"
        assert line["plots"][kind] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hook_on_trajectories_without_gan(checkpoint, tmp_path):
    hook = DiffusionEvalHook(checkpoint=checkpoint, n_samples=200, out_dir=tmp_path, plots=False, threads=1)
    val = arcs(60, seed=7)  # fewer movements than samples: conditions are reused, the reference set is all of them
    model = torch.nn.Linear(2, 2).train()
    out = hook(None, val, model=model)
    assert set(out) == {"epoch"} | {f"diffusion/{m}" for m in HOOK_METRICS}
    assert model.training
    line = DiffusionEvalHook.read_metrics(tmp_path / "metrics.jsonl")[-1]
    assert line["n_val"] == 60 and line["diffusion"]["n"] == 200 and "gan" not in line and "plots" not in line
    with pytest.raises(DataError, match="at least 20"):
        hook.evaluate(0, val[:10])
